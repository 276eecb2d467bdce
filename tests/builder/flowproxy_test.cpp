// The flowproxy mode's pure logic: signature check, JSON-RPC errors and HTTP statuses,
// rewriting and forwarding of orders, configuration from flags and environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "framework/eth/accounts.hpp"
#include "framework/eth/request_signature.hpp"
#include "tests/builder/tx_helpers.hpp"
#include "tools/builder-standin/flowproxy.hpp"

namespace bnet::standin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace eth = e2e::eth;

const eth::PrivateKey& userKey() { return eth::prefundedAccount(5).key; }

std::string request(std::string_view method, json params, json id = 7) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}.dump();
}

SignatureHeaders flashbotsSigned(std::string_view body) {
  return SignatureHeaders{.flashbots = eth::makeSignatureHeader(userKey(), body)};
}

json bodyOf(const IngressReply& r) { return json::parse(r.body); }

class IngressTest : public ::testing::Test {
 protected:
  IngressReply send(const std::string& body) { return ingress_.handle(flashbotsSigned(body), body); }
  std::uint64_t now_us_ = 1'700'000'000'000'000ull;
  UserIngress ingress_{{.now_us = [this] { return now_us_; }}};
};

TEST(OrderflowSignature, AcceptsTheFlashbotsHeader) {
  std::string body = request("eth_sendRawTransaction", json::array({"0x00"}));
  auto signer = verifyOrderflowSignature({.flashbots = eth::makeSignatureHeader(userKey(), body)}, body);
  ASSERT_TRUE(signer.has_value());
  EXPECT_EQ(*signer, userKey().address());
}

TEST(OrderflowSignature, AcceptsTheBuilderNetHeader) {
  std::string body = request("eth_sendBundle", json::array({json::object()}));
  auto signer = verifyOrderflowSignature({.buildernet = eth::makeSignatureHeader(userKey(), body)}, body);
  ASSERT_TRUE(signer.has_value());
  EXPECT_EQ(*signer, userKey().address());
}

TEST(OrderflowSignature, RejectsAMissingHeader) {
  EXPECT_FALSE(verifyOrderflowSignature({}, "{}").has_value());
}

TEST(OrderflowSignature, RejectsASignatureOfAnotherBody) {
  std::string header = eth::makeSignatureHeader(userKey(), R"({"a":1})");
  EXPECT_FALSE(verifyOrderflowSignature({.flashbots = header}, R"({"a":2})").has_value());
  EXPECT_FALSE(verifyOrderflowSignature({.flashbots = header}, R"({"a":1} )").has_value());
}

TEST(OrderflowSignature, RejectsGarbageAndAWrongAddressPart) {
  std::string body = "{}";
  EXPECT_FALSE(verifyOrderflowSignature({.flashbots = "not a signature"}, body).has_value());
  std::string good = eth::makeSignatureHeader(userKey(), body);
  std::string other_address = eth::prefundedAccount(6).address.checksummed();
  std::string forged = other_address + good.substr(good.find(':'));
  EXPECT_FALSE(verifyOrderflowSignature({.flashbots = forged}, body).has_value());
}

TEST(OrderflowSignature, TheBuilderNetHeaderWinsWithoutFallback) {
  std::string body = "{}";
  std::string good = eth::makeSignatureHeader(userKey(), body);
  EXPECT_FALSE(verifyOrderflowSignature({.buildernet = "0xbad:0xbad", .flashbots = good}, body).has_value());
  EXPECT_TRUE(verifyOrderflowSignature({.buildernet = good, .flashbots = "0xbad:0xbad"}, body).has_value());
}

TEST_F(IngressTest, MissingSignatureIs400InvalidSignatureWithNullId) {
  std::string body = request("eth_sendRawTransaction", json::array({testing::transferTx(1, 0, 1).rawHex()}));
  IngressReply r = ingress_.handle({}, body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r), json::parse(R"({"id":null,"jsonrpc":"2.0","error":{"code":-32603,"message":"Invalid signature"}})"));
  EXPECT_FALSE(r.forward.has_value());
}

TEST_F(IngressTest, SignatureOverADifferentBodyIsRejected) {
  std::string body = request("eth_sendRawTransaction", json::array({testing::transferTx(1, 0, 1).rawHex()}));
  IngressReply r = ingress_.handle(flashbotsSigned(body + " "), body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r)["error"]["code"], -32603);
}

TEST_F(IngressTest, SignatureIsCheckedBeforeParsing) {
  IngressReply unsigned_garbage = ingress_.handle({}, "{not json");
  EXPECT_EQ(bodyOf(unsigned_garbage)["error"]["code"], -32603);
  IngressReply signed_garbage = send("{not json");
  EXPECT_EQ(signed_garbage.status, 400);
  EXPECT_EQ(bodyOf(signed_garbage), json::parse(R"({"id":null,"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}})"));
}

TEST_F(IngressTest, NonNumericIdIsAParseError) {
  IngressReply r = send(request("eth_sendBundle", json::array({json::object()}), "one"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r)["error"]["code"], -32700);
}

TEST_F(IngressTest, WrongJsonRpcVersionIsInvalidRequest) {
  std::string body = R"({"jsonrpc":"1.0","id":1,"method":"eth_sendBundle","params":[]})";
  IngressReply r = send(body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r)["error"], json::parse(R"({"code":-32600,"message":"Invalid Request"})"));
}

TEST_F(IngressTest, UnknownMethodIs404WithItsName) {
  for (const char* m : {"eth_chainId", "eth_cancelBundle", "mev_sendBundle"}) {
    IngressReply r = send(request(m, json::array()));
    EXPECT_EQ(r.status, 404) << m;
    EXPECT_EQ(bodyOf(r), json::parse(fmt::format(R"({{"id":7,"jsonrpc":"2.0","error":{{"code":-32601,"message":"Method not found: {}"}}}})", m)));
  }
}

TEST_F(IngressTest, InvalidParamsAre400) {
  std::vector<std::string> bodies = {
      request("eth_sendBundle", json::array()),
      request("eth_sendBundle", json::array({json::object(), json::object()})),
      request("eth_sendBundle", json::array({json{{"txs", json::array({"0x1234"})}}})),
      request("eth_sendBundle", json::array({json{{"txs", json::array({"zz"})}}})),
      request("eth_sendBundle", json::array({json{{"txs", json::array()}}})),
      request("eth_sendBundle", json::array({json{{"txs", json::array({testing::transferTx(1, 0, 1).rawHex()})},
                                                  {"blockNumber", "12"}}})),
      request("eth_sendBundle", json::array({json{{"txs", json::array({testing::transferTx(1, 0, 1).rawHex()})},
                                                  {"version", "v3"}}})),
      request("eth_sendRawTransaction", json::array({"0x02c0"})),
      request("eth_sendRawTransaction", json::array({42})),
      request("eth_sendRawTransaction", json::array()),
  };
  for (const auto& body : bodies) {
    IngressReply r = send(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(bodyOf(r)["error"], json::parse(R"({"code":-32602,"message":"Invalid params"})")) << body;
    EXPECT_EQ(bodyOf(r)["id"], 7) << body;
    EXPECT_FALSE(r.forward.has_value()) << body;
  }
}

TEST_F(IngressTest, AtMost100TransactionsPerBundle) {
  json txs = json::array();
  for (std::uint64_t n = 0; n < 101; ++n) txs.push_back(testing::transferTx(2, n, 1).rawHex());
  IngressReply too_many = send(request("eth_sendBundle", json::array({json{{"txs", txs}}})));
  EXPECT_EQ(too_many.status, 400);
  EXPECT_THAT(too_many.detail, HasSubstr("101 transactions, at most 100"));
  txs.erase(txs.end() - 1);
  IngressReply hundred = send(request("eth_sendBundle", json::array({json{{"txs", txs}}})));
  EXPECT_EQ(hundred.status, 200) << hundred.body;
}

TEST_F(IngressTest, BundleIsRewrittenAndForwardedAsFlowProxyDoes) {
  auto a = testing::transferTx(1, 0, 2);
  auto b = testing::transferTx(2, 0, 1);
  json bundle{{"txs", json::array({a.rawHex(), b.rawHex()})},
              {"blockNumber", "0x0a"},
              {"replacementUuid", "550e8400-e29b-41d4-a716-446655440000"},
              {"signingAddress", eth::prefundedAccount(7).address.hex()},
              {"somethingElse", 1}};
  IngressReply r = send(request("eth_sendBundle", json::array({bundle})));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string hash = bodyOf(r)["result"]["bundleHash"].get<std::string>();
  EXPECT_EQ(hash.size(), 66u);
  EXPECT_EQ(bodyOf(r)["id"], 7);

  ASSERT_TRUE(r.forward.has_value());
  EXPECT_EQ(r.forward->method, "eth_sendBundle");
  EXPECT_EQ(r.forward->hash, hash);
  json fwd = json::parse(r.forward->body);
  EXPECT_EQ(fwd["id"], 1);
  EXPECT_EQ(fwd["jsonrpc"], "2.0");
  EXPECT_EQ(fwd["method"], "eth_sendBundle");
  ASSERT_EQ(fwd["params"].size(), 1u);
  const json& p = fwd["params"][0];
  EXPECT_EQ(p["txs"], bundle["txs"]);
  EXPECT_EQ(p["blockNumber"], "0xa");
  EXPECT_EQ(p["signingAddress"], userKey().address().checksummed()) << "the signer overrides what the user sent";
  EXPECT_EQ(p["replacementNonce"], now_us_);
  EXPECT_EQ(p["version"], "v2");
  EXPECT_EQ(p["bundleHash"], hash);
  EXPECT_FALSE(p.contains("somethingElse"));
  EXPECT_EQ(bundleFingerprint(p), hash);
}

TEST_F(IngressTest, KeepsAGivenReplacementNonceAndVersion) {
  json bundle{{"txs", json::array({testing::transferTx(1, 0, 2).rawHex()})},
              {"uuid", "550e8400-e29b-41d4-a716-446655440000"},
              {"replacementNonce", 5},
              {"version", "v1"}};
  IngressReply r = send(request("eth_sendBundle", json::array({bundle})));
  ASSERT_TRUE(r.forward.has_value()) << r.body;
  json p = json::parse(r.forward->body)["params"][0];
  EXPECT_EQ(p["replacementNonce"], 5);
  EXPECT_EQ(p["version"], "v1");
}

TEST_F(IngressTest, EmptyBundleWithUuidIsACancellationAndIsForwarded) {
  json bundle{{"txs", json::array()}, {"replacementUuid", "550e8400-e29b-41d4-a716-446655440000"}};
  IngressReply r = send(request("eth_sendBundle", json::array({bundle})));
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.forward.has_value());
  EXPECT_EQ(json::parse(r.forward->body)["params"][0]["txs"], json::array());
}

TEST_F(IngressTest, DuplicateBundleAnswersTheSameHashWithoutForwarding) {
  std::string body = request("eth_sendBundle", json::array({json{{"txs", json::array({testing::transferTx(3, 0, 1).rawHex()})}}}));
  IngressReply first = send(body);
  IngressReply second = send(body);
  ASSERT_TRUE(first.forward.has_value());
  EXPECT_FALSE(second.forward.has_value());
  EXPECT_EQ(second.outcome, "duplicate");
  EXPECT_EQ(bodyOf(first)["result"], bodyOf(second)["result"]);
  now_us_ += 61'000'000;  // past the 60 s order cache TTL
  EXPECT_TRUE(send(body).forward.has_value());
}

TEST_F(IngressTest, RawTransactionAnswersItsHashAndIsForwarded) {
  auto tx = testing::legacyTx(4, 3, 5);
  IngressReply r = send(request("eth_sendRawTransaction", json::array({tx.rawHex()})));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(bodyOf(r), (json{{"id", 7}, {"jsonrpc", "2.0"}, {"result", tx.hash().hex()}}));
  ASSERT_TRUE(r.forward.has_value());
  EXPECT_EQ(json::parse(r.forward->body),
            (json{{"id", 1}, {"jsonrpc", "2.0"}, {"method", "eth_sendRawTransaction"}, {"params", {tx.rawHex()}}}));
}

TEST_F(IngressTest, BuilderNetHeaderWorksEndToEnd) {
  std::string body = request("eth_sendRawTransaction", json::array({testing::transferTx(1, 9, 1).rawHex()}));
  IngressReply r = ingress_.handle({.buildernet = eth::makeSignatureHeader(userKey(), body)}, body);
  EXPECT_EQ(r.status, 200) << r.body;
}

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~EnvVar() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST(FlowProxyConfig, ReadsTheRealEnvironmentVariables) {
  EnvVar a("USER_LISTEN_ADDR", "127.0.0.1:5543");
  EnvVar b("SYSTEM_LISTEN_ADDR", "127.0.0.1:5542");
  EnvVar c("BUILDERNET_NODE_NAME", "playground-vm-builder");
  EnvVar d("BUILDER_ENDPOINT", "http://127.0.0.1:8645");
  EnvVar e("BUILDER_READY_ENDPOINT", "http://127.0.0.1:6070");
  EnvVar f("BUILDERHUB_ENDPOINT", "http://127.0.0.1:7937/");
  EnvVar g("FLASHBOTS_ORDERFLOW_SIGNER", eth::prefundedAccount(3).key.revealHex().c_str());
  EnvVar h("FLASHBOTS_ORDERFLOW_SIGNER_ADDRESS", "0x5015Fa72E34f75A9eC64f44a4Fcf0837919D1bB7");
  EnvVar i("METRICS_ADDR", "127.0.0.1:8090");
  FlowProxyConfig config = parseFlowProxyCommandLine({});
  EXPECT_EQ(config.user_listen_addr.text(), "127.0.0.1:5543");
  EXPECT_EQ(config.system_listen_addr.text(), "127.0.0.1:5542");
  EXPECT_EQ(config.builder_name, "playground_vm_builder");
  EXPECT_EQ(config.builder_url, "http://127.0.0.1:8645");
  EXPECT_EQ(config.builder_ready_endpoint, "http://127.0.0.1:6070");
  EXPECT_EQ(config.builder_hub_url, "http://127.0.0.1:7937");
  ASSERT_TRUE(config.orderflow_signer.has_value());
  EXPECT_EQ(config.orderflow_signer->address(), eth::prefundedAccount(3).address);
  EXPECT_EQ(config.flashbots_signer, eth::Address::fromHex("0x5015Fa72E34f75A9eC64f44a4Fcf0837919D1bB7"));
  ASSERT_TRUE(config.metrics_addr.has_value());
  EXPECT_EQ(config.metrics_addr->port, 8090);
  EXPECT_EQ(config.max_request_size, 10u * 1024 * 1024);
  EXPECT_EQ(config.max_txs_per_bundle, 100u);
}

TEST(FlowProxyConfig, FlagsWorkAndTheSignerIsRandomWhenUnset) {
  FlowProxyConfig a = parseFlowProxyCommandLine({"--user-listen-addr", "127.0.0.1:1", "--system-listen-addr",
                                                 "127.0.0.1:2", "--builder-name", "b", "--max-txs-per-bundle", "3"});
  FlowProxyConfig b = parseFlowProxyCommandLine({"--user-listen-addr", "127.0.0.1:1", "--system-listen-addr",
                                                 "127.0.0.1:2", "--builder-name", "b"});
  EXPECT_EQ(a.max_txs_per_bundle, 3u);
  EXPECT_TRUE(a.builder_url.empty());
  ASSERT_TRUE(a.orderflow_signer && b.orderflow_signer);
  EXPECT_NE(a.orderflow_signer->address(), b.orderflow_signer->address());
}

// Found by fuzz_orderflow_ingress (tests/fuzz/corpus/orderflow_ingress/crash-444f19e9...): a
// number beyond the range of a double in a signed body escaped handle() as json out_of_range.
// FlowProxy (serde_json) answers it as a parse error.
TEST_F(IngressTest, NumberTooLargeForADoubleIsAParseError) {
  IngressReply r = send(R"({"id":1e999,"jsonrpc":"2.0","method":"eth_sendBundle","params":[]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r), json::parse(R"({"id":null,"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}})"));
  EXPECT_EQ(r.outcome, "parse_error");
}

TEST(FlowProxyConfig, MissingRequiredFlagIsAUsageError) {
  try {
    parseFlowProxyCommandLine({"--user-listen-addr", "127.0.0.1:1"});
    FAIL() << "expected UsageExit";
  } catch (const UsageExit& e) {
    EXPECT_EQ(e.code, 2);
    EXPECT_THAT(e.text, HasSubstr("--system-listen-addr"));
  }
}

TEST(FlowProxyConfig, BadSignerKeyNamesTheVariableButNotTheValue) {
  const std::string secretish = "0x1111111111111111111111111111111111111111111111111111111111zz1111";
  try {
    parseFlowProxyCommandLine({"--user-listen-addr", "127.0.0.1:1", "--system-listen-addr", "127.0.0.1:2",
                               "--builder-name", "b", "--orderflow-signer", secretish});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("FLASHBOTS_ORDERFLOW_SIGNER"));
    EXPECT_THAT(e.what(), Not(HasSubstr("1111111111")));
  }
}

TEST(FlowProxyConfig, BadListenAddressNamesTheFlag) {
  try {
    parseFlowProxyCommandLine({"--user-listen-addr", "127.0.0.1", "--system-listen-addr", "127.0.0.1:2",
                               "--builder-name", "b"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("USER_LISTEN_ADDR"));
  }
}

}  // namespace
}  // namespace bnet::standin
