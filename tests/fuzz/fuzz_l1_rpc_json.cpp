// The execution client's JSON-RPC answer parsers (rpc_json: block, transaction, receipt and
// the field helpers). Every input goes to each. Allowed error: ExecutionClientError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fixtures/l1/execution_client.hpp"

namespace {

template <class F>
void tryParse(F&& parse) {
  try {
    parse();
  } catch (const bnet::ExecutionClientError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // As JsonRpcClient hands them over: only JSON reaches the parsers.
  auto value = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (value.is_discarded()) return 0;
  namespace rj = bnet::rpc_json;
  tryParse([&] { (void)rj::block(value, "eth_getBlockByNumber"); });
  tryParse([&] { (void)rj::transaction(value, "eth_getTransactionByHash"); });
  tryParse([&] { (void)rj::receipt(value, "eth_getTransactionReceipt"); });
  tryParse([&] { (void)rj::quantityU64(value, "number", "fuzz"); });
  tryParse([&] { (void)rj::quantity(value, "value", "fuzz"); });
  tryParse([&] { (void)rj::hash(value, "hash", "fuzz"); });
  tryParse([&] { (void)rj::address(value, "to", "fuzz"); });
  tryParse([&] { (void)rj::optionalAddress(value, "to", "fuzz"); });
  tryParse([&] { (void)rj::data(value, "input", "fuzz"); });
  return 0;
}
