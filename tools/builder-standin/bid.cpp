#include "tools/builder-standin/bid.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"

namespace bnet::standin {

namespace eth = e2e::eth;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

[[noreturn]] void malformed(std::string_view where, std::string_view why) {
  throw std::invalid_argument(fmt::format("{}: {}", where, why));
}

const json& member(const json& obj, const char* name, std::string_view where) {
  if (!obj.is_object()) malformed(where, "not a JSON object");
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) malformed(where, fmt::format("{} missing", name));
  return *it;
}

std::uint64_t decimalMember(const json& obj, const char* name, std::string_view where) {
  const json& v = member(obj, name, where);
  if (!v.is_string()) malformed(where, fmt::format("{} is not a quoted decimal", name));
  try {
    return eth::toUint64(eth::parseDecimal(v.get<std::string>()), name);
  } catch (const eth::DecodeError& e) {
    malformed(where, fmt::format("{}: {}", name, e.what()));
  }
}

eth::Hash32 hashMember(const json& obj, const char* name, std::string_view where) {
  const json& v = member(obj, name, where);
  try {
    if (!v.is_string()) throw eth::DecodeError("not a string");
    return eth::Hash32::fromHex(v.get<std::string>());
  } catch (const eth::DecodeError& e) {
    malformed(where, fmt::format("{}: {}", name, e.what()));
  }
}

eth::Address addressMember(const json& obj, const char* name, std::string_view where) {
  const json& v = member(obj, name, where);
  try {
    if (!v.is_string()) throw eth::DecodeError("not a string");
    return eth::Address::fromHex(v.get<std::string>());
  } catch (const eth::DecodeError& e) {
    malformed(where, fmt::format("{}: {}", name, e.what()));
  }
}

void append(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void appendU64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

eth::Hash32 keccakWith(std::string_view domain, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
  std::vector<std::uint8_t> buf(domain.begin(), domain.end());
  append(buf, a);
  append(buf, b);
  eth::Hash32 h = eth::keccak256(buf);
  std::fill(buf.begin(), buf.end(), 0);
  return h;
}

struct Candidate {
  const Order* order;
  U256 profit;           // sum tip * gas
  std::uint64_t gas = 0;
};

// a ranks above b: higher profit per gas, then earlier arrival.
bool ranksAbove(const Candidate& a, const Candidate& b) {
  U256 lhs = a.profit * U256(b.gas);
  U256 rhs = b.profit * U256(a.gas);
  if (lhs != rhs) return lhs > rhs;
  return a.order->id < b.order->id;
}

}  // namespace

PayloadAttributes parsePayloadAttributes(std::string_view event_data) {
  json doc;
  try {
    doc = json::parse(event_data);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    malformed("payload_attributes event", fmt::format("not JSON ({})", e.what()));
  }
  PayloadAttributes a;
  if (doc.is_object() && doc.contains("version") && doc["version"].is_string()) a.version = doc["version"].get<std::string>();
  const json& d = member(doc, "data", "payload_attributes event");
  constexpr std::string_view where = "payload_attributes data";
  a.proposal_slot = decimalMember(d, "proposal_slot", where);
  a.proposer_index = decimalMember(d, "proposer_index", where);
  if (d.contains("parent_block_number") && !d["parent_block_number"].is_null()) {
    a.parent_block_number = decimalMember(d, "parent_block_number", where);
  }
  a.parent_block_root = hashMember(d, "parent_block_root", where);
  a.parent_block_hash = hashMember(d, "parent_block_hash", where);
  const json& p = member(d, "payload_attributes", where);
  constexpr std::string_view pwhere = "payload_attributes.payload_attributes";
  a.timestamp = decimalMember(p, "timestamp", pwhere);
  a.prev_randao = hashMember(p, "prev_randao", pwhere);
  a.suggested_fee_recipient = addressMember(p, "suggested_fee_recipient", pwhere);
  if (p.contains("withdrawals") && !p["withdrawals"].is_null()) {
    if (!p["withdrawals"].is_array()) malformed(pwhere, "withdrawals is not an array");
    a.withdrawals = p["withdrawals"];
  }
  if (p.contains("parent_beacon_block_root") && !p["parent_beacon_block_root"].is_null()) {
    a.parent_beacon_block_root = hashMember(p, "parent_beacon_block_root", pwhere);
  }
  return a;
}

std::map<std::uint64_t, ProposerDuty> parseProposerDuties(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    malformed("validators answer", fmt::format("not JSON ({})", e.what()));
  }
  if (!doc.is_array()) malformed("validators answer", "not a JSON array");
  std::map<std::uint64_t, ProposerDuty> out;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    std::string where = fmt::format("validators[{}]", i);
    ProposerDuty duty;
    duty.slot = decimalMember(doc[i], "slot", where);
    const json& message = member(member(doc[i], "entry", where), "message", where + ".entry");
    std::string mwhere = where + ".entry.message";
    duty.fee_recipient = addressMember(message, "fee_recipient", mwhere);
    duty.gas_limit = decimalMember(message, "gas_limit", mwhere);
    const json& pubkey = member(message, "pubkey", mwhere);
    try {
      if (!pubkey.is_string()) throw eth::DecodeError("not a string");
      eth::Bytes raw = eth::fromHex(pubkey.get<std::string>());
      if (raw.size() != 48) throw eth::DecodeError(fmt::format("{} bytes, expected 48", raw.size()));
      duty.pubkey = eth::toHex(raw);
    } catch (const eth::DecodeError& e) {
      malformed(mwhere, fmt::format("pubkey: {}", e.what()));
    }
    out[duty.slot] = std::move(duty);
  }
  return out;
}

U256 nextBaseFee(std::uint64_t parent_gas_used, std::uint64_t parent_gas_limit, const U256& parent_base_fee) {
  std::uint64_t target = parent_gas_limit / 2;
  if (target == 0 || parent_gas_used == target) return parent_base_fee;
  if (parent_gas_used > target) {
    U256 delta = parent_base_fee * U256(parent_gas_used - target) / U256(target) / 8;
    return parent_base_fee + std::max(delta, U256(1));
  }
  U256 delta = parent_base_fee * U256(target - parent_gas_used) / U256(target) / 8;
  return parent_base_fee > delta ? parent_base_fee - delta : U256(0);
}

std::uint64_t nextGasLimit(std::uint64_t parent_gas_limit, std::uint64_t desired_gas_limit) {
  std::uint64_t max_delta = parent_gas_limit / 1024;
  if (max_delta > 0) max_delta -= 1;
  if (desired_gas_limit > parent_gas_limit) return parent_gas_limit + std::min(max_delta, desired_gas_limit - parent_gas_limit);
  return parent_gas_limit - std::min(max_delta, parent_gas_limit - desired_gas_limit);
}

std::optional<U256> effectivePriorityFee(const eth::SignedTx& tx, const U256& base_fee) {
  if (const eth::Eip1559Tx* t = tx.eip1559()) {
    if (t->max_fee_per_gas < base_fee) return std::nullopt;
    return std::min(t->max_priority_fee_per_gas, t->max_fee_per_gas - base_fee);
  }
  const eth::LegacyTx* t = tx.legacy();
  if (t == nullptr || t->gas_price < base_fee) return std::nullopt;
  return t->gas_price - base_fee;
}

AssembledBlock assembleBlock(const std::vector<Order>& orders, const BlockContext& block, const NonceLookup& nonces) {
  AssembledBlock out;
  std::map<eth::Address, std::uint64_t> chain;  // nonce at the parent (looked up once)
  std::map<eth::Address, std::uint64_t> next;   // after what is in the block so far
  auto chainNonce = [&](const eth::Address& a) {
    auto it = chain.find(a);
    if (it == chain.end()) it = chain.emplace(a, nonces(a)).first;
    return it->second;
  };

  std::vector<Candidate> candidates;
  for (const Order& o : orders) {
    if (o.txs.empty()) continue;
    if ((o.block_number != 0 && o.block_number < block.number) ||
        (o.max_timestamp != 0 && block.timestamp > o.max_timestamp)) {
      out.stale.push_back(o.id);
      continue;
    }
    if (o.block_number > block.number || (o.min_timestamp != 0 && block.timestamp < o.min_timestamp)) continue;
    Candidate c{.order = &o, .profit = 0, .gas = 0};
    bool payable = true;
    bool used = false;
    for (const auto& tx : o.txs) {
      auto tip = effectivePriorityFee(tx, block.base_fee);
      if (!tip) payable = false;
      if (tx.nonce() < chainNonce(tx.sender())) used = true;
      if (tip) c.profit += *tip * U256(tx.gasLimit());
      c.gas += tx.gasLimit();
    }
    if (used) {
      out.stale.push_back(o.id);
      continue;
    }
    if (payable && c.gas > 0) candidates.push_back(c);
  }
  std::sort(candidates.begin(), candidates.end(), ranksAbove);

  std::vector<bool> taken(candidates.size(), false);
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (taken[i]) continue;
      const Candidate& c = candidates[i];
      if (out.gas_used + c.gas > block.gas_limit) continue;
      std::map<eth::Address, std::uint64_t> overlay;
      bool fits = true;
      for (const auto& tx : c.order->txs) {
        const eth::Address& s = tx.sender();
        std::uint64_t expected;
        if (auto o = overlay.find(s); o != overlay.end()) {
          expected = o->second;
        } else if (auto n = next.find(s); n != next.end()) {
          expected = n->second;
        } else {
          expected = chainNonce(s);
        }
        if (tx.nonce() != expected) {
          fits = false;
          break;
        }
        overlay[s] = expected + 1;
      }
      if (!fits) continue;
      for (const auto& [s, n] : overlay) next[s] = n;
      for (const auto& tx : c.order->txs) out.txs.push_back(tx);
      out.included.push_back(c.order->id);
      out.gas_used += c.gas;
      out.value += c.profit;
      if (c.order->is_bundle) ++out.bundles;
      taken[i] = true;
      progress = true;
      break;
    }
  }
  return out;
}

std::string standInBuilderPubkey(const RelaySecretKey& key) {
  eth::Hash32 a = keccakWith("bnet-builder-standin bls pubkey 0", key.bytes());
  eth::Hash32 b = keccakWith("bnet-builder-standin bls pubkey 1", key.bytes());
  std::vector<std::uint8_t> out(a.bytes().begin(), a.bytes().end());
  out.insert(out.end(), b.bytes().begin(), b.bytes().begin() + 16);
  return eth::toHex(out);
}

std::string standInBidSignature(const RelaySecretKey& key, const eth::Hash32& block_hash) {
  std::vector<std::uint8_t> out;
  for (char part : {'0', '1', '2'}) {
    std::string domain = std::string("bnet-builder-standin bid signature ") + part;
    eth::Hash32 h = keccakWith(domain, key.bytes(), block_hash.span());
    out.insert(out.end(), h.bytes().begin(), h.bytes().end());
  }
  return eth::toHex(out);
}

eth::Hash32 standInBlockHash(const Bid& bid) {
  std::vector<std::uint8_t> buf;
  const std::string_view domain = "bnet-builder-standin block";
  buf.insert(buf.end(), domain.begin(), domain.end());
  append(buf, bid.attributes.parent_block_hash.span());
  append(buf, bid.fee_recipient.span());
  appendU64(buf, bid.block.number);
  appendU64(buf, bid.block.timestamp);
  append(buf, bid.attributes.prev_randao.span());
  appendU64(buf, bid.block.gas_limit);
  appendU64(buf, bid.content.gas_used);
  auto fee = eth::toBigEndian32(bid.block.base_fee);
  append(buf, fee);
  buf.insert(buf.end(), bid.extra_data.begin(), bid.extra_data.end());
  for (const auto& tx : bid.content.txs) append(buf, tx.hash().span());
  return eth::keccak256(buf);
}

Bid makeBid(PayloadAttributes attributes, ProposerDuty duty, BlockContext block, eth::Address fee_recipient,
            std::string extra_data, AssembledBlock content, const RelaySecretKey& key) {
  Bid bid{.attributes = std::move(attributes),
          .duty = std::move(duty),
          .block = block,
          .fee_recipient = fee_recipient,
          .extra_data = std::move(extra_data),
          .content = std::move(content),
          .builder_pubkey = standInBuilderPubkey(key),
          .block_hash = {}};
  bid.block_hash = standInBlockHash(bid);
  return bid;
}

ordered_json submissionJson(const Bid& bid, const RelaySecretKey& key) {
  auto dec = [](std::uint64_t v) { return std::to_string(v); };
  ordered_json message;
  message["slot"] = dec(bid.attributes.proposal_slot);
  message["parent_hash"] = bid.attributes.parent_block_hash.hex();
  message["block_hash"] = bid.block_hash.hex();
  message["builder_pubkey"] = bid.builder_pubkey;
  message["proposer_pubkey"] = bid.duty.pubkey;
  message["proposer_fee_recipient"] = bid.duty.fee_recipient.hex();
  message["gas_limit"] = dec(bid.block.gas_limit);
  message["gas_used"] = dec(bid.content.gas_used);
  message["value"] = eth::toDecimal(bid.content.value);

  ordered_json txs = ordered_json::array();
  for (const auto& tx : bid.content.txs) txs.push_back(tx.rawHex());
  ordered_json payload;
  payload["parent_hash"] = bid.attributes.parent_block_hash.hex();
  payload["fee_recipient"] = bid.fee_recipient.hex();
  payload["state_root"] = eth::Hash32().hex();
  payload["receipts_root"] = eth::Hash32().hex();
  payload["logs_bloom"] = eth::toHex(std::vector<std::uint8_t>(256, 0));
  payload["prev_randao"] = bid.attributes.prev_randao.hex();
  payload["block_number"] = dec(bid.block.number);
  payload["gas_limit"] = dec(bid.block.gas_limit);
  payload["gas_used"] = dec(bid.content.gas_used);
  payload["timestamp"] = dec(bid.block.timestamp);
  payload["extra_data"] = eth::toHex(std::string_view(bid.extra_data));
  payload["base_fee_per_gas"] = eth::toDecimal(bid.block.base_fee);
  payload["block_hash"] = bid.block_hash.hex();
  payload["transactions"] = std::move(txs);
  payload["withdrawals"] = ordered_json::parse(bid.attributes.withdrawals.dump());
  payload["blob_gas_used"] = "0";
  payload["excess_blob_gas"] = "0";

  ordered_json out;
  out["message"] = std::move(message);
  out["execution_payload"] = std::move(payload);
  out["blobs_bundle"] = ordered_json{{"commitments", ordered_json::array()},
                                     {"proofs", ordered_json::array()},
                                     {"blobs", ordered_json::array()}};
  out["execution_requests"] = ordered_json{{"deposits", ordered_json::array()},
                                           {"withdrawals", ordered_json::array()},
                                           {"consolidations", ordered_json::array()}};
  out["signature"] = standInBidSignature(key, bid.block_hash);
  return out;
}

std::string formatEther(const U256& wei) {
  std::string digits = eth::toDecimal(wei);
  if (digits.size() <= 18) digits.insert(0, 19 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - 18);
  std::string frac = digits.substr(digits.size() - 18);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}

}  // namespace bnet::standin
