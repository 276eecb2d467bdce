#pragma once
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "framework/http/http_client.hpp"

namespace e2e {

// The server answered with a JSON-RPC error object (at any HTTP status).
class JsonRpcError : public std::runtime_error {
 public:
  JsonRpcError(std::string method, int code, std::string message, nlohmann::json data, int http_status);
  const std::string& method() const { return method_; }
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  const nlohmann::json& data() const { return data_; }  // null when absent
  int httpStatus() const { return http_status_; }

 private:
  std::string method_;
  int code_;
  std::string message_;
  nlohmann::json data_;
  int http_status_;
};

// The answer is not a JSON-RPC response to the call: not JSON, neither result nor error,
// a wrong id, or a non-2xx status without an error object. Names the method, the HTTP
// status and the start of the body.
class JsonRpcProtocolError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JsonRpcCall {
  std::string method;
  nlohmann::json params = nlohmann::json::array();  // null: no "params" member
};

// One answer of a batch: a result or an error.
class JsonRpcOutcome {
 public:
  explicit JsonRpcOutcome(nlohmann::json result) : value_(std::move(result)) {}
  explicit JsonRpcOutcome(JsonRpcError error) : value_(std::move(error)) {}
  bool ok() const { return value_.index() == 0; }
  // The result; throws the JsonRpcError when the call failed.
  const nlohmann::json& result() const;
  // The error, or nullptr when the call succeeded.
  const JsonRpcError* error() const { return std::get_if<JsonRpcError>(&value_); }

 private:
  std::variant<nlohmann::json, JsonRpcError> value_;
};

// Headers computed from the exact body bytes that will be sent (e.g. a signature header).
using JsonRpcSigner = std::function<Headers(std::string_view body)>;

struct JsonRpcCallOptions {
  Headers headers;                                   // extra headers for this call
  JsonRpcSigner signer;                              // overrides the config's signer
  std::optional<std::chrono::milliseconds> timeout;  // overrides the HTTP config's
};

struct JsonRpcClientConfig {
  HttpClientConfig http;  // base_url: the server
  std::string path;       // appended to base_url; "" posts to base_url itself
  JsonRpcSigner signer;   // optional: called for every request
};

// JSON-RPC 2.0 over HTTP POST (Content-Type: application/json). Thread-safe like
// HttpClient (requests are serialised); movable. Transport failures throw HttpError.
class JsonRpcClient {
 public:
  using Config = JsonRpcClientConfig;
  explicit JsonRpcClient(Config config);

  // One call; blocks for at most the HTTP timeout. Returns the result; throws JsonRpcError,
  // JsonRpcProtocolError or HttpError.
  nlohmann::json call(std::string_view method, nlohmann::json params = nlohmann::json::array(),
                      const JsonRpcCallOptions& options = {});
  // One HTTP request carrying all calls; the outcomes come back in the calls' order
  // (matched by id). Throws JsonRpcError when the server rejects the whole batch,
  // JsonRpcProtocolError / HttpError as call(), std::invalid_argument for no calls.
  std::vector<JsonRpcOutcome> batch(const std::vector<JsonRpcCall>& calls,
                                    const JsonRpcCallOptions& options = {});

  HttpClient& http() { return http_; }

 private:
  HttpResponse post(const std::string& body, const JsonRpcCallOptions& options);
  Config config_;
  HttpClient http_;
  // Incremented through std::atomic_ref, so the client stays movable.
  alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t next_id_ = 1;
};

}  // namespace e2e
