#pragma once
// One cpp-httplib server on its own thread: bound before start() returns (so a port clash
// is a start error, not a silent failure), TCP_NODELAY on, stopped and joined by stop().
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "tools/builder-standin/common.hpp"

namespace httplib {
class Server;
}

namespace bnet::standin {

struct HttpServerConfig {
  std::string what;             // "user server": for messages
  ListenAddress address;
  std::size_t max_body_bytes = 0;  // 0: no limit; larger bodies get 413
  std::function<void(httplib::Server&)> routes;
};

class HttpServer {
 public:
  using Config = HttpServerConfig;
  // Binds and starts serving; throws ConfigError naming `what` and the address when the
  // address cannot be bound.
  static std::unique_ptr<HttpServer> start(Config config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, finishes running handlers, joins. Idempotent.
  void stop();
  int port() const { return port_; }

 private:
  explicit HttpServer(Config config);
  Config config_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace bnet::standin
