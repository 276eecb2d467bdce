#pragma once
// rbuilder's order pool, reduced to what the stand-in builds from: single transactions and
// bundles (kept together, in their order), replacement by (signer, replacementUuid) with
// replacementNonce, cancellation, and pruning of orders that can no longer land.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "framework/eth/transaction.hpp"
#include "framework/eth/types.hpp"

namespace bnet::standin {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Order {
  std::uint64_t id = 0;  // arrival sequence: unique, increasing
  bool is_bundle = false;
  std::vector<e2e::eth::SignedTx> txs;  // in bundle order
  std::uint64_t block_number = 0;       // 0: any block
  std::uint64_t min_timestamp = 0;      // 0: unset
  std::uint64_t max_timestamp = 0;      // 0: unset
  std::optional<std::string> replacement_uuid;
  std::optional<e2e::eth::Address> signing_address;
  std::uint64_t replacement_nonce = 0;
  SteadyTime received{};
  // A single transaction's hash; for a bundle keccak256 of its tx hashes concatenated.
  e2e::eth::Hash32 hash;
};

// What the pool did with an order.
enum class PoolOutcome {
  kAdded,
  kDuplicate,        // the same tx, or the same bundle for the same block, is already there
  kReplaced,         // replaced the bundle with the same (signer, uuid) and a lower nonce
  kStaleReplacement, // a bundle with the same (signer, uuid) and an equal or higher nonce is there
  kCancelled,        // an empty replacement removed the bundle
};

std::string_view describe(PoolOutcome outcome);

// keccak256 of the tx hashes concatenated (the classic Flashbots bundle hash).
e2e::eth::Hash32 bundleHashOf(const std::vector<e2e::eth::SignedTx>& txs);

// Thread-safe. Every change bumps version() and wakes waitForChange().
class OrderPool {
 public:
  PoolOutcome addTransaction(e2e::eth::SignedTx tx, SteadyTime now);
  // `bundle.txs` empty with a replacement_uuid: cancels that replacement (if the nonce is
  // not older). The caller has checked that uuid, signer and nonce come together.
  PoolOutcome addBundle(Order bundle, SteadyTime now);
  // eth_cancelBundle: removes the bundle of (signer, uuid); false when there was none.
  bool cancel(const std::string& uuid, const e2e::eth::Address& signer);

  std::vector<Order> snapshot() const;
  void remove(const std::vector<std::uint64_t>& ids);
  // Drops bundles whose block_number is below next_block and orders without a target block
  // older than ttl. Returns how many went.
  std::size_t prune(std::uint64_t next_block, SteadyTime now, std::chrono::steady_clock::duration ttl);

  std::size_t transactionCount() const;  // single-transaction orders
  std::size_t bundleCount() const;
  std::uint64_t version() const;
  // Blocks until version() != seen or timeout; returns the current version.
  std::uint64_t waitForChange(std::uint64_t seen, std::chrono::steady_clock::duration timeout) const;

 private:
  using ReplacementKey = std::pair<e2e::eth::Address, std::string>;
  void changed();  // with mu_ held
  void eraseLocked(std::uint64_t id);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::uint64_t next_id_ = 1;
  std::uint64_t version_ = 0;
  std::map<std::uint64_t, Order> orders_;
  std::map<ReplacementKey, std::uint64_t> by_replacement_;  // -> order id
  std::map<ReplacementKey, std::uint64_t> cancelled_;       // -> nonce of the cancellation
};

}  // namespace bnet::standin
