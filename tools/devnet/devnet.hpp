#pragma once
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/l1/execution_client.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "tools/devnet/beacon.hpp"
#include "tools/devnet/common.hpp"
#include "tools/devnet/relay.hpp"

namespace httplib {
class Server;
}

namespace bnet::devnet {

struct DevnetConfig {
  std::filesystem::path anvil;  // the anvil executable
  std::string host = "127.0.0.1";  // loopback only
  std::uint16_t el_port = 0;       // 0: allocate with e2e::reservePort
  std::uint16_t relay_port = 0;
  std::uint16_t beacon_port = 0;
  std::uint64_t chain_id = 1337;
  std::uint64_t slot_seconds = 12;
  std::uint64_t gas_limit = 30'000'000;
  e2e::eth::Address fee_recipient;       // proposers' fee recipient, coinbase of blocks without a bid
  std::filesystem::path ports_file;      // optional: written once the devnet is ready
  std::filesystem::path anvil_log;       // anvil's stdout+stderr
  std::optional<std::uint64_t> balance_eth;  // anvil --balance (default: anvil's 10000 ETH)
};

// anvil (automine off, fifo order) driven by a slot clock, with the relay and beacon API
// stand-ins on their own ports. At each slot boundary the relay's best bid for the slot
// becomes the block (coinbase = the bid's fee_recipient, the bid's transactions in order);
// without a bid a plain block is mined. Builders never write to the chain.
class Devnet {
 public:
  // Starts anvil, both servers and the clock; returns once block 0 is served and the
  // servers listen. Throws std::runtime_error / e2e::ProcessError / e2e::WaitError naming what failed.
  static std::unique_ptr<Devnet> start(DevnetConfig config);
  ~Devnet();
  Devnet(const Devnet&) = delete;
  Devnet& operator=(const Devnet&) = delete;

  // Stops the clock, the servers and anvil; idempotent.
  void stop();
  bool anvilRunning();
  std::string anvilLogTail();

  const ChainParams& params() const { return params_; }
  std::string elUrl() const;
  std::string relayUrl() const;
  std::string beaconUrl() const;

 private:
  explicit Devnet(DevnetConfig config);
  void startServers();
  void runClock();
  void produceBlock(std::uint64_t slot);
  void announceNext(const Head& head);
  void writePortsFile() const;

  DevnetConfig config_;
  ChainParams params_;
  Logger log_;
  std::vector<e2e::PortReservation> reservations_;
  std::uint16_t el_port_ = 0, relay_port_ = 0, beacon_port_ = 0;
  std::optional<e2e::ChildProcess> anvil_;
  std::optional<ExecutionClient> el_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<Beacon> beacon_;
  std::unique_ptr<httplib::Server> relay_server_;
  std::unique_ptr<httplib::Server> beacon_server_;
  std::thread relay_thread_;
  std::thread beacon_thread_;
  std::thread clock_thread_;
  std::mutex clock_mu_;
  std::condition_variable clock_cv_;
  bool stopping_ = false;
  Head head_;
};

}  // namespace bnet::devnet
