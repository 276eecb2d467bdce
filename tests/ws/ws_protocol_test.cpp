// WsJsonRpcClient against a scripted in-process WebSocket server (Boost.Beast, loopback):
// the answers a real node does not give on demand (silence, malformed answers, a plain
// HTTP server refusing the upgrade).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "framework/ws/ws_json_rpc_client.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

// Accepts one connection on 127.0.0.1:<ephemeral>. As a WebSocket server it answers each
// request with reply(request) (nullopt: no answer); as an HTTP server it answers 404.
class ScriptedServer {
 public:
  using Reply = std::function<std::optional<std::string>(const json& request)>;
  ScriptedServer(bool websocket, Reply reply) : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, websocket, reply = std::move(reply)] {
      try {
        tcp::socket socket = acceptor_.accept();
        if (!websocket) {
          beast::flat_buffer buffer;
          beast::http::request<beast::http::string_body> req;
          beast::http::read(socket, buffer, req);
          beast::http::response<beast::http::string_body> res{beast::http::status::not_found, req.version()};
          res.body() = "not a WebSocket endpoint";
          res.prepare_payload();
          beast::http::write(socket, res);
          return;
        }
        websocket::stream<tcp::socket> ws(std::move(socket));
        ws.accept();
        for (;;) {
          beast::flat_buffer buffer;
          ws.read(buffer);
          auto answer = reply(json::parse(beast::buffers_to_string(buffer.data())));
          if (answer) ws.write(asio::buffer(*answer));
        }
      } catch (const std::exception&) {
        // The client closed the connection or the test ended.
      }
    });
  }
  // Each test stops its client first, which ends the server's read. A server still waiting
  // in accept (the client never came) gets a throwaway connection that closes at once.
  ~ScriptedServer() {
    {
      boost::system::error_code ignored;
      tcp::socket wake(ioc_);
      wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ignored);
    }
    thread_.join();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
};

TEST(WsProtocol, SilentServerMakesTheCallTimeOut) {
  ScriptedServer server(true, [](const json&) { return std::nullopt; });
  {
    auto ws = e2e::WsJsonRpcClient::start({.url = server.url()});
    try {
      ws.call("eth_blockNumber", json::array(), 200ms);
      FAIL() << "a silent server answered";
    } catch (const e2e::WsError& e) {
      EXPECT_EQ(e.kind(), e2e::WsError::Kind::kTimeout) << e.what();
      EXPECT_NE(std::string(e.what()).find("eth_blockNumber"), std::string::npos) << e.what();
    }
  }
}

TEST(WsProtocol, AnswerWithoutResultOrErrorIsAProtocolError) {
  ScriptedServer server(true, [](const json& req) {
    return json{{"jsonrpc", "2.0"}, {"id", req["id"]}}.dump();
  });
  {
    auto ws = e2e::WsJsonRpcClient::start({.url = server.url()});
    EXPECT_THROW(ws.call("eth_chainId"), e2e::JsonRpcProtocolError);
  }
}

TEST(WsProtocol, ErrorObjectCarriesCodeMessageAndData) {
  ScriptedServer server(true, [](const json& req) {
    return json{{"jsonrpc", "2.0"},
                {"id", req["id"]},
                {"error", {{"code", -32000}, {"message", "nonce too low"}, {"data", "0x01"}}}}
        .dump();
  });
  {
    auto ws = e2e::WsJsonRpcClient::start({.url = server.url()});
    try {
      ws.call("eth_sendRawTransaction", json::array({"0x02"}));
      FAIL() << "the error object was not thrown";
    } catch (const e2e::JsonRpcError& e) {
      EXPECT_EQ(e.code(), -32000);
      EXPECT_EQ(e.message(), "nonce too low");
      EXPECT_EQ(e.data(), "0x01");
      EXPECT_EQ(e.method(), "eth_sendRawTransaction");
    }
  }
}

TEST(WsProtocol, NonStringSubscriptionIdIsAProtocolError) {
  ScriptedServer server(true, [](const json& req) {
    return json{{"jsonrpc", "2.0"}, {"id", req["id"]}, {"result", 7}}.dump();
  });
  {
    auto ws = e2e::WsJsonRpcClient::start({.url = server.url()});
    EXPECT_THROW(ws.subscribe("newHeads"), e2e::JsonRpcProtocolError);
  }
}

TEST(WsProtocol, PlainHttpServerIsAConnectError) {
  ScriptedServer server(false, {});
  try {
    e2e::WsJsonRpcClient::start({.url = server.url()});
    FAIL() << "a plain HTTP server was taken for a WebSocket";
  } catch (const e2e::WsError& e) {
    EXPECT_EQ(e.kind(), e2e::WsError::Kind::kConnect) << e.what();
  }
}

}  // namespace
