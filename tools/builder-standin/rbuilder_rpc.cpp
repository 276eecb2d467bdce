#include "tools/builder-standin/rbuilder_rpc.hpp"

#include <fmt/format.h>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/transaction.hpp"
#include "tools/builder-standin/common.hpp"

namespace bnet::standin {

namespace eth = e2e::eth;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kTarget = "rbuilder::live_builder::order_input::rpc_server";

ordered_json response(const json& id, ordered_json result) {
  ordered_json out;
  out["jsonrpc"] = "2.0";
  out["result"] = std::move(result);
  out["id"] = ordered_json::parse(id.dump());
  return out;
}

ordered_json errorResponse(const json& id, int code, std::string_view message) {
  ordered_json out;
  out["jsonrpc"] = "2.0";
  out["error"] = ordered_json{{"code", code}, {"message", message}};
  out["id"] = ordered_json::parse(id.dump());
  return out;
}

// A RawBundle field that does not parse (rbuilder: "Failed to parse raw bundle").
struct BadBundle {
  std::string why;
};

std::uint64_t u64(const json& v, const char* name) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  throw BadBundle{fmt::format("{} must be a non-negative integer", name)};
}

}  // namespace

void OrderInput::rpcError(std::string_view kind, std::string_view message, const LogFields& fields) {
  metrics_.increment("rbuilder_order_input_rpc_errors", {{"kind", std::string(kind)}});
  log_.warn(kTarget, message, fields);
}

json OrderInput::sendBundle(const json& params) {
  metrics_.increment("orderpool_commands_received", {{"kind", "bundle"}});
  const json& raw = params[0];
  Order bundle;
  std::optional<std::string> uuid;
  bool has_nonce = false;
  try {
    if (!raw.is_object()) throw BadBundle{"the bundle is not a JSON object"};
    if (raw.contains("txs") && !raw["txs"].is_null()) {
      if (!raw["txs"].is_array()) throw BadBundle{"txs is not an array"};
    }
    if (raw.contains("blockNumber") && !raw["blockNumber"].is_null()) {
      if (!raw["blockNumber"].is_string()) throw BadBundle{"blockNumber is not a hex quantity"};
      auto n = parseHexU64(raw["blockNumber"].get<std::string>());
      if (!n) throw BadBundle{"blockNumber is not a 0x-hex number of at most 64 bits"};
      bundle.block_number = *n;
    }
    if (raw.contains("minTimestamp") && !raw["minTimestamp"].is_null()) bundle.min_timestamp = u64(raw["minTimestamp"], "minTimestamp");
    if (raw.contains("maxTimestamp") && !raw["maxTimestamp"].is_null()) bundle.max_timestamp = u64(raw["maxTimestamp"], "maxTimestamp");
    for (const char* name : {"replacementUuid", "uuid"}) {
      if (raw.contains(name) && !raw[name].is_null()) {
        if (!raw[name].is_string()) throw BadBundle{fmt::format("{} is not a string", name)};
        uuid = raw[name].get<std::string>();
      }
    }
    if (raw.contains("replacementNonce") && !raw["replacementNonce"].is_null()) {
      bundle.replacement_nonce = u64(raw["replacementNonce"], "replacementNonce");
      has_nonce = true;
    }
    if (raw.contains("signingAddress") && !raw["signingAddress"].is_null()) {
      try {
        if (!raw["signingAddress"].is_string()) throw eth::DecodeError("not a string");
        bundle.signing_address = eth::Address::fromHex(raw["signingAddress"].get<std::string>());
      } catch (const eth::DecodeError& e) {
        throw BadBundle{fmt::format("signingAddress: {}", e.what())};
      }
    }
  } catch (const BadBundle& e) {
    rpcError("parse_bundle", "Failed to parse raw bundle", {{"error", e.why}});
    return nullptr;
  }
  if (!raw.contains("bundleHash") || raw["bundleHash"].is_null()) log_.warn(kTarget, "Bundle hash is not set");

  if (raw.contains("txs") && raw["txs"].is_array()) {
    const json& txs = raw["txs"];
    for (std::size_t i = 0; i < txs.size(); ++i) {
      try {
        if (!txs[i].is_string()) throw eth::DecodeError("not a hex string");
        bundle.txs.push_back(eth::decodeTransactionHex(txs[i].get<std::string>()));
      } catch (const eth::EthError& e) {
        rpcError("decode_bundle", "Failed to decode raw bundle", {{"error", fmt::format("txs[{}]: {}", i, e.what())}});
        return nullptr;
      }
    }
  }
  if (uuid) {
    if (!has_nonce || !bundle.signing_address) {
      rpcError("decode_bundle", "Failed to decode raw bundle", {{"error", "Incorrect replacement data"}});
      return nullptr;
    }
    bundle.replacement_uuid = uuid;
  } else if (bundle.txs.empty()) {
    rpcError("decode_bundle", "Failed to decode raw bundle", {{"error", "EmptyBundle"}});
    return nullptr;
  }
  std::size_t n = bundle.txs.size();
  PoolOutcome outcome = pool_.addBundle(std::move(bundle), std::chrono::steady_clock::now());
  log_.debug(kTarget, "Received bundle",
             {{"txs", std::to_string(n)}, {"uuid", uuid.value_or("")}, {"outcome", std::string(describe(outcome))}});
  return nullptr;
}

json OrderInput::cancelBundle(const json& params) {
  metrics_.increment("orderpool_commands_received", {{"kind", "cancel_bundle"}});
  const json& raw = params[0];
  try {
    if (!raw.is_object() || !raw.contains("replacementUuid") || !raw["replacementUuid"].is_string() ||
        !raw.contains("signingAddress") || !raw["signingAddress"].is_string()) {
      throw BadBundle{"expected {replacementUuid, signingAddress}"};
    }
    eth::Address signer = eth::Address::fromHex(raw["signingAddress"].get<std::string>());
    bool found = pool_.cancel(raw["replacementUuid"].get<std::string>(), signer);
    log_.debug(kTarget, "Received bundle cancellation", {{"found", found ? "true" : "false"}});
  } catch (const BadBundle& e) {
    rpcError("parse_cancel_bundle", "Failed to parse cancel bundle", {{"error", e.why}});
  } catch (const eth::DecodeError& e) {
    rpcError("parse_cancel_bundle", "Failed to parse cancel bundle", {{"error", e.what()}});
  }
  return nullptr;
}

ordered_json OrderInput::call(const json& request) {
  if (!request.is_object() || !request.contains("method") || !request["method"].is_string() ||
      (request.contains("jsonrpc") && request["jsonrpc"] != "2.0")) {
    json id = request.is_object() && request.contains("id") ? request["id"] : json(nullptr);
    return errorResponse(id, -32600, "Invalid request");
  }
  bool notification = !request.contains("id");
  json id = notification ? json(nullptr) : request["id"];
  const std::string method = request["method"].get<std::string>();
  json params = request.contains("params") ? request["params"] : json::array();
  bool has_one = params.is_array() && !params.empty();

  ordered_json result;
  auto start = std::chrono::steady_clock::now();
  if (method == "eth_sendBundle") {
    if (!has_one) return errorResponse(id, -32602, "Invalid params");
    result = sendBundle(params);
  } else if (method == "mev_sendBundle") {
    if (!has_one) return errorResponse(id, -32602, "Invalid params");
    metrics_.increment("orderpool_commands_received", {{"kind", "share_bundle"}});
    log_.debug(kTarget, "mev_sendBundle accepted but not built by the stand-in");
    result = nullptr;
  } else if (method == "eth_cancelBundle") {
    if (!has_one) return errorResponse(id, -32602, "Invalid params");
    result = cancelBundle(params);
  } else if (method == "eth_sendRawTransaction") {
    if (!has_one || !params[0].is_string()) return errorResponse(id, -32602, "Invalid params");
    metrics_.increment("orderpool_commands_received", {{"kind", "tx"}});
    try {
      eth::SignedTx tx = eth::decodeTransactionHex(params[0].get<std::string>());
      std::string hash = tx.hash().hex();
      PoolOutcome outcome = pool_.addTransaction(std::move(tx), std::chrono::steady_clock::now());
      log_.debug(kTarget, "Received transaction", {{"hash", hash}, {"outcome", std::string(describe(outcome))}});
      result = hash;
    } catch (const eth::EthError& e) {
      rpcError("decode_tx", "Failed to decode raw transaction", {{"error", e.what()}});
      return errorResponse(id, -32602, "failed to verify transaction");
    }
  } else {
    return errorResponse(id, -32601, "Method not found");
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  metrics_.observe("rpc_processing_time", {{"api", method}}, static_cast<double>(micros));
  if (notification) return nullptr;
  return response(id, std::move(result));
}

RpcReply OrderInput::handle(std::string_view body) {
  json request;
  try {
    request = json::parse(body);
  } catch (const json::exception&) {  // parse_error, or out_of_range for a number like 1e999 (serde: a parse error)
    return RpcReply{.status = 200, .body = errorResponse(nullptr, -32700, "Parse error").dump()};
  }
  if (request.is_array()) {
    if (request.empty()) return RpcReply{.status = 200, .body = errorResponse(nullptr, -32600, "Invalid request").dump()};
    ordered_json out = ordered_json::array();
    for (const json& r : request) {
      ordered_json one = call(r);
      if (!one.is_null()) out.push_back(std::move(one));
    }
    return RpcReply{.status = 200, .body = out.empty() ? "" : out.dump()};
  }
  ordered_json one = call(request);
  return RpcReply{.status = 200, .body = one.is_null() ? "" : one.dump()};
}

}  // namespace bnet::standin
