#include "tools/builder-standin/order_pool.hpp"

#include <algorithm>

#include "framework/eth/keccak.hpp"

namespace bnet::standin {

namespace eth = e2e::eth;

std::string_view describe(PoolOutcome outcome) {
  switch (outcome) {
    case PoolOutcome::kAdded: return "added";
    case PoolOutcome::kDuplicate: return "duplicate";
    case PoolOutcome::kReplaced: return "replaced";
    case PoolOutcome::kStaleReplacement: return "stale replacement ignored";
    case PoolOutcome::kCancelled: return "cancelled";
  }
  return "?";
}

eth::Hash32 bundleHashOf(const std::vector<eth::SignedTx>& txs) {
  std::vector<std::uint8_t> all;
  all.reserve(txs.size() * 32);
  for (const auto& tx : txs) all.insert(all.end(), tx.hash().bytes().begin(), tx.hash().bytes().end());
  return eth::keccak256(all);
}

void OrderPool::changed() {
  ++version_;
  cv_.notify_all();
}

void OrderPool::eraseLocked(std::uint64_t id) {
  auto it = orders_.find(id);
  if (it == orders_.end()) return;
  if (it->second.replacement_uuid && it->second.signing_address) {
    auto key = ReplacementKey{*it->second.signing_address, *it->second.replacement_uuid};
    auto r = by_replacement_.find(key);
    if (r != by_replacement_.end() && r->second == id) by_replacement_.erase(r);
  }
  orders_.erase(it);
}

PoolOutcome OrderPool::addTransaction(eth::SignedTx tx, SteadyTime now) {
  std::lock_guard lock(mu_);
  for (const auto& [id, o] : orders_) {
    if (!o.is_bundle && o.txs.front().hash() == tx.hash()) return PoolOutcome::kDuplicate;
  }
  Order order;
  order.id = next_id_++;
  order.hash = tx.hash();
  order.txs.push_back(std::move(tx));
  order.received = now;
  orders_.emplace(order.id, std::move(order));
  changed();
  return PoolOutcome::kAdded;
}

PoolOutcome OrderPool::addBundle(Order bundle, SteadyTime now) {
  std::lock_guard lock(mu_);
  bundle.is_bundle = true;
  bundle.received = now;
  bundle.hash = bundleHashOf(bundle.txs);
  if (bundle.replacement_uuid && bundle.signing_address) {
    ReplacementKey key{*bundle.signing_address, *bundle.replacement_uuid};
    auto cancelled = cancelled_.find(key);
    if (cancelled != cancelled_.end() && bundle.replacement_nonce <= cancelled->second) {
      return PoolOutcome::kStaleReplacement;
    }
    auto existing = by_replacement_.find(key);
    bool replacing = false;
    if (existing != by_replacement_.end()) {
      const Order& old = orders_.at(existing->second);
      if (bundle.replacement_nonce <= old.replacement_nonce) return PoolOutcome::kStaleReplacement;
      eraseLocked(existing->second);
      replacing = true;
    }
    if (bundle.txs.empty()) {
      cancelled_[key] = bundle.replacement_nonce;
      changed();
      return PoolOutcome::kCancelled;
    }
    bundle.id = next_id_++;
    by_replacement_[key] = bundle.id;
    orders_.emplace(bundle.id, std::move(bundle));
    changed();
    return replacing ? PoolOutcome::kReplaced : PoolOutcome::kAdded;
  }
  for (const auto& [id, o] : orders_) {
    if (o.is_bundle && !o.replacement_uuid && o.hash == bundle.hash && o.block_number == bundle.block_number) {
      return PoolOutcome::kDuplicate;
    }
  }
  bundle.id = next_id_++;
  orders_.emplace(bundle.id, std::move(bundle));
  changed();
  return PoolOutcome::kAdded;
}

bool OrderPool::cancel(const std::string& uuid, const eth::Address& signer) {
  std::lock_guard lock(mu_);
  ReplacementKey key{signer, uuid};
  auto it = by_replacement_.find(key);
  if (it == by_replacement_.end()) return false;
  std::uint64_t nonce = orders_.at(it->second).replacement_nonce;
  eraseLocked(it->second);
  auto& c = cancelled_[key];
  c = std::max(c, nonce);
  changed();
  return true;
}

std::vector<Order> OrderPool::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<Order> out;
  out.reserve(orders_.size());
  for (const auto& [id, o] : orders_) out.push_back(o);
  return out;
}

void OrderPool::remove(const std::vector<std::uint64_t>& ids) {
  std::lock_guard lock(mu_);
  bool any = false;
  for (std::uint64_t id : ids) {
    if (orders_.count(id)) {
      eraseLocked(id);
      any = true;
    }
  }
  if (any) changed();
}

std::size_t OrderPool::prune(std::uint64_t next_block, SteadyTime now, std::chrono::steady_clock::duration ttl) {
  std::lock_guard lock(mu_);
  std::vector<std::uint64_t> gone;
  for (const auto& [id, o] : orders_) {
    bool past_target = o.block_number != 0 && o.block_number < next_block;
    bool expired = o.block_number == 0 && now - o.received > ttl;
    if (past_target || expired) gone.push_back(id);
  }
  for (std::uint64_t id : gone) eraseLocked(id);
  if (!gone.empty()) changed();
  return gone.size();
}

std::size_t OrderPool::transactionCount() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(orders_.begin(), orders_.end(), [](const auto& e) { return !e.second.is_bundle; }));
}

std::size_t OrderPool::bundleCount() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(orders_.begin(), orders_.end(), [](const auto& e) { return e.second.is_bundle; }));
}

std::uint64_t OrderPool::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::uint64_t OrderPool::waitForChange(std::uint64_t seen, std::chrono::steady_clock::duration timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

}  // namespace bnet::standin
