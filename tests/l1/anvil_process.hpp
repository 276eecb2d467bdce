#pragma once
// A plain anvil (automine on) for the ExecutionClient tests; skipped when anvil is missing.
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

class AnvilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto anvil = findAnvil();
    if (!anvil) GTEST_SKIP() << "anvil not found: run tools/setup.sh (npm @foundry-rs/anvil-linux-amd64) or set BNET_ANVIL";
    auto port = e2e::reservePort();
    log_dir_ = std::filesystem::temp_directory_path() /
               fmt::format("bnet-e2e-anvil-{}-{}", ::getpid(), ::testing::UnitTest::GetInstance()->random_seed());
    std::filesystem::create_directories(log_dir_);
    anvil_.emplace(e2e::ChildProcess::start({.name = "anvil",
                                             .executable = *anvil,
                                             .args = {"--host", "127.0.0.1", "--port", std::to_string(port.port()),
                                                      "--chain-id", "1337", "--hardfork", "prague"},
                                             .log_path = log_dir_ / "anvil.log"}));
    el_.emplace(ExecutionClient::Config{.url = fmt::format("http://127.0.0.1:{}", port.port())});
    e2e::waitForReady(*anvil_, "anvil JSON-RPC", e2e::Deadline::after(std::chrono::seconds(20)), [&] {
      try {
        el_->blockNumber();
        return e2e::Attempt::done();
      } catch (const e2e::HttpError& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
  }
  void TearDown() override {
    if (anvil_) anvil_->stop();
    std::error_code ec;
    std::filesystem::remove_all(log_dir_, ec);
  }

  std::filesystem::path log_dir_;
  std::optional<e2e::ChildProcess> anvil_;
  std::optional<ExecutionClient> el_;
};

}  // namespace bnet::testing
