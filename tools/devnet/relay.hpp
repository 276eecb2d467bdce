#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fixtures/l1/execution_client.hpp"
#include "tools/devnet/common.hpp"
#include "tools/devnet/submission.hpp"

namespace httplib {
class Server;
}

namespace bnet::devnet {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Query parameters (first value of each name).
using Query = std::map<std::string, std::string>;

// An accepted submission with when it arrived.
struct ReceivedBid {
  Submission submission;
  std::uint64_t received_ms = 0;
  std::uint64_t sequence = 0;
  bool cancellable = false;  // submitted with ?cancellations=1: a later bid of its builder replaces it
};

// The relay's side of the devnet: mev-boost-relay's builder API and data API with the real
// paths, field names, string-encoded numbers and error messages (see README for what it
// checks and what it does not). The slot clock tells it the payload attributes of the next
// slot and asks it for the best bid at each slot boundary. Thread-safe.
class Relay {
 public:
  Relay(ChainParams params, Logger& log) : params_(std::move(params)), log_(log) {}

  // The clock announces the next slot's attributes (before the beacon SSE event goes out).
  void announce(const PayloadAttributes& attributes);
  // The slot starts: submissions for it are now "past", and the best bid (highest value,
  // the earliest of equal ones) on parent_hash is returned, if any.
  std::optional<ReceivedBid> closeSlot(std::uint64_t slot, const e2e::eth::Hash32& parent_hash);
  // The bid became `block` on the chain: recorded for proposer_payload_delivered with the
  // chain's block hash and number.
  void recordDelivered(const ReceivedBid& bid, const Block& block);

  HttpReply submitBlock(std::string_view body, const Query& query);
  HttpReply builderBlocksReceived(const Query& query) const;
  HttpReply proposerPayloadDelivered(const Query& query) const;
  HttpReply builderValidators() const;

  void registerRoutes(httplib::Server& server);

 private:
  struct Delivered {
    BidTrace trace;  // block_hash and parent_hash as on the chain
    std::uint64_t block_number = 0;
    std::uint64_t num_tx = 0;
  };
  struct Received {
    BidTrace trace;
    std::uint64_t block_number = 0;
    std::uint64_t num_tx = 0;
    std::uint64_t received_ms = 0;
    std::uint64_t sequence = 0;
  };
  HttpReply reject(int status, std::string message, const Logger::Fields& fields);

  const ChainParams params_;
  Logger& log_;
  mutable std::mutex mu_;
  std::uint64_t head_slot_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::map<std::uint64_t, PayloadAttributes> attributes_;        // by proposal slot
  std::map<std::uint64_t, std::vector<ReceivedBid>> candidates_;  // by slot; pruned when closed
  std::vector<Received> received_;
  std::vector<Delivered> delivered_;
};

// BidTraceV2JSON of mev-boost-relay's common/types.go (numbers as decimal strings).
nlohmann::json bidTraceJson(const BidTrace& trace, std::uint64_t block_number, std::uint64_t num_tx);

}  // namespace bnet::devnet
