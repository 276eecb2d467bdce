#pragma once
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "tools/devnet/common.hpp"

namespace httplib {
class Server;
}

namespace bnet::devnet {

// The beacon node API subset builders and suites read: node/syncing, beacon/headers/head,
// beacon/genesis, config/spec, config/fork_schedule, and the SSE stream /eth/v1/events with
// `head` and `payload_attributes` (integers as quoted decimals, as beacon-APIs specifies).
// Thread-safe; one server thread per SSE subscriber.
class Beacon {
 public:
  Beacon(ChainParams params, Logger& log) : params_(std::move(params)), log_(log) {}

  void publishHead(const Head& head);
  void publishPayloadAttributes(const PayloadAttributes& attributes);
  // Ends every SSE stream (before the server stops).
  void shutdown();

  void registerRoutes(httplib::Server& server);

  nlohmann::json syncingJson() const;
  nlohmann::json headerJson() const;
  nlohmann::json genesisJson() const;
  nlohmann::json specJson() const;
  static nlohmann::json payloadAttributesEvent(const PayloadAttributes& attributes);
  nlohmann::json headEvent(const Head& head) const;

  static constexpr const char* kGenesisForkVersion = "0x20000089";

 private:
  struct Subscriber {
    std::set<std::string> topics;
    std::deque<std::string> queue;  // formatted SSE events
  };
  void broadcast(const std::string& topic, const std::string& data);

  const ChainParams params_;
  Logger& log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Head head_;
  bool stopping_ = false;
  std::list<std::shared_ptr<Subscriber>> subscribers_;
};

}  // namespace bnet::devnet
