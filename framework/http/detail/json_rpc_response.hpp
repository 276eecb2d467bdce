#pragma once
// The response half of JsonRpcClient, without a network: what call() and batch() do with
// the HTTP response they got. Exposed for the fuzz targets and unit tests.
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/http/http_client.hpp"
#include "framework/http/json_rpc_client.hpp"

namespace e2e::detail {

// The result of the single call `method` sent with request id `id`. Throws JsonRpcError
// (the server's error object) or JsonRpcProtocolError (anything that is not a response to
// that call), as JsonRpcClient::call.
nlohmann::json readJsonRpcResult(std::string_view method, std::uint64_t id, const HttpResponse& response);

// The outcomes of a batch of `calls` sent with ids first_id, first_id + 1, ... in the calls'
// order. Throws as JsonRpcClient::batch; calls must not be empty.
std::vector<JsonRpcOutcome> readJsonRpcBatch(const std::vector<JsonRpcCall>& calls, std::uint64_t first_id,
                                             const HttpResponse& response);

}  // namespace e2e::detail
