#pragma once
// rbuilder's JSON-RPC order input (orderflow.md §7, `live_builder/order_input/rpc_server.rs`):
// eth_sendBundle, mev_sendBundle, eth_cancelBundle, eth_sendRawTransaction over HTTP, no
// signature check, no eth_chainId. Bundle methods always answer null; their parse and decode
// errors are only logged and counted.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tools/builder-standin/log.hpp"
#include "tools/builder-standin/metrics.hpp"
#include "tools/builder-standin/order_pool.hpp"

namespace bnet::standin {

struct RpcReply {
  int status = 200;
  std::string body;
};

class OrderInput {
 public:
  OrderInput(OrderPool& pool, Logger& log, Metrics& metrics) : pool_(pool), log_(log), metrics_(metrics) {}
  // One HTTP POST body: a request or a batch. jsonrpsee answers every JSON-RPC error with
  // HTTP 200; so does this.
  RpcReply handle(std::string_view body);

 private:
  // The response object for one request; null json for a notification (no id).
  nlohmann::ordered_json call(const nlohmann::json& request);
  nlohmann::json sendBundle(const nlohmann::json& params);
  nlohmann::json cancelBundle(const nlohmann::json& params);
  void rpcError(std::string_view kind, std::string_view message, const LogFields& fields);

  OrderPool& pool_;
  Logger& log_;
  Metrics& metrics_;
};

}  // namespace bnet::standin
