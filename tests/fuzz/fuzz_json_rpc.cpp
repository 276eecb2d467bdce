// JsonRpcClient's response handling without a network: the body of an HTTP answer to a
// single call (id 1) and to a batch of three calls (ids 1..3), at status 200 and 500.
// Allowed errors: JsonRpcError and JsonRpcProtocolError, as the client documents.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/http/detail/json_rpc_response.hpp"

namespace {

void readAll(const e2e::HttpResponse& response) {
  try {
    e2e::detail::readJsonRpcResult("eth_blockNumber", 1, response);
  } catch (const e2e::JsonRpcError&) {
  } catch (const e2e::JsonRpcProtocolError&) {
  }
  static const std::vector<e2e::JsonRpcCall> kCalls = {
      {.method = "eth_chainId"}, {.method = "eth_getBalance", .params = {"0x00", "latest"}}, {.method = "net_version"}};
  try {
    for (const auto& outcome : e2e::detail::readJsonRpcBatch(kCalls, 1, response)) {
      if (outcome.ok()) {
        (void)outcome.result().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        (void)outcome.error()->what();
      }
    }
  } catch (const e2e::JsonRpcError&) {
  } catch (const e2e::JsonRpcProtocolError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  e2e::HttpResponse response{.method = "POST", .url = "http://127.0.0.1:8545/", .status = 200,
                             .body = std::string(reinterpret_cast<const char*>(data), size)};
  readAll(response);
  response.status = 500;
  readAll(response);
  return 0;
}
