// rbuilder's JSON-RPC order input: answers, error codes, what reaches the pool.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "framework/eth/accounts.hpp"
#include "tests/builder/tx_helpers.hpp"
#include "tools/builder-standin/common.hpp"
#include "tools/builder-standin/metrics.hpp"
#include "tools/builder-standin/rbuilder_rpc.hpp"

namespace bnet::standin {
namespace {

using nlohmann::json;
using testing::transferTx;
namespace eth = e2e::eth;

class OrderInputTest : public ::testing::Test {
 protected:
  OrderInputTest() : null_(std::fopen("/dev/null", "w")), log_(LogLevel::kTrace, null_) {}
  ~OrderInputTest() override { std::fclose(null_); }
  json call(std::string_view method, json params) {
    RpcReply r = input_.handle(json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", method}, {"params", params}}.dump());
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body);
  }
  // Positional params written as a braced list: always a JSON array. (A braced `{json{...}}`
  // passed as `json` is an array under gcc but the single object under clang.)
  json call(std::string_view method, std::initializer_list<json> params) {
    json array = json::array();
    for (const json& p : params) array.push_back(p);
    return call(method, std::move(array));
  }

  std::FILE* null_;
  Logger log_;
  Metrics metrics_;
  OrderPool pool_;
  OrderInput input_{pool_, log_, metrics_};
};

TEST_F(OrderInputTest, RawTransactionAnswersItsHashAndEntersThePool) {
  auto tx = transferTx(1, 0, 1);
  EXPECT_EQ(call("eth_sendRawTransaction", {tx.rawHex()}), (json{{"jsonrpc", "2.0"}, {"result", tx.hash().hex()}, {"id", 3}}));
  ASSERT_EQ(pool_.transactionCount(), 1u);
  EXPECT_EQ(metrics_.value("orderpool_commands_received", {{"kind", "tx"}}), 1);
}

TEST_F(OrderInputTest, BadRawTransactionFailsVerification) {
  json r = call("eth_sendRawTransaction", {"0x02c0"});
  EXPECT_EQ(r["error"], json::parse(R"({"code":-32602,"message":"failed to verify transaction"})"));
  EXPECT_EQ(pool_.transactionCount(), 0u);
}

TEST_F(OrderInputTest, BundleAnswersNullAndKeepsItsOrder) {
  auto a = transferTx(1, 0, 1), b = transferTx(2, 0, 2);
  json r = call("eth_sendBundle", {json{{"txs", {a.rawHex(), b.rawHex()}}, {"blockNumber", "0x5"}, {"bundleHash", "0x01"}}});
  EXPECT_EQ(r, (json{{"jsonrpc", "2.0"}, {"result", nullptr}, {"id", 3}}));
  auto orders = pool_.snapshot();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_TRUE(orders[0].is_bundle);
  EXPECT_EQ(orders[0].block_number, 5u);
  ASSERT_EQ(orders[0].txs.size(), 2u);
  EXPECT_EQ(orders[0].txs[0].hash(), a.hash());
  EXPECT_EQ(orders[0].txs[1].hash(), b.hash());
}

TEST_F(OrderInputTest, BundleErrorsAreOnlyCountedAndAnswerNull) {
  json bad_tx = call("eth_sendBundle", {json{{"txs", {"0x1234"}}}});
  json bad_field = call("eth_sendBundle", {json{{"txs", json::array()}, {"blockNumber", 5}}});
  json no_nonce = call("eth_sendBundle", {json{{"txs", {transferTx(1, 0, 1).rawHex()}},
                                               {"replacementUuid", "550e8400-e29b-41d4-a716-446655440000"}}});
  for (const json& r : {bad_tx, bad_field, no_nonce}) EXPECT_TRUE(r.contains("result") && r["result"].is_null()) << r;
  EXPECT_EQ(pool_.bundleCount(), 0u);
  EXPECT_EQ(metrics_.value("rbuilder_order_input_rpc_errors", {{"kind", "decode_bundle"}}), 2);
  EXPECT_EQ(metrics_.value("rbuilder_order_input_rpc_errors", {{"kind", "parse_bundle"}}), 1);
}

TEST_F(OrderInputTest, CancelBundleRemovesTheReplacement) {
  auto signer = eth::prefundedAccount(5).address.hex();
  json bundle{{"txs", {transferTx(1, 0, 1).rawHex()}},
              {"replacementUuid", "550e8400-e29b-41d4-a716-446655440000"},
              {"replacementNonce", 1},
              {"signingAddress", signer}};
  call("eth_sendBundle", {bundle});
  ASSERT_EQ(pool_.bundleCount(), 1u);
  json r = call("eth_cancelBundle", {json{{"replacementUuid", "550e8400-e29b-41d4-a716-446655440000"}, {"signingAddress", signer}}});
  EXPECT_TRUE(r["result"].is_null());
  EXPECT_EQ(pool_.bundleCount(), 0u);
}

TEST_F(OrderInputTest, MevSendBundleAnswersNull) {
  EXPECT_TRUE(call("mev_sendBundle", {json{{"version", "v0.1"}, {"body", json::array()}}})["result"].is_null());
}

TEST_F(OrderInputTest, NoChainIdAndNoOtherMethods) {
  EXPECT_EQ(call("eth_chainId", json::array())["error"], json::parse(R"({"code":-32601,"message":"Method not found"})"));
}

// The same input as fuzz_builder_inputs' crash (a number beyond the range of a double):
// jsonrpsee (serde_json) answers a parse error; so must the stand-in.
TEST_F(OrderInputTest, NumberTooLargeForADoubleIsAParseError) {
  RpcReply r = input_.handle(R"({"jsonrpc":"2.0","id":1e999,"method":"eth_sendRawTransaction","params":[]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], -32700);
}

TEST_F(OrderInputTest, ParseErrorAndBatches) {
  RpcReply parse = input_.handle("{nope");
  EXPECT_EQ(parse.status, 200);
  EXPECT_EQ(json::parse(parse.body)["error"]["code"], -32700);
  auto tx = transferTx(3, 0, 1);
  RpcReply batch = input_.handle(json::array({json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_sendRawTransaction"}, {"params", {tx.rawHex()}}},
                                              json{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "nope"}, {"params", json::array()}}})
                                     .dump());
  json out = json::parse(batch.body);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["result"], tx.hash().hex());
  EXPECT_EQ(out[1]["error"]["code"], -32601);
}

TEST(StandinCommon, ParsesAddressesAndUrls) {
  EXPECT_EQ(parseListenAddress("[::1]:80", "x").host, "::1");
  EXPECT_THROW(parseListenAddress("127.0.0.1:0", "x"), ConfigError);
  HttpUrl u = parseHttpUrl("http://0xabc@127.0.0.1:5555/base/", "relay");
  EXPECT_EQ(u.userinfo, "0xabc");
  EXPECT_EQ(u.base, "http://127.0.0.1:5555/base");
  EXPECT_EQ(joinUrl("http://127.0.0.1:6070", "readyz"), "http://127.0.0.1:6070/readyz");
  EXPECT_EQ(joinUrl("http://127.0.0.1:6070/", "readyz"), "http://127.0.0.1:6070/readyz");
  EXPECT_EQ(joinUrl("http://h/a/b", "readyz"), "http://h/a/readyz");
  EXPECT_THROW(parseHttpUrl("ftp://x", "relay"), ConfigError);
}

TEST(StandinMetrics, RendersPrometheusText) {
  Metrics m;
  m.describe("relay_errors", Metrics::Type::kCounter, "errors");
  m.increment("relay_errors", {{"relay", "r\"1"}, {"kind", "connection"}});
  m.observe("block_built_txs", {{"builder_name", "mgp-ordering"}}, 3);
  m.set("current_block", 7);
  std::string text = m.render();
  EXPECT_THAT(text, ::testing::HasSubstr("# TYPE relay_errors counter\nrelay_errors{kind=\"connection\",relay=\"r\\\"1\"} 1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("block_built_txs_bucket{builder_name=\"mgp-ordering\",le=\"5\"} 1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("block_built_txs_bucket{builder_name=\"mgp-ordering\",le=\"2\"} 0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("block_built_txs_count{builder_name=\"mgp-ordering\"} 1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("current_block 7\n"));
}

}  // namespace
}  // namespace bnet::standin
