#pragma once
// An anvil (automine on) on a given loopback port, restartable on the same port.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "fixtures/l1/execution_client.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"

namespace bnet::testing {

class AnvilOnPort {
 public:
  AnvilOnPort(std::filesystem::path anvil, std::uint16_t port, std::filesystem::path log_dir)
      : anvil_(std::move(anvil)), port_(port), log_dir_(std::move(log_dir)) {}

  // Starts anvil and blocks until it answers eth_blockNumber (20 s); throws on failure.
  void start() {
    process_.emplace(e2e::ChildProcess::start(
        {.name = "anvil",
         .executable = anvil_,
         .args = {"--host", "127.0.0.1", "--port", std::to_string(port_), "--chain-id", "1337"},
         .log_path = log_dir_ / fmt::format("anvil-{}.log", ++starts_)}));
    ExecutionClient probe({.url = httpUrl(), .ws_url = ""});
    e2e::waitForReady(*process_, "anvil JSON-RPC", e2e::Deadline::after(std::chrono::seconds(20)), [&] {
      try {
        probe.blockNumber();
        return e2e::Attempt::done();
      } catch (const e2e::HttpError& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
  }
  void stop() {
    if (process_) process_->stop();
    process_.reset();
  }
  std::string httpUrl() const { return fmt::format("http://127.0.0.1:{}", port_); }
  std::string wsUrl() const { return fmt::format("ws://127.0.0.1:{}", port_); }

 private:
  std::filesystem::path anvil_;
  std::uint16_t port_;
  std::filesystem::path log_dir_;
  int starts_ = 0;
  std::optional<e2e::ChildProcess> process_;
};

class WsAnvilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto anvil = findAnvil();
    if (!anvil) GTEST_SKIP() << "anvil not found: run tools/setup.sh (npm @foundry-rs/anvil-linux-amd64) or set BNET_ANVIL";
    port_.emplace(e2e::reservePort());
    log_dir_ = std::filesystem::temp_directory_path() /
               fmt::format("bnet-e2e-ws-{}-{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(log_dir_);
    anvil_.emplace(*anvil, port_->port(), log_dir_);
    anvil_->start();
  }
  void TearDown() override {
    if (anvil_) anvil_->stop();
    std::error_code ec;
    std::filesystem::remove_all(log_dir_, ec);
  }
  // One block mined by evm_mine over HTTP.
  void mine() { ExecutionClient({.url = anvil_->httpUrl(), .ws_url = ""}).rpc().call("evm_mine"); }

  std::optional<e2e::PortReservation> port_;
  std::filesystem::path log_dir_;
  std::optional<AnvilOnPort> anvil_;
};

}  // namespace bnet::testing
