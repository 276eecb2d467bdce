#include <gtest/gtest.h>

#include <thread>

#include "framework/ws/ws_json_rpc_client.hpp"
#include "tests/ws/anvil_on_port.hpp"

namespace bnet::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::uint64_t hexNumber(const json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

using WsJsonRpcClientTest = WsAnvilTest;

TEST_F(WsJsonRpcClientTest, CallsAnvilOverWebSocket) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl()});
  EXPECT_TRUE(ws.connected());
  EXPECT_EQ(hexNumber(ws.call("eth_chainId")), 1337u);
  EXPECT_EQ(hexNumber(ws.call("eth_blockNumber")), 0u);
  EXPECT_EQ(ws.connections(), 1);
}

TEST_F(WsJsonRpcClientTest, JsonRpcErrorIsTyped) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl()});
  try {
    ws.call("no_such_method");
    FAIL() << "an unknown method was answered";
  } catch (const e2e::JsonRpcError& e) {
    EXPECT_EQ(e.method(), "no_such_method");
    EXPECT_NE(e.code(), 0);
  }
}

TEST_F(WsJsonRpcClientTest, NewHeadsSubscriptionDeliversEachMinedBlock) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl()});
  std::atomic<int> callbacks{0};
  auto heads = ws.subscribe("newHeads", json::array(), [&](const json&) { ++callbacks; });
  EXPECT_FALSE(heads.id().empty());
  mine();
  mine();
  auto deadline = e2e::Deadline::after(seconds(10));
  EXPECT_EQ(hexNumber(heads.waitForNotification(deadline).at("number")), 1u);
  EXPECT_EQ(hexNumber(heads.waitForNotification(deadline).at("number")), 2u);
  EXPECT_EQ(heads.received(), 2u);
  EXPECT_EQ(callbacks.load(), 2);
}

TEST_F(WsJsonRpcClientTest, CancelledSubscriptionStopsDelivering) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl()});
  auto heads = ws.subscribe("newHeads");
  auto witness = ws.subscribe("newHeads");
  heads.cancel();
  mine();
  // The witness proves the block's notification went out; the cancelled one got none.
  EXPECT_EQ(hexNumber(witness.waitForNotification(e2e::Deadline::after(seconds(10))).at("number")), 1u);
  EXPECT_EQ(heads.received(), 0u);
}

TEST_F(WsJsonRpcClientTest, RefusedPortThrowsConnectError) {
  auto closed = e2e::reservePort();  // reserved, nothing listens
  try {
    e2e::WsJsonRpcClient::start({.url = fmt::format("ws://127.0.0.1:{}", closed.port())});
    FAIL() << "connected to a port where nothing listens";
  } catch (const e2e::WsError& e) {
    EXPECT_EQ(e.kind(), e2e::WsError::Kind::kConnect) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(closed.port())), std::string::npos) << e.what();
  }
}

TEST_F(WsJsonRpcClientTest, MalformedUrlIsRejected) {
  EXPECT_THROW(e2e::WsJsonRpcClient::start({.url = "http://127.0.0.1:1"}), std::invalid_argument);
  EXPECT_THROW(e2e::WsJsonRpcClient::start({.url = "ws://127.0.0.1:port"}), std::invalid_argument);
}

TEST_F(WsJsonRpcClientTest, ReconnectsAndRenewsSubscriptionAfterServerRestart) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl(), .min_backoff = std::chrono::milliseconds(50),
                                         .max_backoff = std::chrono::milliseconds(400)});
  auto heads = ws.subscribe("newHeads");
  std::string first_id = heads.id();
  anvil_->stop();
  e2e::eventually("client notices the server is gone", seconds(10),
                  [&] { return e2e::Attempt::check(!ws.connected(), "still connected"); });
  EXPECT_THROW(ws.call("eth_blockNumber"), e2e::WsError);
  EXPECT_FALSE(ws.lastError().empty());

  anvil_->start();
  e2e::eventually("client reconnected with a renewed subscription", seconds(15), [&] {
    return e2e::Attempt::check(ws.connections() >= 2 && !heads.id().empty(),
                               fmt::format("connections {}, subscription id '{}', last error: {}", ws.connections(),
                                           heads.id(), ws.lastError()));
  });
  mine();
  EXPECT_EQ(hexNumber(heads.waitForNotification(e2e::Deadline::after(seconds(10))).at("number")), 1u);
}

TEST_F(WsJsonRpcClientTest, StopFailsLaterCallsAndIsIdempotent) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl()});
  auto heads = ws.subscribe("newHeads");
  ws.stop();
  ws.stop();
  EXPECT_FALSE(ws.connected());
  try {
    ws.call("eth_blockNumber");
    FAIL() << "a stopped client answered";
  } catch (const e2e::WsError& e) {
    EXPECT_EQ(e.kind(), e2e::WsError::Kind::kClosed) << e.what();
  }
}

TEST_F(WsJsonRpcClientTest, StopWhileServerIsDownDoesNotHang) {
  auto ws = e2e::WsJsonRpcClient::start({.url = anvil_->wsUrl()});
  anvil_->stop();
  e2e::eventually("client notices the server is gone", seconds(10),
                  [&] { return e2e::Attempt::check(!ws.connected(), "still connected"); });
  // Reconnect attempts are failing now; stop must end them (ctest's TIMEOUT catches a hang).
  ws.stop();
  EXPECT_FALSE(ws.connected());
}

}  // namespace
}  // namespace bnet::testing
