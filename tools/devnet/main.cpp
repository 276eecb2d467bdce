// bnet-devnet: the local L1 of the `local` environment. anvil under a slot clock, with a
// mev-boost-relay stand-in (builder API + data API) and a beacon API stand-in. See README.md.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "framework/eth/errors.hpp"
#include "framework/eth/types.hpp"
#include "framework/process/child_process.hpp"
#include "tools/devnet/devnet.hpp"

namespace {
// builder-playground's lighthouse --suggested-fee-recipient.
constexpr const char* kPlaygroundFeeRecipient = "0x690B9A9E9aa1C9dB991C7721a92d351Db4FaC990";
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bnet-devnet: anvil driven by a slot clock, with a relay and a beacon API stand-in"};
  bnet::devnet::DevnetConfig config;
  std::string anvil;
  std::string fee_recipient = kPlaygroundFeeRecipient;
  std::string ports_file;
  std::string anvil_log;
  std::uint64_t balance = 0;
  app.add_option("--anvil", anvil, "anvil executable (default: 'anvil' on PATH)");
  app.add_option("--host", config.host, "listen address for the relay and beacon servers (loopback only)")
      ->capture_default_str();
  app.add_option("--el-port", config.el_port, "anvil's JSON-RPC port (0: allocate)")->capture_default_str();
  app.add_option("--relay-port", config.relay_port, "relay API port (0: allocate)")->capture_default_str();
  app.add_option("--beacon-port", config.beacon_port, "beacon API port (0: allocate)")->capture_default_str();
  app.add_option("--chain-id", config.chain_id, "chain id (builder-playground uses 1337)")->capture_default_str();
  app.add_option("--slot-seconds", config.slot_seconds, "seconds per slot")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--gas-limit", config.gas_limit, "block gas limit")->capture_default_str();
  app.add_option("--fee-recipient", fee_recipient,
                 "proposers' fee recipient; coinbase of blocks mined without a bid")
      ->capture_default_str();
  app.add_option("--balance", balance, "balance of each prefunded account in ether (default: anvil's)");
  app.add_option("--ports-file", ports_file,
                 "write the endpoints as JSON here once ready (el/relay/beacon URLs, chain id, genesis time, "
                 "slot seconds)");
  app.add_option("--anvil-log", anvil_log, "anvil's log file (default: anvil.log beside the ports file, or in $TMPDIR)");
  CLI11_PARSE(app, argc, argv);

  try {
    config.fee_recipient = e2e::eth::Address::fromHex(fee_recipient);
  } catch (const e2e::eth::DecodeError& e) {
    std::cerr << "bnet-devnet: --fee-recipient: " << e.what() << "\n";
    return 2;
  }
  if (balance != 0) config.balance_eth = balance;
  auto anvil_path = e2e::findProgram(anvil.empty() ? "anvil" : anvil);
  if (!anvil_path) {
    std::cerr << "bnet-devnet: anvil not found (" << (anvil.empty() ? "not on PATH" : anvil)
              << "); install it with tools/setup.sh or pass --anvil PATH\n";
    return 2;
  }
  config.anvil = *anvil_path;
  config.ports_file = ports_file;
  if (!anvil_log.empty()) {
    config.anvil_log = anvil_log;
  } else if (!ports_file.empty()) {
    config.anvil_log = std::filesystem::absolute(ports_file).parent_path() / "anvil.log";
  } else {
    config.anvil_log = std::filesystem::temp_directory_path() / fmt::format("bnet-devnet-{}-anvil.log", ::getpid());
  }

  // Signals are taken by sigtimedwait in this thread only; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<bnet::devnet::Devnet> devnet;
  try {
    devnet = bnet::devnet::Devnet::start(config);
  } catch (const std::exception& e) {
    std::cerr << "bnet-devnet: start failed: " << e.what() << "\n";
    return 1;
  }
  std::cout << fmt::format("bnet-devnet ready el={} relay={} beacon={} anvil_log={}", devnet->elUrl(),
                           devnet->relayUrl(), devnet->beaconUrl(), config.anvil_log.string())
            << std::endl;
  for (;;) {
    timespec wait{.tv_sec = 0, .tv_nsec = 200'000'000};
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig > 0) {
      std::cout << fmt::format("bnet-devnet: {} received, stopping", strsignal(sig)) << std::endl;
      devnet->stop();
      return 0;
    }
    if (!devnet->anvilRunning()) {
      std::cerr << "bnet-devnet: anvil exited; its log ends with:\n" << devnet->anvilLogTail() << std::endl;
      devnet->stop();
      return 1;
    }
  }
}
