#pragma once
// Test helper: a cpp-httplib server on a reserved loopback port, served by a thread,
// stopped and joined by the destructor.
#include <httplib.h>

#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "framework/net/ports.hpp"
#include "framework/wait/eventually.hpp"

namespace e2e::testing {

class LoopbackServer {
 public:
  // Register handlers on server() between construction and start().
  explicit LoopbackServer(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>(),
                          bool tls = false)
      : server_(std::move(server)), tls_(tls) {
    // cpp-httplib 0.11 writes without MSG_NOSIGNAL: a client that hangs up must not kill
    // the test binary with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    // Headers and body go out in separate writes; without this, Nagle plus delayed ACKs
    // add 40 ms to every response on a reused connection.
    server_->set_tcp_nodelay(true);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() { stop(); }

  httplib::Server& server() { return *server_; }

  // Binds a reserved port and serves on a thread; returns when the server accepts.
  void start() {
    if (!server_->is_valid()) throw std::runtime_error("test server is not valid (TLS setup failed?)");
    reservation_ = std::make_unique<PortReservation>(reservePort());
    if (!server_->bind_to_port("127.0.0.1", reservation_->port())) {
      throw std::runtime_error(fmt::format("test server cannot bind 127.0.0.1:{}", reservation_->port()));
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    eventually(fmt::format("test server on port {} running", port()), std::chrono::seconds(10),
               [&] { return Attempt::check(server_->is_running(), "not running yet"); });
  }

  // Runs before the server stops (e.g. to end streaming handlers).
  void onStop(std::function<void()> hook) { on_stop_ = std::move(hook); }

  void stop() {
    if (!thread_.joinable()) return;
    if (on_stop_) on_stop_();
    server_->stop();
    thread_.join();
  }

  std::uint16_t port() const { return reservation_->port(); }
  std::string baseUrl() const { return fmt::format("{}://127.0.0.1:{}", tls_ ? "https" : "http", port()); }

 private:
  std::unique_ptr<httplib::Server> server_;
  bool tls_;
  std::unique_ptr<PortReservation> reservation_;
  std::function<void()> on_stop_;
  std::thread thread_;
};

}  // namespace e2e::testing
