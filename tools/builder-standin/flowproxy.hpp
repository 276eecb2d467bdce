#pragma once
// The FlowProxy half of the builder stand-in, without I/O: its configuration (FlowProxy's
// flags and environment variables, reference orderflow.md §4) and the user endpoint's
// request handling (signature check, JSON-RPC validation, rewriting, deduplication).
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/eth/secp256k1.hpp"
#include "framework/eth/types.hpp"
#include "tools/builder-standin/common.hpp"

namespace bnet::standin {

inline constexpr std::string_view kBuilderNetSignatureHeader = "X-BuilderNet-Signature";
inline constexpr std::string_view kFlashbotsSignatureHeader = "X-Flashbots-Signature";
inline constexpr std::string_view kBuilderNetPriorityHeader = "X-BuilderNet-Priority";
inline constexpr std::string_view kBuilderNetSentAtHeader = "X-BuilderNet-SentAtUs";
inline constexpr std::size_t kDefaultMaxRequestBytes = 10 * 1024 * 1024;
inline constexpr std::size_t kDefaultMaxTxsPerBundle = 100;

struct FlowProxyConfig {
  ListenAddress user_listen_addr;     // --user-listen-addr / USER_LISTEN_ADDR (required)
  ListenAddress system_listen_addr;   // --system-listen-addr / SYSTEM_LISTEN_ADDR (required)
  std::string builder_name;           // --builder-name / BUILDERNET_NODE_NAME ('-' -> '_')
  std::string builder_url;            // --builder-url / BUILDER_ENDPOINT; "" = forwarding mocked
  std::string builder_ready_endpoint = "http://127.0.0.1:6070";  // BUILDER_READY_ENDPOINT; "" = always ready
  std::string builder_hub_url;        // --builder-hub-url / BUILDERHUB_ENDPOINT; "" = no registration
  std::optional<ListenAddress> metrics_addr;  // --metrics / METRICS_ADDR
  std::optional<e2e::eth::PrivateKey> orderflow_signer;  // FLASHBOTS_ORDERFLOW_SIGNER; random if unset
  std::optional<e2e::eth::Address> flashbots_signer;     // FLASHBOTS_ORDERFLOW_SIGNER_ADDRESS
  std::size_t max_request_size = kDefaultMaxRequestBytes;
  std::size_t max_txs_per_bundle = kDefaultMaxTxsPerBundle;
  bool disable_forwarding = false;
  std::chrono::seconds order_cache_ttl{60};
  std::size_t order_cache_size = 1048576;
  std::chrono::seconds peer_update_interval{30};
  // Stand-in only (no FlowProxy flag): hub registration tries and the backoff cap.
  int hub_register_attempts = 10;           // BNET_STANDIN_HUB_REGISTER_ATTEMPTS
  std::chrono::milliseconds hub_register_max_backoff{10000};
};

// `--help` was asked for (code 0) or the command line is unusable (code 2): text says why.
struct UsageExit {
  int code = 0;
  std::string text;
};

// Parses the flowproxy subcommand's arguments (without the program and subcommand names)
// with the environment variables FlowProxy reads. Throws UsageExit for --help and for
// unparseable flags, ConfigError for a bad value (naming the flag and its variable; a
// private key's text is never echoed).
FlowProxyConfig parseFlowProxyCommandLine(const std::vector<std::string>& args);

// The two signature headers of a request, as received.
struct SignatureHeaders {
  std::optional<std::string> buildernet;  // X-BuilderNet-Signature
  std::optional<std::string> flashbots;   // X-Flashbots-Signature
};

// FlowProxy's maybe_verify_signature: takes X-BuilderNet-Signature if present, else
// X-Flashbots-Signature (no fallback when the first is bad), and checks it against the exact
// body bytes (orderflow.md §2). nullopt when missing or not valid.
std::optional<e2e::eth::Address> verifyOrderflowSignature(const SignatureHeaders& headers, std::string_view body);

// What the ingress sends on to the local builder for an accepted order.
struct ForwardedOrder {
  std::string method;  // "eth_sendBundle" or "eth_sendRawTransaction"
  std::string body;    // {"id":1,"jsonrpc":"2.0","method":…,"params":[…]}
  std::string hash;    // the bundle fingerprint or the tx hash, 0x-hex
};

struct IngressReply {
  int status = 200;
  std::string body;                       // the JSON-RPC response
  std::optional<ForwardedOrder> forward;  // set for a new accepted order
  std::string method;                     // the request's method ("" before it is known)
  // For metrics and logs: ok, duplicate, invalid_signature, parse_error, invalid_request,
  // invalid_params, method_not_found.
  std::string outcome;
  std::string detail;                     // why params were invalid (for the log)
};

// The stand-in's bundle fingerprint. FlowProxy uses a wyhash-based 32-byte fingerprint of
// all bundle fields; the stand-in uses keccak256 of the bundle's canonical JSON (sorted keys,
// without bundleHash). Either way it is not a chain value: never compare it with chain data.
std::string bundleFingerprint(const nlohmann::json& bundle);

struct UserIngressConfig {
  std::size_t max_txs_per_bundle = kDefaultMaxTxsPerBundle;
  std::chrono::seconds order_cache_ttl{60};
  std::size_t order_cache_size = 1048576;
  std::function<std::uint64_t()> now_us = unixMicros;  // replacementNonce and cache clock
};

// The user endpoint's POST / handling (FlowProxy's user_handler, orderflow.md §4): the
// signature is checked first (before JSON parsing), then the JSON-RPC envelope, then the
// method. Thread-safe.
class UserIngress {
 public:
  using Config = UserIngressConfig;
  explicit UserIngress(Config config) : config_(std::move(config)) {}

  IngressReply handle(const SignatureHeaders& headers, std::string_view body);

 private:
  // true when hash was seen within the TTL; else remembers it.
  bool seenBefore(const std::string& hash);
  IngressReply sendBundle(std::uint64_t id, const e2e::eth::Address& signer, const nlohmann::json& param);
  IngressReply sendRawTransaction(std::uint64_t id, const nlohmann::json& param);

  Config config_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> cache_;  // hash -> expiry (µs)
};

// A JSON-RPC 2.0 error response in FlowProxy's field order ({"id","jsonrpc","error"}).
std::string jsonRpcErrorBody(std::optional<std::uint64_t> id, int code, std::string_view message);

}  // namespace bnet::standin
