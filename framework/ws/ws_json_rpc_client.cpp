#include "framework/ws/ws_json_rpc_client.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "framework/wait/eventually.hpp"

namespace e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxQueuedNotifications = 10000;

struct WsUrl {
  std::string host;
  std::string port;
  std::string target;
};

WsUrl parseWsUrl(const std::string& url) {
  constexpr std::string_view kScheme = "ws://";
  if (url.rfind(kScheme, 0) != 0) {
    throw std::invalid_argument(fmt::format("WsJsonRpcClient: url '{}' is not ws://host:port[/path]", url));
  }
  std::string rest = url.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  WsUrl out{.target = slash == std::string::npos ? "/" : rest.substr(slash)};
  std::size_t colon = std::string::npos;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) {
      throw std::invalid_argument(fmt::format("WsJsonRpcClient: url '{}': unterminated IPv6 address", url));
    }
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') colon = close + 1;
  } else {
    colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
  }
  out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (out.host.empty() || out.port.empty() ||
      !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw std::invalid_argument(fmt::format("WsJsonRpcClient: url '{}' is not ws://host:port[/path]", url));
  }
  return out;
}

// A failure before the handshake completed is kConnect (refused, or no WebSocket there).
WsError::Kind classify(const boost::system::error_code& ec, bool opened) {
  if (ec == beast::error::timeout) return WsError::Kind::kTimeout;
  return opened ? WsError::Kind::kClosed : WsError::Kind::kConnect;
}

// One call in flight: a waiting thread (waiter) or an internal renewal (on_result only).
struct Pending {
  std::string method;
  bool waiter = true;
  std::function<void(const json&)> on_result;  // runs on the client's thread, before done
  bool done = false;
  json result;
  std::optional<JsonRpcError> rpc_error;
  std::optional<std::string> protocol_error;
  std::optional<WsError> transport_error;
};

}  // namespace

struct WsSubscription::State {
  std::weak_ptr<WsJsonRpcClient::Impl> client;
  std::string kind;
  json params;  // the whole eth_subscribe params array
  WsJsonRpcClient::Callback callback;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::string id;
  std::deque<json> queue;
  std::size_t received = 0;
  std::atomic<bool> cancelled{false};
  bool registered = false;  // client thread only
};

// One connection; coroutines hold it by shared_ptr so a stream outlives its operations.
struct Connection {
  explicit Connection(asio::io_context& ioc) : ws(ioc) {}
  websocket::stream<beast::tcp_stream> ws;
  std::deque<std::string> outbox;
  bool writing = false;
  bool open = false;
};

struct WsJsonRpcClient::Impl {
  Config config;
  WsUrl where;
  asio::io_context ioc;  // first: destroyed last, after everything that registered with it
  asio::steady_timer backoff_timer{ioc};
  std::shared_ptr<Connection> conn;  // client thread only
  std::map<std::string, std::shared_ptr<WsSubscription::State>> subs_by_id;  // client thread only
  std::vector<std::weak_ptr<WsSubscription::State>> live_subs;               // client thread only
  std::thread thread;
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending;
  std::uint64_t next_id = 1;
  bool is_connected = false;
  int connections = 0;
  std::string last_error;
  bool first_try_done = false;
  std::optional<WsError> first_error;
  bool finished = false;

  ~Impl() { stop(); }

  void run() {
    asio::co_spawn(ioc, session(), asio::detached);
    ioc.run();
    {
      std::lock_guard lock(mu);
      finished = true;
    }
    cv.notify_all();
  }

  asio::awaitable<void> session() {
    auto backoff = config.min_backoff;
    while (!stopping) {
      boost::system::error_code failure;
      bool opened = false;
      try {
        auto c = std::make_shared<Connection>(ioc);
        conn = c;
        co_await open(*c);
        opened = true;
        backoff = config.min_backoff;
        onOpen(c);
        beast::flat_buffer buffer;
        for (;;) {
          co_await c->ws.async_read(buffer, asio::use_awaitable);
          handleMessage(beast::buffers_to_string(buffer.data()));
          buffer.consume(buffer.size());
        }
      } catch (const boost::system::system_error& e) {
        failure = e.code();
      } catch (const std::exception& e) {
        failure = asio::error::fault;
        std::lock_guard lock(mu);
        last_error = e.what();
      }
      onClose(failure, opened);
      if (stopping) break;
      backoff_timer.expires_after(backoff);
      boost::system::error_code ignored;
      co_await backoff_timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      backoff = std::min(config.max_backoff, backoff * 2);
    }
  }

  asio::awaitable<void> open(Connection& c) {
    tcp::resolver resolver(ioc);
    auto endpoints = co_await resolver.async_resolve(where.host, where.port, asio::use_awaitable);
    auto& tcp_stream = beast::get_lowest_layer(c.ws);
    tcp_stream.expires_after(config.connect_timeout);
    co_await tcp_stream.async_connect(endpoints, asio::use_awaitable);
    tcp_stream.expires_never();
    c.ws.set_option(websocket::stream_base::timeout{
        .handshake_timeout = config.connect_timeout, .idle_timeout = websocket::stream_base::none(),
        .keep_alive_pings = false});
    c.ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "bnet-e2e-ws"); }));
    c.ws.read_message_max(64 * 1024 * 1024);
    co_await c.ws.async_handshake(fmt::format("{}:{}", where.host, where.port), where.target, asio::use_awaitable);
    c.ws.text(true);
  }

  void onOpen(const std::shared_ptr<Connection>& c) {
    c->open = true;
    int n = 0;
    {
      std::lock_guard lock(mu);
      is_connected = true;
      n = ++connections;
      first_try_done = true;
    }
    cv.notify_all();
    subs_by_id.clear();
    std::erase_if(live_subs, [](const auto& weak) {
      auto s = weak.lock();
      return !s || s->cancelled;
    });
    for (const auto& weak : live_subs) {
      auto state = weak.lock();
      {
        std::lock_guard lock(state->mu);
        state->id.clear();
      }
      auto p = std::make_shared<Pending>();
      p->method = "eth_subscribe";
      p->waiter = false;
      p->on_result = [this, state](const json& result) { registerSubscription(state, result); };
      send(c, registerPending(p), "eth_subscribe", state->params);
    }
    if (config.on_connect) config.on_connect(n);
  }

  void onClose(const boost::system::error_code& ec, bool opened) {
    std::string why = opened ? fmt::format("connection to {} lost: {}", config.url, ec.message())
                             : fmt::format("cannot open {}: {}", config.url, ec.message());
    if (conn) {
      conn->open = false;
      beast::error_code ignored;
      beast::get_lowest_layer(conn->ws).socket().close(ignored);
      // Dropping the stream also ends its handshake timer (after a refused upgrade), which
      // would otherwise keep the io_context busy until it fires.
      conn.reset();
    }
    std::map<std::uint64_t, std::shared_ptr<Pending>> failed;
    {
      std::lock_guard lock(mu);
      if (ec != asio::error::fault) last_error = why;
      is_connected = false;
      if (!first_try_done) {
        first_try_done = true;
        first_error.emplace(last_error, classify(ec, opened));
      }
      failed.swap(pending);
      for (auto& [id, p] : failed) {
        p->transport_error.emplace(fmt::format("WebSocket {} {}: {}", config.url, p->method, last_error),
                                   WsError::Kind::kClosed);
        p->done = true;
      }
    }
    cv.notify_all();
    for (auto& [id, state] : subs_by_id) {
      std::lock_guard lock(state->mu);
      state->id.clear();
    }
    subs_by_id.clear();
  }

  std::uint64_t registerPending(const std::shared_ptr<Pending>& p) {
    std::lock_guard lock(mu);
    std::uint64_t id = next_id++;
    pending[id] = p;
    return id;
  }

  // Client thread: queue one request on the connection and start the writer if idle.
  void send(const std::shared_ptr<Connection>& c, std::uint64_t id, std::string_view method, const json& params) {
    c->outbox.push_back(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump());
    if (!c->writing) asio::co_spawn(ioc, writeLoop(c), asio::detached);
  }

  asio::awaitable<void> writeLoop(std::shared_ptr<Connection> c) {
    c->writing = true;
    try {
      while (c->open && !c->outbox.empty()) {
        std::string message = std::move(c->outbox.front());
        c->outbox.pop_front();
        co_await c->ws.async_write(asio::buffer(message), asio::use_awaitable);
      }
    } catch (const boost::system::system_error&) {
      // The read loop sees the same failure and reconnects.
    }
    c->writing = false;
  }

  void registerSubscription(const std::shared_ptr<WsSubscription::State>& state, const json& result) {
    if (!result.is_string()) return;
    std::string id = result.get<std::string>();
    {
      std::lock_guard lock(state->mu);
      state->id = id;
    }
    subs_by_id[id] = state;
    if (!state->registered) {
      state->registered = true;
      live_subs.push_back(state);
    }
  }

  void handleMessage(const std::string& text) {
    json message = json::parse(text, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      std::lock_guard lock(mu);
      last_error = fmt::format("{}: a message that is not a JSON object: {}", config.url, text.substr(0, 200));
      return;
    }
    if (message.value("method", "") == "eth_subscription") {
      handleNotification(message);
      return;
    }
    auto id_it = message.find("id");
    if (id_it == message.end() || !id_it->is_number_unsigned()) {
      std::lock_guard lock(mu);
      last_error = fmt::format("{}: a message with neither an id nor a known method: {}", config.url, text.substr(0, 200));
      return;
    }
    std::shared_ptr<Pending> p;
    {
      std::lock_guard lock(mu);
      auto it = pending.find(id_it->get<std::uint64_t>());
      if (it == pending.end()) return;  // its caller gave up (timeout)
      p = it->second;
      pending.erase(it);
    }
    if (auto err = message.find("error"); err != message.end() && err->is_object()) {
      p->rpc_error.emplace(p->method, err->value("code", 0), err->value("message", ""),
                           err->contains("data") ? (*err)["data"] : json(), 0);
    } else if (auto res = message.find("result"); res != message.end()) {
      if (p->on_result) p->on_result(*res);
      p->result = *res;
    } else {
      p->protocol_error = fmt::format("JSON-RPC {} over {}: an answer with neither result nor error: {}", p->method,
                                      config.url, text.substr(0, 200));
    }
    {
      std::lock_guard lock(mu);
      p->done = true;
    }
    cv.notify_all();
  }

  void handleNotification(const json& message) {
    const json& params = message.contains("params") ? message["params"] : json();
    if (!params.is_object() || !params.contains("subscription") || !params["subscription"].is_string()) return;
    auto it = subs_by_id.find(params["subscription"].get<std::string>());
    if (it == subs_by_id.end() || it->second->cancelled) return;
    const auto& state = it->second;
    json result = params.contains("result") ? params["result"] : json();
    // The callback runs first: a thread that took the notification from the queue can
    // rely on the callback having seen it.
    if (state->callback) state->callback(result);
    {
      std::lock_guard lock(state->mu);
      if (state->queue.size() >= kMaxQueuedNotifications) state->queue.pop_front();
      state->queue.push_back(result);
      ++state->received;
    }
    state->cv.notify_all();
  }

  json call(std::string_view method, json params, std::chrono::milliseconds timeout,
            std::function<void(const json&)> on_result = {}) {
    auto p = std::make_shared<Pending>();
    p->method = std::string(method);
    p->on_result = std::move(on_result);
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mu);
      if (stopping || !is_connected) {
        throw WsError(fmt::format("WebSocket {} {}: not connected{}", config.url, method,
                                  last_error.empty() ? "" : fmt::format(" ({})", last_error)),
                      WsError::Kind::kClosed);
      }
      id = next_id++;
      pending[id] = p;
    }
    asio::post(ioc, [this, id, m = std::string(method), params = std::move(params)] {
      if (conn && conn->open) send(conn, id, m, params);
    });
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, timeout, [&] { return p->done; })) {
      pending.erase(id);
      throw WsError(fmt::format("WebSocket {} {}: no answer within {}", config.url, method, formatDuration(timeout)),
                    WsError::Kind::kTimeout);
    }
    if (p->transport_error) throw *p->transport_error;
    if (p->rpc_error) throw *p->rpc_error;
    if (p->protocol_error) throw JsonRpcProtocolError(*p->protocol_error);
    return p->result;
  }

  void stop() noexcept {
    if (!thread.joinable()) {
      stopping = true;
      return;
    }
    if (stopping.exchange(true)) {
      if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
      return;
    }
    asio::post(ioc, [this] {
      backoff_timer.cancel();
      if (conn) {
        beast::error_code ignored;
        beast::get_lowest_layer(conn->ws).socket().close(ignored);
      }
    });
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::seconds(1), [&] { return finished; });
    }
    ioc.stop();
    if (thread.joinable()) thread.join();
    std::lock_guard lock(mu);
    is_connected = false;
    for (auto& [id, p] : pending) {
      p->transport_error.emplace(fmt::format("WebSocket {} {}: client stopped", config.url, p->method),
                                 WsError::Kind::kClosed);
      p->done = true;
    }
    pending.clear();
    cv.notify_all();
  }
};

// ---- WsSubscription ----

WsSubscription::WsSubscription(std::shared_ptr<State> state) : state_(std::move(state)) {}
WsSubscription::WsSubscription(WsSubscription&&) noexcept = default;
WsSubscription& WsSubscription::operator=(WsSubscription&& other) noexcept {
  if (this != &other) {
    cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}
WsSubscription::~WsSubscription() { cancel(); }

std::string WsSubscription::id() const {
  std::lock_guard lock(state_->mu);
  return state_->id;
}

json WsSubscription::waitForNotification(const Deadline& deadline) {
  std::unique_lock lock(state_->mu);
  if (!state_->cv.wait_until(lock, deadline.at(), [&] { return !state_->queue.empty(); })) {
    std::string what = fmt::format("a {} notification", state_->kind);
    std::string last = fmt::format("{} notifications so far, subscription id '{}'", state_->received, state_->id);
    throw WaitTimeout(fmt::format("{}: timed out after {} (1 tries); last: {}", what,
                                  formatDuration(deadline.elapsed()), last),
                      what, deadline.elapsed(), 1, last);
  }
  json out = std::move(state_->queue.front());
  state_->queue.pop_front();
  return out;
}

std::vector<json> WsSubscription::take() {
  std::lock_guard lock(state_->mu);
  std::vector<json> out(std::make_move_iterator(state_->queue.begin()), std::make_move_iterator(state_->queue.end()));
  state_->queue.clear();
  return out;
}

std::size_t WsSubscription::received() const {
  std::lock_guard lock(state_->mu);
  return state_->received;
}

void WsSubscription::cancel() noexcept {
  if (!state_ || state_->cancelled.exchange(true)) return;
  auto client = state_->client.lock();
  if (!client) return;
  std::string id = this->id();
  if (id.empty()) return;
  try {
    client->call("eth_unsubscribe", json::array({id}), std::chrono::seconds(2));
  } catch (const std::exception&) {
    // Best effort: the server drops the subscription with the connection anyway.
  }
}

// ---- WsJsonRpcClient ----

WsJsonRpcClient::WsJsonRpcClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsJsonRpcClient::WsJsonRpcClient(WsJsonRpcClient&&) noexcept = default;
WsJsonRpcClient& WsJsonRpcClient::operator=(WsJsonRpcClient&& other) noexcept {
  if (this != &other) {
    stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
WsJsonRpcClient::~WsJsonRpcClient() { stop(); }

WsJsonRpcClient WsJsonRpcClient::start(Config config) {
  WsUrl where = parseWsUrl(config.url);
  auto impl = std::make_shared<Impl>();
  impl->where = std::move(where);
  impl->config = std::move(config);
  impl->thread = std::thread([raw = impl.get()] { raw->run(); });
  std::optional<WsError> failure;
  {
    std::unique_lock lock(impl->mu);
    bool answered = impl->cv.wait_for(lock, impl->config.connect_timeout + std::chrono::seconds(1),
                                      [&] { return impl->first_try_done; });
    if (!answered) {
      failure.emplace(fmt::format("WebSocket {}: not open after {}", impl->config.url,
                                  formatDuration(impl->config.connect_timeout)),
                      WsError::Kind::kTimeout);
    } else if (impl->first_error) {
      failure = impl->first_error;
    }
  }
  if (failure) {
    impl->stop();
    throw *failure;
  }
  return WsJsonRpcClient(std::move(impl));
}

json WsJsonRpcClient::call(std::string_view method, json params, std::optional<std::chrono::milliseconds> timeout) {
  return impl_->call(method, std::move(params), timeout.value_or(impl_->config.call_timeout));
}

WsSubscription WsJsonRpcClient::subscribe(std::string_view kind, json extra_params, Callback on_notification) {
  if (!extra_params.is_array()) {
    throw std::invalid_argument(fmt::format("WsJsonRpcClient::subscribe({}): extra_params must be an array", kind));
  }
  auto state = std::make_shared<WsSubscription::State>();
  state->client = impl_;
  state->kind = std::string(kind);
  state->params = json::array({state->kind});
  for (auto& p : extra_params) state->params.push_back(std::move(p));
  state->callback = std::move(on_notification);
  Impl* impl = impl_.get();
  impl_->call("eth_subscribe", state->params, impl_->config.call_timeout,
              [impl, state](const json& result) { impl->registerSubscription(state, result); });
  if (state->id.empty()) {
    throw JsonRpcProtocolError(
        fmt::format("JSON-RPC eth_subscribe over {}: the result is not a subscription id", impl_->config.url));
  }
  return WsSubscription(std::move(state));
}

void WsJsonRpcClient::stop() noexcept {
  if (impl_) impl_->stop();
}

const std::string& WsJsonRpcClient::url() const { return impl_->config.url; }
bool WsJsonRpcClient::connected() const {
  std::lock_guard lock(impl_->mu);
  return impl_->is_connected;
}
int WsJsonRpcClient::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}
std::string WsJsonRpcClient::lastError() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_error;
}

}  // namespace e2e
