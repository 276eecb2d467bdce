#include "framework/http/json_rpc_client.hpp"

#include "framework/http/detail/json_rpc_response.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>

namespace e2e {
namespace {

using nlohmann::json;

std::string dataText(const json& data) {
  if (data.is_null()) return "";
  return "; data: " + bodyExcerpt(data.dump(-1, ' ', false, json::error_handler_t::replace));
}

// "JSON-RPC eth_call to http://127.0.0.1:8545/ (HTTP 200)": the start of every message.
std::string where(std::string_view method, const HttpResponse& response) {
  return fmt::format("JSON-RPC {} to {} (HTTP {})", method, response.url, response.status);
}

[[noreturn]] void protocolError(std::string_view method, const HttpResponse& response, std::string_view problem) {
  throw JsonRpcProtocolError(
      fmt::format("{}: {}; body: '{}'", where(method, response), problem, bodyExcerpt(response.body)));
}

json parseBody(std::string_view method, const HttpResponse& response) {
  if (response.body.empty()) protocolError(method, response, "empty body, expected a JSON-RPC response");
  try {
    return json::parse(response.body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    protocolError(method, response, fmt::format("body is not JSON ({})", e.what()));
  }
}

std::string idText(const json& id) { return id.dump(-1, ' ', false, json::error_handler_t::replace); }

// Turns one response object into an outcome, after checking its shape and id.
JsonRpcOutcome readResponseObject(std::string_view method, const json& expected_id, const json& object,
                                  const HttpResponse& response) {
  if (!object.is_object()) {
    protocolError(method, response, fmt::format("expected a JSON object, got {}", object.type_name()));
  }
  bool has_result = object.contains("result");
  auto error = object.find("error");
  bool has_error = error != object.end();
  if (has_result && has_error) protocolError(method, response, "response has both result and error");
  if (!has_result && !has_error) protocolError(method, response, "response has neither result nor error");
  auto id = object.find("id");
  if (id == object.end()) protocolError(method, response, "response has no id");
  // A server that could not read the request's id answers an error with id null.
  if (*id != expected_id && !(has_error && id->is_null())) {
    protocolError(method, response,
                  fmt::format("response id {} does not match request id {}", idText(*id), idText(expected_id)));
  }
  if (has_result) {
    if (!response.ok()) protocolError(method, response, "non-2xx HTTP status with a result");
    return JsonRpcOutcome(object["result"]);
  }
  auto code = error->is_object() ? error->find("code") : error->end();
  auto message = error->is_object() ? error->find("message") : error->end();
  if (!error->is_object() || code == error->end() || !code->is_number_integer() || message == error->end() ||
      !message->is_string()) {
    protocolError(method, response, "error is not an object with an integer code and a string message");
  }
  json data = error->contains("data") ? (*error)["data"] : json();
  return JsonRpcOutcome(JsonRpcError(std::string(method), code->get<int>(), message->get<std::string>(),
                                     std::move(data), response.status));
}

json requestObject(std::string_view method, const json& params, std::uint64_t id) {
  json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  return request;
}

}  // namespace

JsonRpcError::JsonRpcError(std::string method, int code, std::string message, nlohmann::json data, int http_status)
    : std::runtime_error(fmt::format("JSON-RPC {} failed: error {}: {}{}", method, code, bodyExcerpt(message, 400),
                                     dataText(data))),
      method_(std::move(method)),
      code_(code),
      message_(std::move(message)),
      data_(std::move(data)),
      http_status_(http_status) {}

const nlohmann::json& JsonRpcOutcome::result() const {
  if (const auto* e = error()) throw *e;
  return std::get<nlohmann::json>(value_);
}

JsonRpcClient::JsonRpcClient(Config config) : config_(config), http_(std::move(config.http)) {}

HttpResponse JsonRpcClient::post(const std::string& body, const JsonRpcCallOptions& options) {
  HttpRequest request{.method = "POST", .target = config_.path, .headers = options.headers, .body = body,
                      .timeout = options.timeout};
  if (!request.headers.contains("Content-Type")) request.headers.add("Content-Type", "application/json");
  const auto& signer = options.signer ? options.signer : config_.signer;
  if (signer) {
    for (const auto& [name, value] : signer(request.body)) request.headers.set(name, value);
  }
  return http_.send(request);
}

nlohmann::json JsonRpcClient::call(std::string_view method, nlohmann::json params, const JsonRpcCallOptions& options) {
  auto id = std::atomic_ref(next_id_).fetch_add(1);
  auto body = requestObject(method, params, id).dump();
  return detail::readJsonRpcResult(method, id, post(body, options));
}

std::vector<JsonRpcOutcome> JsonRpcClient::batch(const std::vector<JsonRpcCall>& calls,
                                                 const JsonRpcCallOptions& options) {
  if (calls.empty()) throw std::invalid_argument("JsonRpcClient::batch: no calls (JSON-RPC forbids an empty batch)");
  auto first_id = std::atomic_ref(next_id_).fetch_add(calls.size());
  json request = json::array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    request.push_back(requestObject(calls[i].method, calls[i].params, first_id + i));
  }
  return detail::readJsonRpcBatch(calls, first_id, post(request.dump(), options));
}

namespace detail {

nlohmann::json readJsonRpcResult(std::string_view method, std::uint64_t id, const HttpResponse& response) {
  auto answer = parseBody(method, response);
  if (answer.is_array()) protocolError(method, response, "expected a JSON object, got a batch (array)");
  return readResponseObject(method, json(id), answer, response).result();
}

std::vector<JsonRpcOutcome> readJsonRpcBatch(const std::vector<JsonRpcCall>& calls, std::uint64_t first_id,
                                             const HttpResponse& response) {
  if (calls.empty()) throw std::invalid_argument("readJsonRpcBatch: no calls");
  auto label = fmt::format("batch of {} ({}{})", calls.size(), calls.front().method, calls.size() > 1 ? ", ..." : "");
  auto answer = parseBody(label, response);
  if (answer.is_object()) {
    // The server rejected the batch as a whole: one error object with id null.
    auto outcome = readResponseObject(label, json(), answer, response);
    if (const auto* e = outcome.error()) throw *e;
    protocolError(label, response, "expected an array of responses, got one result");
  }
  if (!answer.is_array()) protocolError(label, response, fmt::format("expected an array, got {}", answer.type_name()));

  std::map<std::uint64_t, const json*> by_id;
  for (const auto& item : answer) {
    auto id = item.is_object() ? item.find("id") : item.end();
    if (!item.is_object() || id == item.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() < first_id ||
        id->get<std::uint64_t>() >= first_id + calls.size()) {
      protocolError(label, response, fmt::format("answer {} does not carry the id of a call in the batch",
                                                 bodyExcerpt(item.dump(-1, ' ', false, json::error_handler_t::replace), 120)));
    }
    if (!by_id.emplace(id->get<std::uint64_t>(), &item).second) {
      protocolError(label, response, fmt::format("two answers carry id {}", idText(*id)));
    }
  }
  std::vector<JsonRpcOutcome> outcomes;
  outcomes.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto it = by_id.find(first_id + i);
    if (it == by_id.end()) {
      protocolError(label, response, fmt::format("no answer for call {} ({}, id {})", i, calls[i].method, first_id + i));
    }
    outcomes.push_back(readResponseObject(calls[i].method, json(first_id + i), *it->second, response));
  }
  return outcomes;
}

}  // namespace detail

}  // namespace e2e
