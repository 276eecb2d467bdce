#include "framework/http/json_rpc_client.hpp"

#include "framework/http/detail/json_rpc_response.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "loopback_server.hpp"

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

namespace e2e {
namespace {

// A JSON-RPC endpoint at /rpc whose answer the test decides per request.
class RpcServer {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
  };
  using Handler = std::function<Reply(const std::string& raw_body)>;

  RpcServer() {
    server_.server().Post("/rpc", [this](const httplib::Request& req, httplib::Response& res) {
      Handler handler;
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(req.body);
        headers_.push_back(req.headers);
        handler = handler_;
      }
      auto reply = handler(req.body);
      res.status = reply.status;
      res.set_content(reply.body, reply.content_type.c_str());
    });
    server_.start();
  }

  void answer(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }
  // Answers every request with this body (and status).
  void answerWith(std::string body, int status = 200, std::string content_type = "application/json") {
    answer([=](const std::string&) { return Reply{status, body, content_type}; });
  }
  std::string lastBody() {
    std::lock_guard lock(mu_);
    return bodies_.empty() ? "" : bodies_.back();
  }
  std::string lastHeader(const std::string& name) {
    std::lock_guard lock(mu_);
    if (headers_.empty()) return "";
    auto it = headers_.back().find(name);
    return it == headers_.back().end() ? "" : it->second;
  }
  JsonRpcClient client(JsonRpcSigner signer = {}) {
    return JsonRpcClient({.http = {.base_url = server_.baseUrl(), .timeout = 10s}, .path = "/rpc", .signer = signer});
  }

 private:
  testing::LoopbackServer server_;
  std::mutex mu_;
  Handler handler_;
  std::vector<std::string> bodies_;
  std::vector<httplib::Headers> headers_;
};

// Echoes {"method":..., "params":...} as the result; errors for method "fail".
json answerOne(const json& request) {
  if (request["method"] == "fail") {
    return {{"jsonrpc", "2.0"},
            {"id", request["id"]},
            {"error", {{"code", -32000}, {"message", "failed on purpose"}, {"data", request.value("params", json())}}}};
  }
  return {{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", {{"method", request["method"]}, {"params", request.value("params", json())}}}};
}

RpcServer::Reply echoServer(const std::string& raw) {
  auto request = json::parse(raw);
  if (request.is_array()) {
    json out = json::array();
    for (auto it = request.rbegin(); it != request.rend(); ++it) out.push_back(answerOne(*it));  // reversed
    return {200, out.dump()};
  }
  return {200, answerOne(request).dump()};
}

TEST(JsonRpcClient, CallReturnsTheResult) {
  RpcServer server;
  server.answer(echoServer);
  auto client = server.client();
  auto result = client.call("eth_blockNumber", json::array({1, "two"}));
  EXPECT_EQ(result, json({{"method", "eth_blockNumber"}, {"params", {1, "two"}}}));

  auto sent = json::parse(server.lastBody());
  EXPECT_EQ(sent["jsonrpc"], "2.0");
  EXPECT_TRUE(sent["id"].is_number_unsigned());
  EXPECT_EQ(sent["method"], "eth_blockNumber");
  EXPECT_EQ(server.lastHeader("Content-Type"), "application/json");

  client.call("no_params", json());
  EXPECT_FALSE(json::parse(server.lastBody()).contains("params"));
}

TEST(JsonRpcClient, NullResultIsAResult) {
  RpcServer server;
  server.answer([](const std::string& raw) {
    auto id = json::parse(raw)["id"];
    return RpcServer::Reply{200, json({{"jsonrpc", "2.0"}, {"id", id}, {"result", nullptr}}).dump()};
  });
  auto client = server.client();
  EXPECT_TRUE(client.call("eth_sendBundle", json::array({json::object()})).is_null());
}

TEST(JsonRpcClient, BatchReturnsOutcomesInRequestOrderWithMixedErrors) {
  RpcServer server;
  server.answer(echoServer);
  auto client = server.client();
  auto outcomes = client.batch({{"first", {1}}, {"fail", {2}}, {"third", {3}}, {"fail", {4}}});
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(outcomes[0].result()["method"], "first");
  EXPECT_FALSE(outcomes[1].ok());
  ASSERT_NE(outcomes[1].error(), nullptr);
  EXPECT_EQ(outcomes[1].error()->code(), -32000);
  EXPECT_EQ(outcomes[1].error()->data(), json({2}));
  EXPECT_THROW(outcomes[1].result(), JsonRpcError);
  EXPECT_EQ(outcomes[2].result()["params"], json({3}));
  EXPECT_EQ(outcomes[3].error()->data(), json({4}));

  auto sent = json::parse(server.lastBody());
  ASSERT_TRUE(sent.is_array());
  EXPECT_EQ(sent.size(), 4u);
  EXPECT_THROW(client.batch({}), std::invalid_argument);
}

TEST(JsonRpcClient, ErrorObjectBecomesTypedError) {
  RpcServer server;
  server.answer([](const std::string& raw) {
    auto id = json::parse(raw)["id"];
    json error = {{"code", -32600}, {"message", "no signature provided"}, {"data", {{"hint", "sign it"}}}};
    return RpcServer::Reply{200, json({{"jsonrpc", "2.0"}, {"id", id}, {"error", error}}).dump()};
  });
  auto client = server.client();
  try {
    client.call("eth_sendBundle", json::array({json::object()}));
    FAIL() << "an error response was returned as a result";
  } catch (const JsonRpcError& e) {
    EXPECT_EQ(e.code(), -32600);
    EXPECT_EQ(e.message(), "no signature provided");
    EXPECT_EQ(e.data(), json({{"hint", "sign it"}}));
    EXPECT_EQ(e.method(), "eth_sendBundle");
    EXPECT_EQ(e.httpStatus(), 200);
    EXPECT_THAT(e.what(), HasSubstr("eth_sendBundle"));
    EXPECT_THAT(e.what(), HasSubstr("-32600"));
    EXPECT_THAT(e.what(), HasSubstr("no signature provided"));
  }
}

TEST(JsonRpcClient, ErrorObjectWithHttp400IsStillTheTypedError) {
  RpcServer server;
  // FlowProxy style: HTTP 400 with a JSON-RPC error and id null.
  server.answerWith(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Invalid signature"}})", 400);
  auto client = server.client();
  try {
    client.call("eth_sendBundle", json::array());
    FAIL() << "expected JsonRpcError";
  } catch (const JsonRpcError& e) {
    EXPECT_EQ(e.code(), -32603);
    EXPECT_EQ(e.httpStatus(), 400);
    EXPECT_TRUE(e.data().is_null());
  }
}

TEST(JsonRpcClient, WholeBatchRejectedIsTheTypedError) {
  RpcServer server;
  server.answerWith(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}})");
  auto client = server.client();
  try {
    client.batch({{"a", {}}, {"b", {}}});
    FAIL() << "expected JsonRpcError";
  } catch (const JsonRpcError& e) {
    EXPECT_EQ(e.code(), -32600);
    EXPECT_THAT(e.what(), HasSubstr("batch of 2"));
  }
}

struct MalformedCase {
  std::string name;
  int status;
  std::string body;
  std::string content_type;
  std::string expected;  // part of the message
};

class JsonRpcMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(JsonRpcMalformed, IsAProtocolErrorNamingMethodStatusAndBody) {
  const auto& c = GetParam();
  RpcServer server;
  server.answerWith(c.body, c.status, c.content_type);
  auto client = server.client();
  try {
    client.call("eth_chainId", json::array());
    FAIL() << "a malformed answer was accepted: " << c.body;
  } catch (const JsonRpcProtocolError& e) {
    std::string message = e.what();
    EXPECT_THAT(message, HasSubstr("JSON-RPC eth_chainId to http://127.0.0.1:"));
    EXPECT_THAT(message, HasSubstr(fmt::format("(HTTP {})", c.status)));
    EXPECT_THAT(message, HasSubstr(c.expected));
    EXPECT_THAT(message, HasSubstr(bodyExcerpt(c.body).substr(0, 20)));
    EXPECT_LT(message.size(), 1000u) << "the body is not truncated";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Answers, JsonRpcMalformed,
    ::testing::Values(
        MalformedCase{"HtmlPage", 200, "<html><body>" + std::string(5000, 'x') + "</body></html>", "text/html",
                      "body is not JSON"},
        MalformedCase{"HtmlBadGateway", 502, "<html>502 Bad Gateway</html>", "text/html", "body is not JSON"},
        MalformedCase{"EmptyObject", 200, "{}", "application/json", "neither result nor error"},
        MalformedCase{"WrongId", 200, R"({"jsonrpc":"2.0","id":999999,"result":"0x1"})", "application/json",
                      "response id 999999 does not match request id"},
        MalformedCase{"StringId", 200, R"({"jsonrpc":"2.0","id":"1","result":"0x1"})", "application/json",
                      "does not match request id"},
        MalformedCase{"NoId", 200, R"({"jsonrpc":"2.0","result":"0x1"})", "application/json", "response has no id"},
        MalformedCase{"TruncatedJson", 200, R"({"jsonrpc":"2.0","id":1,"res)", "application/json", "body is not JSON"},
        MalformedCase{"EmptyBody", 200, "", "application/json", "empty body"},
        MalformedCase{"ArrayForOneCall", 200, R"([{"jsonrpc":"2.0","id":1,"result":1}])", "application/json",
                      "got a batch"},
        MalformedCase{"ResultAndError", 200, R"({"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}})",
                      "application/json", "both result and error"},
        MalformedCase{"ErrorWithoutCode", 200, R"({"jsonrpc":"2.0","id":null,"error":{"message":"m"}})",
                      "application/json", "integer code"},
        MalformedCase{"ResultWith500", 500, R"({"jsonrpc":"2.0","id":1,"result":1})", "application/json",
                      "non-2xx HTTP status with a result"},
        MalformedCase{"NotAnObject", 200, "42", "application/json", "expected a JSON object, got number"}),
    [](const auto& info) { return info.param.name; });

TEST(JsonRpcClient, MalformedBatchAnswersAreProtocolErrors) {
  RpcServer server;
  auto client = server.client();
  // One answer missing.
  server.answer([](const std::string& raw) {
    auto request = json::parse(raw);
    return RpcServer::Reply{200, json::array({answerOne(request[0])}).dump()};
  });
  try {
    client.batch({{"a", {}}, {"b", {}}});
    FAIL() << "a batch answer without the second call's answer was accepted";
  } catch (const JsonRpcProtocolError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no answer for call 1 (b, id"));
  }
  // The same id twice.
  server.answer([](const std::string& raw) {
    auto request = json::parse(raw);
    return RpcServer::Reply{200, json::array({answerOne(request[0]), answerOne(request[0])}).dump()};
  });
  EXPECT_THROW(client.batch({{"a", {}}, {"b", {}}}), JsonRpcProtocolError);
  // An id that was never sent.
  server.answerWith(R"([{"jsonrpc":"2.0","id":123456789,"result":1}])");
  try {
    client.batch({{"a", {}}});
    FAIL() << "an answer with a foreign id was accepted";
  } catch (const JsonRpcProtocolError& e) {
    EXPECT_THAT(e.what(), HasSubstr("does not carry the id of a call"));
  }
}

TEST(JsonRpcClient, SignerSeesTheExactBodyThatIsSent) {
  RpcServer server;
  server.answer(echoServer);
  std::string signed_body;
  auto signer = [&](std::string_view body) {
    signed_body = body;
    return Headers{{"X-Test-Signature", fmt::format("{}:{}", body.size(), std::hash<std::string_view>{}(body))}};
  };
  auto client = server.client(signer);
  client.call("eth_sendBundle", json::array({{{"txs", {"0x01"}}, {"blockNumber", "0x10"}}}));
  auto sent = server.lastBody();
  EXPECT_EQ(signed_body, sent);
  EXPECT_EQ(server.lastHeader("X-Test-Signature"),
            fmt::format("{}:{}", sent.size(), std::hash<std::string_view>{}(sent)));

  // A per-call signer and extra headers override the config's.
  client.batch({{"a", {}}, {"b", {}}},
               {.headers = {{"X-Extra", "yes"}}, .signer = [](std::string_view body) {
                  return Headers{{"X-Test-Signature", fmt::format("per-call:{}", body.size())}};
                }});
  EXPECT_EQ(server.lastHeader("X-Test-Signature"), fmt::format("per-call:{}", server.lastBody().size()));
  EXPECT_EQ(server.lastHeader("X-Extra"), "yes");
}

TEST(JsonRpcClient, TransportFailureIsAnHttpErrorWithoutSecrets) {
  auto unused = reservePort();
  JsonRpcClient client({.http = {.base_url = fmt::format("http://127.0.0.1:{}", unused.port()),
                                 .basic_auth = BasicAuth{"rpc", "rpc-pass-S3CRET"}},
                        .signer = [](std::string_view) { return Headers{{"X-Flashbots-Signature", "0xabc:sig-S3CRET"}}; }});
  try {
    client.call("eth_chainId");
    FAIL() << "call to a closed port succeeded";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kConnect);
    EXPECT_THAT(e.what(), Not(HasSubstr("S3CRET")));
  }
}

// Found by fuzz_json_rpc (tests/fuzz/corpus/json_rpc/crash-6313ba76...): a number beyond the
// range of a double made the JSON parser throw out_of_range, which escaped the client's
// documented errors.
TEST(JsonRpcResponse, NumberTooLargeForADoubleIsAProtocolError) {
  HttpResponse response{.method = "POST", .url = "http://127.0.0.1:8545/", .status = 200,
                        .body = R"({"jsonrpc":"2.0","id":1,"result":1e999})"};
  try {
    detail::readJsonRpcResult("eth_blockNumber", 1, response);
    FAIL() << "no error";
  } catch (const JsonRpcProtocolError& e) {
    EXPECT_THAT(e.what(), HasSubstr("eth_blockNumber"));
    EXPECT_THAT(e.what(), HasSubstr("body is not JSON"));
    EXPECT_THAT(e.what(), HasSubstr("1e999"));
  }
  response.body = "[-1e400]";
  EXPECT_THROW(detail::readJsonRpcBatch({JsonRpcCall{.method = "eth_chainId"}}, 1, response), JsonRpcProtocolError);
}

}  // namespace
}  // namespace e2e
