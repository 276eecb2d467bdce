#include "tools/devnet/submission.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"

namespace bnet::devnet {

namespace eth = e2e::eth;
using nlohmann::json;

namespace {

[[noreturn]] void reject(std::string message) { throw SubmissionError(400, std::move(message)); }

// "parent_hash" -> "parent hash", the wording of the go-eth2-client decoders.
std::string spoken(std::string_view field) {
  std::string out(field);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

// A decoder for one JSON object; `where` prefixes messages for nested objects.
class Fields {
 public:
  Fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  const std::string& text(std::string_view name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) reject(fmt::format("{}{} missing", where_, spoken(name)));
    if (!it->is_string()) {
      reject(fmt::format("{}invalid value for {}: expected a string, got {}", where_, spoken(name), it->type_name()));
    }
    return it->get_ref<const std::string&>();
  }

  std::uint64_t u64(std::string_view name) const {
    const std::string& value = text(name);
    bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || value.size() > 20) {
      reject(fmt::format("{}invalid value for {}: '{}' is not a decimal number", where_, spoken(name),
                         eth::quoteForError(value, 40)));
    }
    try {
      return eth::toUint64(eth::parseDecimal(value), spoken(name));
    } catch (const eth::DecodeError& e) {
      reject(fmt::format("{}invalid value for {}: {}", where_, spoken(name), e.what()));
    }
  }

  eth::U256 u256(std::string_view name) const {
    const std::string& value = text(name);
    try {
      return eth::parseDecimal(value);
    } catch (const eth::DecodeError& e) {
      reject(fmt::format("{}invalid value for {}: {}", where_, spoken(name), e.what()));
    }
  }

  eth::Bytes bytes(std::string_view name, std::size_t min_size, std::size_t max_size) const {
    const std::string& value = text(name);
    eth::Bytes out;
    try {
      out = eth::fromHex(value, eth::HexPrefix::kRequired);
    } catch (const eth::DecodeError& e) {
      reject(fmt::format("{}invalid value for {}: {}", where_, spoken(name), e.what()));
    }
    if (out.size() < min_size || out.size() > max_size) {
      if (min_size == max_size) reject(fmt::format("{}incorrect length for {}", where_, spoken(name)));
      reject(fmt::format("{}incorrect length for {}: {} bytes, at most {}", where_, spoken(name), out.size(), max_size));
    }
    return out;
  }

  eth::Hash32 hash(std::string_view name) const { return eth::Hash32::fromBytes(bytes(name, 32, 32)); }
  eth::Address address(std::string_view name) const { return eth::Address::fromBytes(bytes(name, 20, 20)); }
  std::string blsKey(std::string_view name) const { return eth::toHex(bytes(name, 48, 48)); }

  const json& array(std::string_view name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) reject(fmt::format("{}{} missing", where_, spoken(name)));
    if (!it->is_array()) {
      reject(fmt::format("{}invalid value for {}: expected an array, got {}", where_, spoken(name), it->type_name()));
    }
    return *it;
  }

 private:
  const json& object_;
  std::string where_;
};

const json& objectMember(const json& parent, std::string_view name, std::string_view missing) {
  auto it = parent.find(name);
  if (it == parent.end() || it->is_null()) reject(std::string(missing));
  if (!it->is_object()) reject(fmt::format("invalid value for {}: expected an object, got {}", spoken(name), it->type_name()));
  return *it;
}

BidTrace parseBidTrace(const json& message) {
  Fields f(message, "");
  BidTrace t;
  t.slot = f.u64("slot");
  t.parent_hash = f.hash("parent_hash");
  t.block_hash = f.hash("block_hash");
  t.builder_pubkey = f.blsKey("builder_pubkey");
  t.proposer_pubkey = f.blsKey("proposer_pubkey");
  t.proposer_fee_recipient = f.address("proposer_fee_recipient");
  t.gas_limit = f.u64("gas_limit");
  t.gas_used = f.u64("gas_used");
  t.value = f.u256("value");
  return t;
}

ExecutionPayload parsePayload(const json& payload) {
  Fields f(payload, "");
  ExecutionPayload p;
  p.parent_hash = f.hash("parent_hash");
  p.fee_recipient = f.address("fee_recipient");
  p.state_root = f.hash("state_root");
  p.receipts_root = f.hash("receipts_root");
  p.logs_bloom = f.bytes("logs_bloom", 256, 256);
  p.prev_randao = f.hash("prev_randao");
  p.block_number = f.u64("block_number");
  p.gas_limit = f.u64("gas_limit");
  p.gas_used = f.u64("gas_used");
  p.timestamp = f.u64("timestamp");
  p.extra_data = f.bytes("extra_data", 0, 32);
  p.base_fee_per_gas = f.u256("base_fee_per_gas");
  p.block_hash = f.hash("block_hash");
  const json& txs = f.array("transactions");
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (!txs[i].is_string()) reject(fmt::format("invalid value for transactions: entry {} is not a hex string", i));
    try {
      p.transactions.push_back(eth::fromHex(txs[i].get_ref<const std::string&>(), eth::HexPrefix::kRequired));
    } catch (const eth::DecodeError& e) {
      reject(fmt::format("invalid value for transactions: entry {}: {}", i, e.what()));
    }
    if (p.transactions.back().empty()) reject(fmt::format("invalid value for transactions: entry {} is empty", i));
  }
  const json& withdrawals = f.array("withdrawals");
  for (std::size_t i = 0; i < withdrawals.size(); ++i) {
    if (!withdrawals[i].is_object()) reject(fmt::format("invalid value for withdrawals: entry {} is not an object", i));
    Fields w(withdrawals[i], fmt::format("withdrawals entry {}: ", i));
    p.withdrawals.push_back(Withdrawal{.index = w.u64("index"),
                                       .validator_index = w.u64("validator_index"),
                                       .address = w.address("address"),
                                       .amount = w.u64("amount")});
  }
  p.blob_gas_used = f.u64("blob_gas_used");
  p.excess_blob_gas = f.u64("excess_blob_gas");
  return p;
}

}  // namespace

Submission parseSubmission(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    reject(fmt::format("invalid JSON: {}", e.what()));
  }
  if (!doc.is_object()) reject(fmt::format("invalid JSON: expected an object, got {}", doc.type_name()));
  Submission s;
  const json& message = objectMember(doc, "message", "message missing");
  auto sig = doc.find("signature");
  if (sig == doc.end() || sig->is_null() || (sig->is_string() && sig->get_ref<const std::string&>().empty())) {
    reject("signature missing");
  }
  if (!sig->is_string()) reject("invalid signature: expected a hex string");
  try {
    eth::Bytes raw = eth::fromHex(sig->get_ref<const std::string&>(), eth::HexPrefix::kOptional);
    if (raw.size() != 96) reject("incorrect length for signature");
    s.signature = eth::toHex(raw);
  } catch (const eth::DecodeError& e) {
    reject(fmt::format("invalid signature: {}", e.what()));
  }
  const json& payload = objectMember(doc, "execution_payload", "execution payload missing");
  const json& blobs = objectMember(doc, "blobs_bundle", "blobs bundle missing");
  for (std::string_view list : {"commitments", "proofs", "blobs"}) {
    auto it = blobs.find(list);
    if (it == blobs.end() || !it->is_array()) reject(fmt::format("blobs bundle: {} missing", list));
  }
  s.message = parseBidTrace(message);
  s.execution_payload = parsePayload(payload);
  return s;
}

}  // namespace bnet::devnet
