#include "tools/devnet/devnet.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/u256.hpp"
#include "framework/wait/eventually.hpp"

namespace bnet::devnet {

namespace eth = e2e::eth;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

std::uint64_t unixNow() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(SystemClock::now().time_since_epoch()).count());
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::uint16_t pickPort(std::uint16_t wanted, std::vector<e2e::PortReservation>& held) {
  if (wanted != 0) return wanted;
  held.push_back(e2e::reservePort());
  return held.back().port();
}

std::string hashesText(const std::vector<eth::Hash32>& hashes) {
  std::string out = "[";
  for (std::size_t i = 0; i < hashes.size(); ++i) out += (i ? "," : "") + hashes[i].hex();
  return out + "]";
}

}  // namespace

std::unique_ptr<Devnet> Devnet::start(DevnetConfig config) {
  if (!isLoopback(config.host)) {
    throw std::invalid_argument(fmt::format("--host {}: the devnet listens on loopback addresses only", config.host));
  }
  if (config.slot_seconds == 0) throw std::invalid_argument("--slot-seconds must be at least 1");
  std::unique_ptr<Devnet> d(new Devnet(std::move(config)));
  const DevnetConfig& c = d->config_;
  d->el_port_ = pickPort(c.el_port, d->reservations_);
  d->relay_port_ = pickPort(c.relay_port, d->reservations_);
  d->beacon_port_ = pickPort(c.beacon_port, d->reservations_);

  // Genesis lies one slot before the next whole second, so that slot 1 (block 1) starts at
  // once; block n is the block of slot n while no slot is missed.
  std::uint64_t next_second = unixNow() + 1;
  d->params_ = ChainParams{.chain_id = c.chain_id,
                           .genesis_time = next_second - c.slot_seconds,
                           .slot_seconds = c.slot_seconds,
                           .gas_limit = c.gas_limit,
                           .proposer_fee_recipient = c.fee_recipient};

  std::vector<std::string> args = {"--host", "127.0.0.1",
                                   "--port", str(d->el_port_),
                                   "--chain-id", str(c.chain_id),
                                   "--no-mining",
                                   "--order", "fifo",
                                   "--timestamp", str(d->params_.genesis_time),
                                   "--gas-limit", str(c.gas_limit),
                                   "--hardfork", "prague",
                                   "--mnemonic", std::string(eth::kTestMnemonic),
                                   "--accounts", "10"};
  if (c.balance_eth) {
    args.push_back("--balance");
    args.push_back(str(*c.balance_eth));
  }
  d->anvil_.emplace(e2e::ChildProcess::start({.name = "anvil",
                                              .executable = c.anvil,
                                              .args = args,
                                              .log_path = c.anvil_log,
                                              .stop_grace = std::chrono::milliseconds(3000)}));
  d->el_.emplace(ExecutionClient::Config{.url = d->elUrl(), .timeout = std::chrono::milliseconds(5000)});
  std::optional<Block> genesis;
  e2e::waitForReady(*d->anvil_, fmt::format("anvil JSON-RPC at {}", d->elUrl()),
                    e2e::Deadline::after(std::chrono::seconds(20)), [&] {
                      try {
                        genesis = d->el_->getBlockByNumber(0);
                        return e2e::Attempt::check(genesis.has_value(), "no block 0 yet");
                      } catch (const e2e::HttpError& e) {
                        return e2e::Attempt::retry(e.what());
                      }
                    });
  // anvil binds its port itself: our reservation only had to keep others off until now.
  d->head_ = Head{.slot = 0,
                  .block_number = genesis->number,
                  .block_hash = genesis->hash,
                  .timestamp = genesis->timestamp,
                  .beacon_root = standInRoot("beacon block", 0, genesis->hash),
                  .parent_beacon_root = {}};
  d->relay_ = std::make_unique<Relay>(d->params_, d->log_);
  d->beacon_ = std::make_unique<Beacon>(d->params_, d->log_);
  d->startServers();
  d->beacon_->publishHead(d->head_);
  d->announceNext(d->head_);
  d->log_.info("devnet started", {{"el", d->elUrl()},
                                  {"relay", d->relayUrl()},
                                  {"beacon", d->beaconUrl()},
                                  {"chainId", str(c.chain_id)},
                                  {"genesisTime", str(d->params_.genesis_time)},
                                  {"slotSeconds", str(c.slot_seconds)}});
  d->clock_thread_ = std::thread([dp = d.get()] { dp->runClock(); });
  if (!c.ports_file.empty()) d->writePortsFile();
  return d;
}

Devnet::Devnet(DevnetConfig config) : config_(std::move(config)) {}

Devnet::~Devnet() { stop(); }

std::string Devnet::elUrl() const { return fmt::format("http://127.0.0.1:{}", el_port_); }
std::string Devnet::relayUrl() const { return fmt::format("http://127.0.0.1:{}", relay_port_); }
std::string Devnet::beaconUrl() const { return fmt::format("http://127.0.0.1:{}", beacon_port_); }

void Devnet::startServers() {
  auto make = [](std::uint16_t port, const std::string& host, const char* what) {
    auto server = std::make_unique<httplib::Server>();
    // SSE subscribers hold a thread each: leave room for many.
    server->new_task_queue = [] { return new httplib::ThreadPool(64); };
    // A stopping server waits for idle keep-alive connections to time out: keep that short.
    server->set_keep_alive_timeout(1);
    if (!server->bind_to_port(host, port)) {
      throw std::runtime_error(fmt::format("{} server: cannot listen on {}:{} (in use?)", what, host, port));
    }
    return server;
  };
  relay_server_ = make(relay_port_, config_.host, "relay");
  beacon_server_ = make(beacon_port_, config_.host, "beacon");
  relay_->registerRoutes(*relay_server_);
  beacon_->registerRoutes(*beacon_server_);
  reservations_.clear();  // every port is bound (and listening: clients queue in the backlog)
  relay_thread_ = std::thread([this] { relay_server_->listen_after_bind(); });
  beacon_thread_ = std::thread([this] { beacon_server_->listen_after_bind(); });
}

void Devnet::writePortsFile() const {
  json ports{{"el_url", elUrl()},
             {"relay_url", relayUrl()},
             {"beacon_url", beaconUrl()},
             {"el_port", el_port_},
             {"relay_port", relay_port_},
             {"beacon_port", beacon_port_},
             {"chain_id", params_.chain_id},
             {"genesis_time", params_.genesis_time},
             {"slot_seconds", params_.slot_seconds},
             {"gas_limit", params_.gas_limit},
             {"proposer_fee_recipient", params_.proposer_fee_recipient.hex()},
             {"pid", static_cast<long>(::getpid())}};
  std::filesystem::path tmp = config_.ports_file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << ports.dump(2) << "\n";
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, config_.ports_file);
}

void Devnet::stop() {
  {
    std::lock_guard lock(clock_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  clock_cv_.notify_all();
  if (clock_thread_.joinable()) clock_thread_.join();
  if (beacon_) beacon_->shutdown();
  if (relay_server_) relay_server_->stop();
  if (beacon_server_) beacon_server_->stop();
  if (relay_thread_.joinable()) relay_thread_.join();
  if (beacon_thread_.joinable()) beacon_thread_.join();
  if (anvil_) anvil_->stop();
}

bool Devnet::anvilRunning() { return anvil_ && anvil_->running(); }

std::string Devnet::anvilLogTail() { return anvil_ ? anvil_->logTail(20) : std::string(); }

void Devnet::runClock() {
  std::uint64_t next_slot = 1;
  for (;;) {
    auto slot_start = SystemClock::time_point(std::chrono::seconds(params_.slotTime(next_slot)));
    {
      std::unique_lock lock(clock_mu_);
      if (clock_cv_.wait_until(lock, slot_start, [&] { return stopping_; })) return;
    }
    std::uint64_t now = unixNow();
    std::uint64_t current = (now - params_.genesis_time) / params_.slot_seconds;
    std::uint64_t slot = next_slot;
    if (current > next_slot) {
      log_.warn("slot clock fell behind: slots missed", {{"from", str(next_slot)}, {"to", str(current - 1)}});
      slot = current;
    }
    try {
      produceBlock(slot);
    } catch (const std::exception& e) {
      log_.error("could not produce a block", {{"slot", str(slot)}, {"error", e.what()}});
    }
    next_slot = slot + 1;
  }
}

void Devnet::announceNext(const Head& head) {
  std::uint64_t slot = head.slot + 1;
  PayloadAttributes attrs{.proposal_slot = slot,
                          .proposer_index = params_.proposerIndex(slot),
                          .parent_block_number = head.block_number,
                          .parent_block_hash = head.block_hash,
                          .parent_block_root = head.beacon_root,
                          .timestamp = params_.slotTime(slot),
                          .prev_randao = standInRoot("randao", slot, head.block_hash),
                          .suggested_fee_recipient = params_.proposer_fee_recipient};
  // The relay learns the attributes before builders hear of them.
  relay_->announce(attrs);
  beacon_->publishPayloadAttributes(attrs);
}

void Devnet::produceBlock(std::uint64_t slot) {
  e2e::JsonRpcClient& rpc = el_->rpc();
  std::optional<ReceivedBid> bid = relay_->closeSlot(slot, head_.block_hash);
  eth::Address coinbase = bid ? bid->submission.execution_payload.fee_recipient : params_.proposer_fee_recipient;
  rpc.call("anvil_setCoinbase", json::array({coinbase.hex()}));
  rpc.call("evm_setNextBlockTimestamp", json::array({params_.slotTime(slot)}));
  std::vector<eth::Hash32> expected;
  if (bid) {
    const auto& txs = bid->submission.execution_payload.transactions;
    for (std::size_t i = 0; i < txs.size(); ++i) {
      expected.push_back(eth::keccak256(txs[i]));
      try {
        el_->sendRawTransaction(eth::toHex(txs[i]));
      } catch (const e2e::JsonRpcError& e) {
        // A transaction the EL already has (sent to it directly too) is still in the pool.
        if (e.message().find("already") == std::string::npos) {
          log_.warn("bid transaction rejected by the execution client",
                    {{"slot", str(slot)}, {"index", str(i)}, {"txHash", expected.back().hex()}, {"error", e.message()}});
        }
      }
    }
  }
  rpc.call("evm_mine");
  std::optional<Block> block = el_->getBlockByTag("latest");
  if (!block) throw std::runtime_error("eth_getBlockByNumber(latest) returned null after evm_mine");
  Head previous = head_;
  head_ = Head{.slot = slot,
               .block_number = block->number,
               .block_hash = block->hash,
               .timestamp = block->timestamp,
               .beacon_root = standInRoot("beacon block", slot, block->hash),
               .parent_beacon_root = previous.beacon_root};
  if (bid) {
    if (block->transaction_hashes == expected) {
      log_.info("block has the bid's transactions in order",
                {{"slot", str(slot)}, {"blockNumber", str(block->number)}, {"numTx", str(expected.size())}});
    } else {
      log_.warn("block does not have exactly the bid's transactions in order",
                {{"slot", str(slot)},
                 {"blockNumber", str(block->number)},
                 {"expected", hashesText(expected)},
                 {"got", hashesText(block->transaction_hashes)}});
    }
    relay_->recordDelivered(*bid, *block);
  }
  log_.info("block produced", {{"slot", str(slot)},
                               {"blockNumber", str(block->number)},
                               {"blockHash", block->hash.hex()},
                               {"coinbase", block->miner.hex()},
                               {"numTx", str(block->transaction_hashes.size())},
                               {"source", bid ? "relay bid" : "local (no bid)"},
                               {"builderPubkey", bid ? bid->submission.message.builder_pubkey : ""}});
  beacon_->publishHead(head_);
  announceNext(head_);
}

}  // namespace bnet::devnet
