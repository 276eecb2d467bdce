#include "tools/devnet/relay.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/u256.hpp"

namespace bnet::devnet {

namespace eth = e2e::eth;
using nlohmann::json;

namespace {

std::uint64_t nowMs() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string str(std::uint64_t v) { return std::to_string(v); }

HttpReply errorReply(int status, std::string_view message) {
  return HttpReply{.status = status, .body = json{{"code", status}, {"message", message}}.dump()};
}

// A decimal query argument; nullopt when absent, error reply text when malformed.
std::optional<std::uint64_t> decimalArg(const Query& q, const std::string& name, std::optional<HttpReply>& error) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  const std::string& v = it->second;
  bool ok = !v.empty() && v.size() <= 20 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (ok) {
    try {
      return eth::toUint64(eth::parseDecimal(v), name);
    } catch (const eth::DecodeError&) {
    }
  }
  error = errorReply(400, fmt::format("invalid {} argument", name));
  return std::nullopt;
}

std::optional<std::string> hexArg(const Query& q, const std::string& name, std::size_t size,
                                  std::optional<HttpReply>& error) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  try {
    eth::Bytes b = eth::fromHex(it->second, eth::HexPrefix::kRequired);
    if (b.size() == size) return eth::toHex(b);
  } catch (const eth::DecodeError&) {
  }
  error = errorReply(400, fmt::format("invalid {} argument", name));
  return std::nullopt;
}

// The duties the relay knows: every slot after the head up to the end of the next epoch.
bool hasDuty(const ChainParams& p, std::uint64_t head_slot, std::uint64_t slot) {
  std::uint64_t last = ((head_slot + 1) / p.slots_per_epoch + 2) * p.slots_per_epoch - 1;
  return slot > head_slot && slot <= last;
}

}  // namespace

json bidTraceJson(const BidTrace& t, std::uint64_t block_number, std::uint64_t num_tx) {
  return json{{"slot", str(t.slot)},
              {"parent_hash", t.parent_hash.hex()},
              {"block_hash", t.block_hash.hex()},
              {"builder_pubkey", t.builder_pubkey},
              {"proposer_pubkey", t.proposer_pubkey},
              {"proposer_fee_recipient", t.proposer_fee_recipient.hex()},
              {"gas_limit", str(t.gas_limit)},
              {"gas_used", str(t.gas_used)},
              {"value", eth::toDecimal(t.value)},
              {"num_tx", str(num_tx)},
              {"block_number", str(block_number)}};
}

void Relay::announce(const PayloadAttributes& attributes) {
  std::lock_guard lock(mu_);
  attributes_[attributes.proposal_slot] = attributes;
  while (!attributes_.empty() && attributes_.begin()->first + 2 < attributes.proposal_slot) {
    attributes_.erase(attributes_.begin());
  }
}

std::optional<ReceivedBid> Relay::closeSlot(std::uint64_t slot, const eth::Hash32& parent_hash) {
  std::lock_guard lock(mu_);
  head_slot_ = std::max(head_slot_, slot);
  std::optional<ReceivedBid> best;
  auto it = candidates_.find(slot);
  if (it != candidates_.end()) {
    const auto& bids = it->second;
    for (std::size_t i = 0; i < bids.size(); ++i) {
      const ReceivedBid& bid = bids[i];
      if (bid.submission.message.parent_hash != parent_hash) continue;
      // With cancellations, only a builder's latest submission counts.
      bool replaced = std::any_of(bids.begin() + static_cast<std::ptrdiff_t>(i) + 1, bids.end(), [&](const ReceivedBid& later) {
        return later.cancellable && later.submission.message.builder_pubkey == bid.submission.message.builder_pubkey;
      });
      if (replaced) continue;
      if (!best || bid.submission.message.value > best->submission.message.value) best = bid;
    }
  }
  candidates_.erase(candidates_.begin(), candidates_.upper_bound(slot));
  return best;
}

void Relay::recordDelivered(const ReceivedBid& bid, const Block& block) {
  Delivered d{.trace = bid.submission.message,
              .block_number = block.number,
              .num_tx = block.transaction_hashes.size()};
  // Departure (README): the chain's block hash, not the bid's, since anvil computes its own.
  d.trace.block_hash = block.hash;
  d.trace.parent_hash = block.parent_hash;
  d.trace.gas_limit = block.gas_limit;
  d.trace.gas_used = block.gas_used;
  {
    std::lock_guard lock(mu_);
    delivered_.push_back(d);
  }
  log_.info("execution payload delivered",
            {{"slot", str(d.trace.slot)},
             {"blockNumber", str(block.number)},
             {"blockHash", block.hash.hex()},
             {"bidBlockHash", bid.submission.message.block_hash.hex()},
             {"builderPubkey", d.trace.builder_pubkey},
             {"numTx", str(d.num_tx)},
             {"value", eth::toDecimal(d.trace.value)}});
}

HttpReply Relay::reject(int status, std::string message, const Logger::Fields& fields) {
  Logger::Fields all = fields;
  all.emplace_back("method", "submitNewBlock");
  log_.info("submitNewBlock failed: " + message, all);
  return errorReply(status, message);
}

HttpReply Relay::submitBlock(std::string_view body, const Query& query) {
  std::uint64_t received_ms = nowMs();
  Submission s;
  try {
    s = parseSubmission(body);
  } catch (const SubmissionError& e) {
    return reject(e.status(), e.what(), {{"payloadBytes", str(body.size())}});
  }
  const BidTrace& m = s.message;
  const ExecutionPayload& p = s.execution_payload;
  Logger::Fields fields{{"slot", str(m.slot)},
                        {"builderPubkey", m.builder_pubkey},
                        {"blockHash", m.block_hash.hex()},
                        {"proposerPubkey", m.proposer_pubkey},
                        {"parentHash", m.parent_hash.hex()},
                        {"value", eth::toDecimal(m.value)},
                        {"numTx", str(p.transactions.size())},
                        {"payloadBytes", str(body.size())}};
  std::lock_guard lock(mu_);
  fields.emplace_back("headSlot", str(head_slot_));
  if (m.slot <= head_slot_) return reject(400, "submission for past slot", fields);
  std::uint64_t expected_ts = params_.slotTime(m.slot);
  if (p.timestamp != expected_ts) {
    return reject(400, fmt::format("incorrect timestamp. got {}, expected {}", p.timestamp, expected_ts), fields);
  }
  if (!hasDuty(params_, head_slot_, m.slot)) return reject(400, "could not find slot duty", fields);
  if (m.proposer_fee_recipient != params_.proposer_fee_recipient) {
    Logger::Fields f = fields;
    f.emplace_back("expectedFeeRecipient", params_.proposer_fee_recipient.hex());
    f.emplace_back("actualFeeRecipient", m.proposer_fee_recipient.hex());
    return reject(400, "fee recipient does not match", f);
  }
  if (m.value == 0 || p.transactions.empty()) {
    Logger::Fields f = fields;
    f.emplace_back("method", "submitNewBlock");
    log_.info("submitNewBlock failed: block with 0 value or no txs", f);
    return HttpReply{.status = 200, .body = "", .content_type = "text/plain"};
  }
  if (m.block_hash != p.block_hash) return reject(400, "blockHash mismatch", fields);
  if (m.parent_hash != p.parent_hash) return reject(400, "parentHash mismatch", fields);
  auto attrs = attributes_.find(m.slot);
  if (attrs == attributes_.end() || attrs->second.parent_block_hash != m.parent_hash) {
    Logger::Fields f = fields;
    f.emplace_back("attributesFound", attrs == attributes_.end() ? "false" : "true");
    return reject(400, "payload attributes not (yet) known", f);
  }
  if (p.prev_randao != attrs->second.prev_randao) {
    return reject(400,
                  fmt::format("incorrect prev_randao - got: {}, expected: {}", p.prev_randao.hex(),
                              attrs->second.prev_randao.hex()),
                  fields);
  }
  // Departure (README): the devnet has no withdrawals, so any withdrawal is wrong; the real
  // relay compares SSZ withdrawals roots.
  if (!p.withdrawals.empty()) {
    return reject(400, fmt::format("incorrect withdrawals root - got: {} withdrawals, expected: none", p.withdrawals.size()),
                  fields);
  }
  // The BLS signature is shape-checked only (96 bytes): Debian has no BLS12-381 library.
  auto cancellations = query.find("cancellations");
  ReceivedBid bid{.submission = s,
                  .received_ms = received_ms,
                  .sequence = next_sequence_++,
                  .cancellable = cancellations != query.end() && cancellations->second == "1"};
  received_.push_back(Received{.trace = m,
                               .block_number = p.block_number,
                               .num_tx = p.transactions.size(),
                               .received_ms = received_ms,
                               .sequence = bid.sequence});
  candidates_[m.slot].push_back(std::move(bid));
  fields.emplace_back("method", "submitNewBlock");
  log_.info("received block from builder", fields);
  return HttpReply{.status = 200, .body = "", .content_type = "text/plain"};
}

HttpReply Relay::builderBlocksReceived(const Query& q) const {
  if (q.count("cursor") && !q.at("cursor").empty()) return errorReply(400, "cursor argument not supported");
  std::optional<HttpReply> error;
  auto slot = decimalArg(q, "slot", error);
  if (error) return *error;
  auto block_hash = hexArg(q, "block_hash", 32, error);
  if (error) return *error;
  auto block_number = decimalArg(q, "block_number", error);
  if (error) return *error;
  auto builder = hexArg(q, "builder_pubkey", 48, error);
  if (error) return *error;
  if (!slot.value_or(0) && !block_hash && !block_number.value_or(0) && !builder) {
    return errorReply(400, "need to query for specific slot or block_hash or block_number or builder_pubkey");
  }
  std::uint64_t limit = 500;
  auto requested = decimalArg(q, "limit", error);
  if (error) return *error;
  if (requested) {
    if (*requested > limit) return errorReply(400, fmt::format("maximum limit is {}", limit));
    limit = *requested;
  }
  json out = json::array();
  std::lock_guard lock(mu_);
  for (auto it = received_.rbegin(); it != received_.rend() && out.size() < limit; ++it) {
    const Received& r = *it;
    if (slot.value_or(0) && r.trace.slot != *slot) continue;
    if (block_hash && r.trace.block_hash.hex() != *block_hash) continue;
    if (block_number.value_or(0) && r.block_number != *block_number) continue;
    if (builder && r.trace.builder_pubkey != *builder) continue;
    json entry = bidTraceJson(r.trace, r.block_number, r.num_tx);
    entry["timestamp"] = str(r.received_ms / 1000);
    entry["timestamp_ms"] = str(r.received_ms);
    entry["optimistic_submission"] = false;
    out.push_back(std::move(entry));
  }
  return HttpReply{.status = 200, .body = out.dump()};
}

HttpReply Relay::proposerPayloadDelivered(const Query& q) const {
  bool has_slot = q.count("slot") && !q.at("slot").empty();
  bool has_cursor = q.count("cursor") && !q.at("cursor").empty();
  if (has_slot && has_cursor) return errorReply(400, "cannot specify both slot and cursor");
  std::optional<HttpReply> error;
  auto slot = decimalArg(q, "slot", error);
  if (error) return *error;
  auto cursor = decimalArg(q, "cursor", error);
  if (error) return *error;
  auto block_hash = hexArg(q, "block_hash", 32, error);
  if (error) return *error;
  auto block_number = decimalArg(q, "block_number", error);
  if (error) return *error;
  auto proposer = hexArg(q, "proposer_pubkey", 48, error);
  if (error) return *error;
  auto builder = hexArg(q, "builder_pubkey", 48, error);
  if (error) return *error;
  std::uint64_t limit = 200;
  auto requested = decimalArg(q, "limit", error);
  if (error) return *error;
  if (requested) {
    if (*requested > limit) return errorReply(400, fmt::format("maximum limit is {}", limit));
    limit = *requested;
  }
  std::string order_by = q.count("order_by") ? q.at("order_by") : "";
  std::vector<Delivered> rows;
  {
    std::lock_guard lock(mu_);
    for (const Delivered& d : delivered_) {
      if (slot && d.trace.slot != *slot) continue;
      if (cursor && d.trace.slot > *cursor) continue;
      if (block_hash && d.trace.block_hash.hex() != *block_hash) continue;
      if (block_number && d.block_number != *block_number) continue;
      if (proposer && d.trace.proposer_pubkey != *proposer) continue;
      if (builder && d.trace.builder_pubkey != *builder) continue;
      rows.push_back(d);
    }
  }
  if (order_by == "value") {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.trace.value < b.trace.value; });
  } else if (order_by == "-value") {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.trace.value > b.trace.value; });
  } else {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.trace.slot > b.trace.slot; });
  }
  json out = json::array();
  for (const Delivered& d : rows) {
    if (out.size() >= limit) break;
    out.push_back(bidTraceJson(d.trace, d.block_number, d.num_tx));
  }
  return HttpReply{.status = 200, .body = out.dump()};
}

HttpReply Relay::builderValidators() const {
  std::uint64_t head;
  {
    std::lock_guard lock(mu_);
    head = head_slot_;
  }
  json out = json::array();
  for (std::uint64_t slot = head + 1; hasDuty(params_, head, slot); ++slot) {
    std::uint64_t index = params_.proposerIndex(slot);
    std::string pubkey = validatorPubkey(index);
    out.push_back(json{{"slot", str(slot)},
                       {"validator_index", str(index)},
                       {"entry",
                        {{"message",
                          {{"fee_recipient", params_.proposer_fee_recipient.hex()},
                           {"gas_limit", str(params_.gas_limit)},
                           {"timestamp", str(params_.genesis_time)},
                           {"pubkey", pubkey}}},
                         {"signature", standInSignature("registration " + pubkey)}}}});
  }
  return HttpReply{.status = 200, .body = out.dump()};
}

void Relay::registerRoutes(httplib::Server& server) {
  auto query = [](const httplib::Request& req) {
    Query q;
    for (const auto& [k, v] : req.params) q.emplace(k, v);
    return q;
  };
  auto send = [](httplib::Response& res, const HttpReply& reply) {
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type.c_str());
  };
  server.Get("/", [send](const httplib::Request&, httplib::Response& res) {
    send(res, HttpReply{.body = "bnet-devnet relay (mev-boost-relay API subset)\n", .content_type = "text/plain"});
  });
  server.Get("/livez", [send](const httplib::Request&, httplib::Response& res) {
    send(res, HttpReply{.body = R"({"message":"live"})"});
  });
  server.Get("/readyz", [send](const httplib::Request&, httplib::Response& res) {
    send(res, HttpReply{.body = "ready", .content_type = "text/plain"});
  });
  server.Get("/eth/v1/builder/status", [send](const httplib::Request&, httplib::Response& res) {
    send(res, HttpReply{.status = 200, .body = "", .content_type = "text/plain"});
  });
  server.Get("/relay/v1/builder/validators", [this, send](const httplib::Request&, httplib::Response& res) {
    send(res, builderValidators());
  });
  server.Post("/relay/v1/builder/blocks", [this, send, query](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type") == "application/octet-stream") {
      // Departure (README): SSZ submissions are not decoded.
      send(res, reject(400, "SSZ submissions are not supported by the devnet relay; send JSON", {}));
      return;
    }
    send(res, submitBlock(req.body, query(req)));
  });
  server.Get("/relay/v1/data/bidtraces/builder_blocks_received",
             [this, send, query](const httplib::Request& req, httplib::Response& res) {
               send(res, builderBlocksReceived(query(req)));
             });
  server.Get("/relay/v1/data/bidtraces/proposer_payload_delivered",
             [this, send, query](const httplib::Request& req, httplib::Response& res) {
               send(res, proposerPayloadDelivered(query(req)));
             });
}

}  // namespace bnet::devnet
