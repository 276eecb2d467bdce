#pragma once
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "framework/http/json_rpc_client.hpp"
#include "framework/wait/deadline.hpp"

namespace e2e {

// A WebSocket transport failure: the connection was refused or closed, a call or the
// opening handshake timed out. Names the URL (and the method for a call). JSON-RPC error
// objects throw e2e::JsonRpcError and malformed answers e2e::JsonRpcProtocolError, as with
// JsonRpcClient.
class WsError : public std::runtime_error {
 public:
  enum class Kind { kConnect, kTimeout, kClosed, kOther };
  WsError(std::string message, Kind kind) : std::runtime_error(std::move(message)), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct WsJsonRpcClientConfig {
  std::string url;  // "ws://127.0.0.1:8545" (a path is allowed; wss is not supported)
  std::chrono::milliseconds connect_timeout{5000};  // TCP connect + WebSocket handshake, per try
  std::chrono::milliseconds call_timeout{10000};    // default for call()
  std::chrono::milliseconds min_backoff{100};       // first reconnect delay, doubled per failure ...
  std::chrono::milliseconds max_backoff{2000};      // ... up to this
  // Optional; called on the client's thread after every (re)connection, once its
  // subscriptions are renewed. Must not throw, block or call the client.
  std::function<void(int connection)> on_connect;
};

class WsJsonRpcClient;

// One eth_subscribe subscription. Notifications (the "result" of each eth_subscription
// message) go to the callback given to subscribe(), then to a queue read by
// waitForNotification()/take(). Survives reconnects: the client subscribes again and the
// id changes. Move-only; destruction unsubscribes (best effort, never throws).
class WsSubscription {
 public:
  struct State;
  WsSubscription(WsSubscription&&) noexcept;
  WsSubscription& operator=(WsSubscription&&) noexcept;
  ~WsSubscription();

  // The server's current subscription id ("" while reconnecting).
  std::string id() const;
  // Blocks until a notification is queued, removes and returns the oldest. Throws
  // WaitTimeout at the deadline naming the subscription and the notifications seen so far.
  nlohmann::json waitForNotification(const Deadline& deadline);
  // Removes and returns every queued notification.
  std::vector<nlohmann::json> take();
  std::size_t received() const;  // notifications delivered so far

  // Stops the subscription (eth_unsubscribe when connected); idempotent, never throws.
  void cancel() noexcept;

 private:
  friend class WsJsonRpcClient;
  explicit WsSubscription(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// JSON-RPC 2.0 over one WebSocket (Boost.Beast), served by a background thread. Calls may
// come from any thread; answers are matched by id. A lost connection is reopened with
// bounded backoff and every live subscription is renewed. Move-only; destruction stops.
class WsJsonRpcClient {
 public:
  using Config = WsJsonRpcClientConfig;
  using Callback = std::function<void(const nlohmann::json& notification)>;

  // Blocks until the first connection is open (one try, connect_timeout). Throws WsError
  // (kConnect: refused or no WebSocket there; kTimeout) or std::invalid_argument for a URL
  // that is not ws://host:port[/path].
  static WsJsonRpcClient start(Config config);

  WsJsonRpcClient(WsJsonRpcClient&&) noexcept;
  WsJsonRpcClient& operator=(WsJsonRpcClient&&) noexcept;
  ~WsJsonRpcClient();

  // One call; blocks for at most `timeout` (default: the config's call_timeout). Returns the
  // result; throws JsonRpcError, JsonRpcProtocolError or WsError (kClosed while the
  // connection is down, kTimeout).
  nlohmann::json call(std::string_view method, nlohmann::json params = nlohmann::json::array(),
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // eth_subscribe(kind, params...) e.g. subscribe("newHeads"). Blocks for the first answer
  // (call_timeout); throws like call(). `on_notification` (optional) runs on the client's
  // thread; it must not throw, block or call the client.
  WsSubscription subscribe(std::string_view kind, nlohmann::json extra_params = nlohmann::json::array(),
                           Callback on_notification = {});

  // Closes the connection and joins the thread within about a second; pending calls fail
  // with WsError(kClosed). Idempotent, never throws.
  void stop() noexcept;

  const std::string& url() const;
  bool connected() const;
  int connections() const;        // connections opened so far (1 + reconnects)
  std::string lastError() const;  // why the last connection ended or failed; "" if none did

 private:
  friend class WsSubscription;
  struct Impl;
  explicit WsJsonRpcClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace e2e
