#include "tools/builder-standin/flowproxy.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/eth/transaction.hpp"

namespace bnet::standin {

namespace eth = e2e::eth;
using nlohmann::json;
using nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------
// Configuration

FlowProxyConfig parseFlowProxyCommandLine(const std::vector<std::string>& args) {
  CLI::App app{"bnet-builder-standin flowproxy: the orderflow proxy (FlowProxy) stand-in", "flowproxy"};
  std::string user_listen, system_listen, builder_name, builder_url, ready_endpoint = "http://127.0.0.1:6070";
  std::string hub_url, metrics, signer_text, flashbots_signer, builder_listen, key_pem, cert_pem;
  std::size_t max_request_size = kDefaultMaxRequestBytes, max_txs = kDefaultMaxTxsPerBundle;
  bool rate_limiting = false, disable_forwarding = false, gzip = false, log_json = false;
  std::uint64_t rate_limit_count = 500, rate_limit_lookback = 1, peer_interval = 30, cache_ttl = 60,
                cache_size = 1048576;
  int hub_attempts = 10;

  app.add_option("--user-listen-addr", user_listen, "User JSON-RPC listen address host:port")
      ->envname("USER_LISTEN_ADDR")
      ->required();
  app.add_option("--system-listen-addr", system_listen, "System (peer) listen address host:port")
      ->envname("SYSTEM_LISTEN_ADDR")
      ->required();
  app.add_option("--builder-name", builder_name, "This builder's name")->envname("BUILDERNET_NODE_NAME")->required();
  app.add_option("--builder-url", builder_url, "Local builder JSON-RPC URL (rbuilder :8645)")->envname("BUILDER_ENDPOINT");
  app.add_option("--builder-ready-endpoint", ready_endpoint, "Base URL whose /readyz tells the builder is ready")
      ->envname("BUILDER_READY_ENDPOINT");
  app.add_option("--builder-hub-url", hub_url, "BuilderHub URL (credentials registration, peers)")
      ->envname("BUILDERHUB_ENDPOINT");
  app.add_option("--builder-listen-addr", builder_listen, "Accepted for compatibility; not served")
      ->envname("BUILDER_LISTEN_ADDR");
  app.add_option("--metrics", metrics, "Prometheus metrics listen address host:port")->envname("METRICS_ADDR");
  app.add_option("--orderflow-signer", signer_text, "Orderflow signer private key (random if unset)")
      ->envname("FLASHBOTS_ORDERFLOW_SIGNER");
  app.add_option("--flashbots-signer", flashbots_signer, "Trusted Flashbots signer address")
      ->envname("FLASHBOTS_ORDERFLOW_SIGNER_ADDRESS");
  app.add_option("--private-key-pem-file", key_pem, "Accepted for compatibility; unused")->envname("PRIVATE_KEY_PEM_FILE");
  app.add_option("--certificate-pem-file", cert_pem, "Accepted for compatibility; unused")
      ->envname("CERTIFICATE_PEM_FILE");
  app.add_option("--max-request-size", max_request_size, "Largest request body in bytes (413 above)");
  app.add_option("--max-txs-per-bundle", max_txs, "Most transactions in one bundle");
  app.add_flag("--enable-rate-limiting", rate_limiting, "Accepted; the stand-in does not rate-limit");
  app.add_option("--rate-limit-count", rate_limit_count, "Accepted; unused");
  app.add_option("--rate-limit-lookback-s", rate_limit_lookback, "Accepted; unused");
  app.add_flag("--disable-forwarding", disable_forwarding, "Do not forward orders to the builder");
  app.add_option("--peer.update-interval-s", peer_interval, "Seconds between BuilderHub peer list fetches");
  app.add_flag("--http.enable-gzip", gzip, "Accepted; bodies are not decompressed");
  app.add_flag("--log.json", log_json, "Accepted; logs are text");
  app.add_option("--order-cache.ttl", cache_ttl, "Seconds a seen order hash is remembered");
  app.add_option("--order-cache.size", cache_size, "Most remembered order hashes");
  app.add_option("--hub-register-attempts", hub_attempts, "Stand-in: BuilderHub registration tries before exiting")
      ->envname("BNET_STANDIN_HUB_REGISTER_ATTEMPTS");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    throw UsageExit{.code = 0, .text = app.help()};
  } catch (const CLI::ParseError& e) {
    throw UsageExit{.code = 2, .text = fmt::format("flowproxy: {}\nRun with --help for the flags.\n", e.what())};
  }

  FlowProxyConfig c;
  c.user_listen_addr = parseListenAddress(user_listen, "--user-listen-addr (USER_LISTEN_ADDR)");
  c.system_listen_addr = parseListenAddress(system_listen, "--system-listen-addr (SYSTEM_LISTEN_ADDR)");
  if (builder_name.empty()) throw ConfigError("--builder-name (BUILDERNET_NODE_NAME): must not be empty");
  std::replace(builder_name.begin(), builder_name.end(), '-', '_');
  c.builder_name = builder_name;
  if (!builder_url.empty()) {
    parseHttpUrl(builder_url, "--builder-url (BUILDER_ENDPOINT)");
    c.builder_url = builder_url;
  }
  if (!ready_endpoint.empty()) parseHttpUrl(ready_endpoint, "--builder-ready-endpoint (BUILDER_READY_ENDPOINT)");
  c.builder_ready_endpoint = ready_endpoint;
  if (!hub_url.empty()) {
    c.builder_hub_url = parseHttpUrl(hub_url, "--builder-hub-url (BUILDERHUB_ENDPOINT)").base;
  }
  if (!metrics.empty()) c.metrics_addr = parseListenAddress(metrics, "--metrics (METRICS_ADDR)");
  if (!signer_text.empty()) {
    try {
      c.orderflow_signer = eth::PrivateKey::fromHex(signer_text);
    } catch (const eth::EthError&) {
      std::fill(signer_text.begin(), signer_text.end(), '\0');
      throw ConfigError(
          "--orderflow-signer (FLASHBOTS_ORDERFLOW_SIGNER): not a secp256k1 private key (64 hex digits, with or "
          "without 0x)");
    }
    std::fill(signer_text.begin(), signer_text.end(), '\0');
  } else {
    c.orderflow_signer = eth::PrivateKey::random();
  }
  if (!flashbots_signer.empty()) {
    try {
      c.flashbots_signer = eth::Address::fromHex(flashbots_signer);
    } catch (const eth::DecodeError& e) {
      throw ConfigError(fmt::format("--flashbots-signer (FLASHBOTS_ORDERFLOW_SIGNER_ADDRESS): {}", e.what()));
    }
  }
  if (max_request_size == 0) throw ConfigError("--max-request-size: must be above 0");
  c.max_request_size = max_request_size;
  c.max_txs_per_bundle = max_txs;
  c.disable_forwarding = disable_forwarding;
  c.order_cache_ttl = std::chrono::seconds(cache_ttl);
  c.order_cache_size = cache_size;
  if (peer_interval == 0) throw ConfigError("--peer.update-interval-s: must be above 0");
  c.peer_update_interval = std::chrono::seconds(peer_interval);
  if (hub_attempts < 1) throw ConfigError("--hub-register-attempts (BNET_STANDIN_HUB_REGISTER_ATTEMPTS): must be >= 1");
  c.hub_register_attempts = hub_attempts;
  return c;
}

// ---------------------------------------------------------------------------------------
// Signature

std::optional<eth::Address> verifyOrderflowSignature(const SignatureHeaders& headers, std::string_view body) {
  const std::optional<std::string>& chosen = headers.buildernet ? headers.buildernet : headers.flashbots;
  if (!chosen) return std::nullopt;
  eth::SignatureHeaderCheck check = eth::verifySignatureHeader(*chosen, body);
  return check.signer;
}

// ---------------------------------------------------------------------------------------
// JSON-RPC

std::string jsonRpcErrorBody(std::optional<std::uint64_t> id, int code, std::string_view message) {
  ordered_json out;
  out["id"] = id ? ordered_json(*id) : ordered_json(nullptr);
  out["jsonrpc"] = "2.0";
  out["error"] = ordered_json{{"code", code}, {"message", message}};
  return out.dump();
}

namespace {

std::string resultBody(std::uint64_t id, ordered_json result) {
  ordered_json out;
  out["id"] = id;
  out["jsonrpc"] = "2.0";
  out["result"] = std::move(result);
  return out.dump();
}

IngressReply errorReply(int status, std::optional<std::uint64_t> id, int code, std::string_view message,
                        std::string outcome, std::string method = "", std::string detail = "") {
  return IngressReply{.status = status,
                      .body = jsonRpcErrorBody(id, code, message),
                      .method = std::move(method),
                      .outcome = std::move(outcome),
                      .detail = std::move(detail)};
}

// A bundle field that does not deserialize into rbuilder's RawBundle.
struct InvalidParams {
  std::string why;
};

[[noreturn]] void invalid(std::string why) { throw InvalidParams{std::move(why)}; }

bool present(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && !it->is_null();
}

std::uint64_t u64Field(const json& obj, const char* name) {
  const json& v = obj.at(name);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
    invalid(fmt::format("{} must be a non-negative integer", name));
  }
  return v.get<std::uint64_t>();
}

std::string stringField(const json& obj, const char* name) {
  const json& v = obj.at(name);
  if (!v.is_string()) invalid(fmt::format("{} must be a string", name));
  return v.get<std::string>();
}

std::string hashField(const json& v, const std::string& where) {
  if (!v.is_string()) invalid(fmt::format("{} must be a 32-byte hex string", where));
  try {
    return eth::Hash32::fromHex(v.get<std::string>()).hex();
  } catch (const eth::DecodeError& e) {
    invalid(fmt::format("{}: {}", where, e.what()));
  }
}

json hashList(const json& obj, const char* name) {
  const json& v = obj.at(name);
  if (!v.is_array()) invalid(fmt::format("{} must be an array of hashes", name));
  json out = json::array();
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(hashField(v[i], fmt::format("{}[{}]", name, i)));
  return out;
}

std::string addressField(const json& obj, const char* name) {
  std::string text = stringField(obj, name);
  try {
    return eth::Address::fromHex(text).checksummed();
  } catch (const eth::DecodeError& e) {
    invalid(fmt::format("{}: {}", name, e.what()));
  }
}

bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && eth::detail::hexDigitValue(s[i]) < 0) return false;
  }
  return true;
}

// rbuilder's RawBundle (orderflow.md §5) as FlowProxy re-serialises it: known fields only,
// absent/null optional fields left out, txs always present.
json normalizeBundle(const json& in) {
  if (!in.is_object()) invalid("the bundle must be a JSON object");
  json out = json::object();
  json txs = json::array();
  if (present(in, "txs")) {
    const json& t = in.at("txs");
    if (!t.is_array()) invalid("txs must be an array of hex strings");
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (!t[i].is_string()) invalid(fmt::format("txs[{}] must be a hex string", i));
      try {
        eth::fromHex(t[i].get<std::string>());
      } catch (const eth::DecodeError& e) {
        invalid(fmt::format("txs[{}]: {}", i, e.what()));
      }
      txs.push_back(t[i]);
    }
  }
  out["txs"] = txs;
  if (present(in, "blockNumber")) {
    const json& b = in.at("blockNumber");
    if (!b.is_string()) invalid("blockNumber must be a hex quantity string");
    auto n = parseHexU64(b.get<std::string>());
    if (!n) invalid("blockNumber must be a 0x-hex number of at most 64 bits");
    out["blockNumber"] = eth::toQuantity(*n);
  }
  for (const char* name : {"minTimestamp", "maxTimestamp", "replacementNonce"}) {
    if (present(in, name)) out[name] = u64Field(in, name);
  }
  for (const char* name : {"revertingTxHashes", "droppingTxHashes", "refundTxHashes"}) {
    if (present(in, name)) out[name] = hashList(in, name);
  }
  for (const char* name : {"replacementUuid", "uuid"}) {
    if (present(in, name)) {
      std::string u = stringField(in, name);
      if (!isUuid(u)) invalid(fmt::format("{} must be a UUID", name));
      out[name] = u;
    }
  }
  if (present(in, "refundPercent")) {
    std::uint64_t p = u64Field(in, "refundPercent");
    if (p > 255) invalid("refundPercent must fit in 8 bits");
    out["refundPercent"] = p;
  }
  for (const char* name : {"refundRecipient", "refundIdentity", "signingAddress"}) {
    if (present(in, name)) out[name] = addressField(in, name);
  }
  if (present(in, "delayedRefund")) {
    if (!in.at("delayedRefund").is_boolean()) invalid("delayedRefund must be a boolean");
    out["delayedRefund"] = in.at("delayedRefund");
  }
  if (present(in, "version")) out["version"] = stringField(in, "version");
  return out;
}

}  // namespace

std::string bundleFingerprint(const json& bundle) {
  json copy = bundle;
  copy.erase("bundleHash");
  return eth::keccak256(copy.dump()).hex();
}

bool UserIngress::seenBefore(const std::string& hash) {
  std::uint64_t now = config_.now_us();
  std::uint64_t ttl = static_cast<std::uint64_t>(config_.order_cache_ttl.count()) * 1'000'000;
  std::lock_guard lock(mu_);
  auto it = cache_.find(hash);
  if (it != cache_.end() && it->second > now) return true;
  if (cache_.size() >= config_.order_cache_size) {
    for (auto i = cache_.begin(); i != cache_.end();) i = i->second <= now ? cache_.erase(i) : std::next(i);
    if (cache_.size() >= config_.order_cache_size && !cache_.empty()) cache_.erase(cache_.begin());
  }
  cache_[hash] = now + ttl;
  return false;
}

IngressReply UserIngress::handle(const SignatureHeaders& headers, std::string_view body) {
  auto signer = verifyOrderflowSignature(headers, body);
  if (!signer) return errorReply(400, std::nullopt, -32603, "Invalid signature", "invalid_signature");

  json request;
  try {
    request = json::parse(body);
  } catch (const json::exception&) {  // parse_error, or out_of_range for a number like 1e999 (serde: a parse error)
    return errorReply(400, std::nullopt, -32700, "Parse error", "parse_error");
  }
  // FlowProxy's JsonRpcRequest<Value>: id u64, jsonrpc and method strings, params an
  // optional array; anything else fails deserialisation (a parse error).
  auto field = [&](const char* name) -> const json* {
    auto it = request.find(name);
    return it == request.end() ? nullptr : &*it;
  };
  if (!request.is_object()) return errorReply(400, std::nullopt, -32700, "Parse error", "parse_error");
  const json* id = field("id");
  const json* version = field("jsonrpc");
  const json* method = field("method");
  const json* params = field("params");
  bool shape_ok = id && id->is_number_unsigned() && version && version->is_string() && method && method->is_string() &&
                  (!params || params->is_null() || params->is_array());
  if (!shape_ok) return errorReply(400, std::nullopt, -32700, "Parse error", "parse_error");
  if (version->get<std::string>() != "2.0") {
    return errorReply(400, std::nullopt, -32600, "Invalid Request", "invalid_request");
  }
  std::uint64_t rid = id->get<std::uint64_t>();
  std::string m = method->get<std::string>();
  bool single = params && params->is_array() && params->size() == 1;

  if (m == "eth_sendBundle") {
    if (!single) return errorReply(400, rid, -32602, "Invalid params", "invalid_params", m, "params must hold one bundle");
    return sendBundle(rid, *signer, (*params)[0]);
  }
  if (m == "eth_sendRawTransaction") {
    if (!single) {
      return errorReply(400, rid, -32602, "Invalid params", "invalid_params", m, "params must hold one raw transaction");
    }
    return sendRawTransaction(rid, (*params)[0]);
  }
  return errorReply(404, rid, -32601, fmt::format("Method not found: {}", m), "method_not_found", m);
}

IngressReply UserIngress::sendBundle(std::uint64_t id, const eth::Address& signer, const json& param) {
  const std::string method = "eth_sendBundle";
  json bundle;
  try {
    bundle = normalizeBundle(param);
  } catch (const InvalidParams& e) {
    return errorReply(400, id, -32602, "Invalid params", "invalid_params", method, e.why);
  }
  bundle["signingAddress"] = signer.checksummed();
  bool has_uuid = bundle.contains("uuid") || bundle.contains("replacementUuid");
  if (has_uuid && !bundle.contains("replacementNonce")) bundle["replacementNonce"] = config_.now_us();
  if (!bundle.contains("version")) bundle["version"] = "v2";
  std::string hash = bundleFingerprint(bundle);

  ordered_json result{{"bundleHash", hash}};
  if (seenBefore(hash)) {
    return IngressReply{.status = 200, .body = resultBody(id, result), .method = method, .outcome = "duplicate"};
  }

  // SystemBundle::try_decode: every check below is an InvalidParams for the caller.
  auto reject = [&](std::string why) { return errorReply(400, id, -32602, "Invalid params", "invalid_params", method, why); };
  const json& txs = bundle["txs"];
  if (txs.size() > config_.max_txs_per_bundle) {
    return reject(fmt::format("{} transactions, at most {}", txs.size(), config_.max_txs_per_bundle));
  }
  if (txs.empty() && !has_uuid) return reject("empty bundle without a replacementUuid");
  for (std::size_t i = 0; i < txs.size(); ++i) {
    try {
      eth::decodeTransactionHex(txs[i].get<std::string>());
    } catch (const eth::EthError& e) {
      return reject(fmt::format("txs[{}]: {}", i, e.what()));
    }
  }
  const std::string v = bundle["version"].get<std::string>();
  if (v != "v1" && v != "v2") return reject(fmt::format("unknown version '{}' (v1 or v2)", eth::quoteForError(v, 20)));
  if (v == "v1") {
    for (const char* f : {"refundPercent", "refundRecipient", "refundTxHashes", "droppingTxHashes"}) {
      if (bundle.contains(f)) return reject(fmt::format("{} is not allowed in a v1 bundle", f));
    }
  }
  if (bundle.contains("refundPercent") && bundle["refundPercent"].get<std::uint64_t>() >= 100) {
    return reject("refundPercent must be below 100");
  }
  if (bundle.contains("refundTxHashes") && bundle["refundTxHashes"].size() > 1) {
    return reject("at most one refundTxHashes entry");
  }
  bundle["bundleHash"] = hash;

  ordered_json forwarded;
  forwarded["id"] = 1;
  forwarded["jsonrpc"] = "2.0";
  forwarded["method"] = method;
  forwarded["params"] = ordered_json::array({ordered_json(bundle)});
  return IngressReply{.status = 200,
                      .body = resultBody(id, result),
                      .forward = ForwardedOrder{.method = method, .body = forwarded.dump(), .hash = hash},
                      .method = method,
                      .outcome = "ok"};
}

IngressReply UserIngress::sendRawTransaction(std::uint64_t id, const json& param) {
  const std::string method = "eth_sendRawTransaction";
  if (!param.is_string()) {
    return errorReply(400, id, -32602, "Invalid params", "invalid_params", method, "the parameter must be a hex string");
  }
  std::string raw = param.get<std::string>();
  std::string hash;
  try {
    eth::SignedTx tx = eth::decodeTransactionHex(raw);
    hash = tx.hash().hex();
    raw = tx.rawHex();
  } catch (const eth::EthError& e) {
    return errorReply(400, id, -32602, "Invalid params", "invalid_params", method, e.what());
  }
  if (seenBefore(hash)) {
    return IngressReply{.status = 200, .body = resultBody(id, hash), .method = method, .outcome = "duplicate"};
  }
  ordered_json forwarded;
  forwarded["id"] = 1;
  forwarded["jsonrpc"] = "2.0";
  forwarded["method"] = method;
  forwarded["params"] = ordered_json::array({raw});
  return IngressReply{.status = 200,
                      .body = resultBody(id, hash),
                      .forward = ForwardedOrder{.method = method, .body = forwarded.dump(), .hash = hash},
                      .method = method,
                      .outcome = "ok"};
}

}  // namespace bnet::standin
