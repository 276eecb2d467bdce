#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/eth/types.hpp"

namespace bnet::devnet {

// What every part of the devnet agrees on.
struct ChainParams {
  std::uint64_t chain_id = 1337;
  std::uint64_t genesis_time = 0;  // unix seconds; slot n starts at genesis_time + n * slot_seconds
  std::uint64_t slot_seconds = 12;
  std::uint64_t slots_per_epoch = 32;
  std::uint64_t gas_limit = 30'000'000;
  std::uint64_t validator_count = 100;
  // The proposers' fee recipient (builder-playground's lighthouse uses this one) and the
  // coinbase of blocks mined without a bid.
  e2e::eth::Address proposer_fee_recipient;

  std::uint64_t slotTime(std::uint64_t slot) const { return genesis_time + slot * slot_seconds; }
  std::uint64_t proposerIndex(std::uint64_t slot) const { return slot % validator_count; }
};

// A stand-in BLS public key for a validator index (48 bytes, 0x-hex). Not a valid BLS point:
// Debian ships no BLS12-381 library, so the devnet never verifies or makes BLS signatures.
std::string validatorPubkey(std::uint64_t index);
// 96 stand-in signature bytes (0x-hex), derived from `what`.
std::string standInSignature(std::string_view what);
// A stand-in 32-byte root derived from a label and a value (beacon block roots etc.).
e2e::eth::Hash32 standInRoot(std::string_view label, std::uint64_t slot, const e2e::eth::Hash32& el_hash);

// What the chain's head is: the slot it was made for and the execution block.
struct Head {
  std::uint64_t slot = 0;
  std::uint64_t block_number = 0;
  e2e::eth::Hash32 block_hash;
  std::uint64_t timestamp = 0;
  e2e::eth::Hash32 beacon_root;
  e2e::eth::Hash32 parent_beacon_root;
};

// The payload attributes of the next slot, as the beacon SSE stream announces them.
struct PayloadAttributes {
  std::uint64_t proposal_slot = 0;
  std::uint64_t proposer_index = 0;
  std::uint64_t parent_block_number = 0;
  e2e::eth::Hash32 parent_block_hash;
  e2e::eth::Hash32 parent_block_root;
  std::uint64_t timestamp = 0;
  e2e::eth::Hash32 prev_randao;
  e2e::eth::Address suggested_fee_recipient;
};

// Log lines in logrus' text format, as mev-boost-relay writes them:
//   time="2026-05-08T07:50:55Z" level=info msg="received block from builder" key=value ...
// Keys are sorted like logrus does; values are quoted when they need it. Thread-safe; stdout.
class Logger {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;
  void info(std::string_view msg, Fields fields = {}) { write("info", msg, std::move(fields)); }
  void warn(std::string_view msg, Fields fields = {}) { write("warning", msg, std::move(fields)); }
  void error(std::string_view msg, Fields fields = {}) { write("error", msg, std::move(fields)); }
  static std::string format(std::string_view level, std::string_view msg, Fields fields);

 private:
  void write(std::string_view level, std::string_view msg, Fields fields);
  std::mutex mu_;
};

}  // namespace bnet::devnet
