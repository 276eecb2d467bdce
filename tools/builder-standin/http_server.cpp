#include "tools/builder-standin/http_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include "tools/common/httplib_quirks.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

namespace bnet::standin {

HttpServer::HttpServer(Config config) : config_(std::move(config)), server_(std::make_unique<httplib::Server>()) {}

std::unique_ptr<HttpServer> HttpServer::start(Config config) {
  std::unique_ptr<HttpServer> s(new HttpServer(std::move(config)));
  httplib::Server& server = *s->server_;
  server.set_tcp_nodelay(true);
  if (s->config_.max_body_bytes > 0) server.set_payload_max_length(s->config_.max_body_bytes);
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    // Neither axum (FlowProxy) nor rbuilder's servers compress answers; cpp-httplib would.
    bnet::tools::disableResponseCompression(req);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  if (s->config_.routes) s->config_.routes(server);
  const ListenAddress& a = s->config_.address;
  if (!server.bind_to_port(a.host, a.port)) {
    int err = errno;
    throw ConfigError(fmt::format("{}: cannot listen on {} ({})", s->config_.what, a.text(),
                                  err ? std::strerror(err) : "bind failed"));
  }
  s->port_ = a.port;
  s->thread_ = std::thread([srv = s->server_.get()] { srv->listen_after_bind(); });
  // stop() only interrupts a server that is already running: wait for it (bounded).
  for (int i = 0; i < 5000 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return s;
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace bnet::standin
