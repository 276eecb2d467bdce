#include "tools/builder-standin/flowproxy_service.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "framework/http/http_client.hpp"
#include "tools/builder-standin/http_server.hpp"
#include "tools/builder-standin/metrics.hpp"

namespace bnet::standin {

namespace {

constexpr std::string_view kTarget = "flowproxy";
constexpr std::string_view kHubTarget = "flowproxy::builderhub";
constexpr std::string_view kForwarderTarget = "flowproxy::forwarder";

// FlowProxy v2's system port speaks msg-rs frames over raw TCP (orderflow.md §1); the
// stand-in has no peers, so it only listens there and answers HAProxy's binary check:
// a connection that sends "PING" gets "PONG" (buildernet-vm.md §3). Departure: no frames.
class SystemPortListener {
 public:
  static std::unique_ptr<SystemPortListener> start(const ListenAddress& address) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port = std::to_string(address.port);
    int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
      throw ConfigError(fmt::format("system port: cannot resolve {} ({})", address.text(), gai_strerror(rc)));
    }
    int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    int one = 1;
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = fd >= 0 && ::bind(fd, res->ai_addr, res->ai_addrlen) == 0 && ::listen(fd, 64) == 0;
    int err = errno;
    ::freeaddrinfo(res);
    if (!ok) {
      if (fd >= 0) ::close(fd);
      throw ConfigError(fmt::format("system port: cannot listen on {} ({})", address.text(), std::strerror(err)));
    }
    return std::unique_ptr<SystemPortListener>(new SystemPortListener(fd));
  }
  ~SystemPortListener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

 private:
  explicit SystemPortListener(int fd) : fd_(fd), thread_([this] { loop(); }) {}
  void loop() {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      pollfd c{.fd = conn, .events = POLLIN, .revents = 0};
      char buf[256];
      if (::poll(&c, 1, 1000) > 0) {
        ssize_t n = ::recv(conn, buf, sizeof buf, 0);
        if (n > 0 && std::string_view(buf, static_cast<std::size_t>(n)).find("PING") != std::string_view::npos) {
          ::send(conn, "PONG", 4, MSG_NOSIGNAL);
        }
      }
      ::close(conn);
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sends accepted orders to the local builder in order, one at a time, fire-and-forget:
// builder errors are logged and counted, never returned to the user (as FlowProxy does).
class Forwarder {
 public:
  Forwarder(std::string builder_url, Logger& log, Metrics& metrics)
      : url_(std::move(builder_url)), log_(log), metrics_(metrics), thread_([this] { loop(); }) {}
  ~Forwarder() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void push(ForwardedOrder order) {
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= kMaxQueued) {
        queue_.pop_front();
        metrics_.increment("flowproxy_forwarder_dropped_requests", {{"peer_name", "local-builder"}});
      }
      queue_.push_back(std::move(order));
    }
    cv_.notify_one();
  }

 private:
  static constexpr std::size_t kMaxQueued = 10000;
  void loop() {
    e2e::HttpClient client({.base_url = url_,
                            .connect_timeout = std::chrono::milliseconds(2000),
                            .timeout = std::chrono::milliseconds(5000)});
    while (true) {
      ForwardedOrder order;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        order = std::move(queue_.front());
        queue_.pop_front();
      }
      e2e::Headers headers{{"Content-Type", "application/json"},
                           {std::string(kBuilderNetPriorityHeader), "medium"},
                           {std::string(kBuilderNetSentAtHeader), std::to_string(unixMicros())}};
      MetricLabels labels{{"peer_name", "local-builder"}, {"method", order.method}};
      try {
        e2e::HttpResponse r = client.post("", order.body, headers);
        if (r.ok()) {
          log_.trace(kForwarderTarget, "received success response", {{"hash", order.hash}, {"status", std::to_string(r.status)}});
          labels.emplace_back("result", "ok");
        } else {
          log_.error(kForwarderTarget, "failed to forward request",
                     {{"peer_name", "local-builder"}, {"hash", order.hash}, {"status", std::to_string(r.status)},
                      {"body", e2e::bodyExcerpt(r.body)}});
          labels.emplace_back("result", "http_error");
        }
      } catch (const e2e::HttpError& e) {
        log_.error(kForwarderTarget, "error forwarding request",
                   {{"peer_name", "local-builder"}, {"hash", order.hash}, {"error", e.what()}});
        labels.emplace_back("result", "connection_error");
      }
      metrics_.increment("flowproxy_forwarder_requests", labels);
    }
  }
  std::string url_;
  Logger& log_;
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ForwardedOrder> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// POST register_credentials/orderflow_proxy with bounded exponential backoff (1 s doubling
// up to the cap). Returns false when every try failed or stop was requested.
bool registerWithHub(const FlowProxyConfig& config, const StopSignal& stop, Logger& log, Metrics& metrics) {
  const std::string address = config.orderflow_signer->address().checksummed();
  const std::string path = "/api/l1-builder/v1/register_credentials/orderflow_proxy";
  const std::string body = nlohmann::json{{"ecdsa_pubkey_address", address}}.dump();
  e2e::HttpClient client({.base_url = config.builder_hub_url,
                          .connect_timeout = std::chrono::milliseconds(2000),
                          .timeout = std::chrono::milliseconds(10000)});
  auto backoff = std::chrono::milliseconds(1000);
  for (int attempt = 1; attempt <= config.hub_register_attempts; ++attempt) {
    std::string failure;
    try {
      e2e::HttpResponse r = client.post(path, body, {{"Content-Type", "application/json"}});
      if (r.status == 200) {
        log.info(kHubTarget, "Registered orderflow proxy credentials with BuilderHub",
                 {{"url", config.builder_hub_url + path}, {"ecdsa_pubkey_address", address}, {"attempt", std::to_string(attempt)}});
        metrics.increment("flowproxy_builderhub_registrations", {{"result", "ok"}});
        return true;
      }
      failure = fmt::format("HTTP {} {}", r.status, e2e::bodyExcerpt(r.body));
    } catch (const e2e::HttpError& e) {
      failure = e.what();
    }
    metrics.increment("flowproxy_builderhub_registrations", {{"result", "error"}});
    bool last = attempt == config.hub_register_attempts;
    log.warn(kHubTarget, "Failed to register credentials with BuilderHub",
             {{"url", config.builder_hub_url + path},
              {"attempt", fmt::format("{}/{}", attempt, config.hub_register_attempts)},
              {"error", failure},
              {"retry_in", last ? "never" : fmt::format("{}ms", backoff.count())}});
    if (last) break;
    if (stop.waitFor(backoff)) return false;
    backoff = std::min(backoff * 2, config.hub_register_max_backoff);
  }
  log.error(kHubTarget, "Giving up registering with BuilderHub",
            {{"attempts", std::to_string(config.hub_register_attempts)}, {"url", config.builder_hub_url + path}});
  return false;
}

// GET /api/l1-builder/v1/builders at start and every interval; logs what it got.
void pollPeers(const FlowProxyConfig& config, const StopSignal& stop, Logger& log, Metrics& metrics) {
  e2e::HttpClient client({.base_url = config.builder_hub_url,
                          .connect_timeout = std::chrono::milliseconds(2000),
                          .timeout = std::chrono::milliseconds(10000)});
  std::optional<std::size_t> last_count;
  do {
    try {
      e2e::HttpResponse r = client.get("/api/l1-builder/v1/builders");
      if (r.status != 200) throw std::runtime_error(fmt::format("HTTP {} {}", r.status, e2e::bodyExcerpt(r.body)));
      nlohmann::json peers = nlohmann::json::parse(r.body);
      if (!peers.is_array()) throw std::runtime_error("the peer list is not a JSON array");
      metrics.set("flowproxy_builderhub_peer_count", static_cast<double>(peers.size()));
      if (last_count != peers.size()) {
        log.info(kHubTarget, "Updated peers from BuilderHub", {{"peers", std::to_string(peers.size())}});
        last_count = peers.size();
      }
    } catch (const std::exception& e) {
      metrics.increment("flowproxy_builderhub_peer_errors");
      log.warn(kHubTarget, "Failed to fetch peers from BuilderHub", {{"error", e.what()}});
    }
  } while (!stop.waitFor(config.peer_update_interval));
}

void describeMetrics(Metrics& m) {
  using T = Metrics::Type;
  m.describe("flowproxy_user_requests", T::kCounter, "User endpoint JSON-RPC requests by method and outcome");
  m.describe("flowproxy_forwarder_requests", T::kCounter, "Orders sent to the local builder by result");
  m.describe("flowproxy_forwarder_dropped_requests", T::kCounter, "Orders dropped because the forward queue was full");
  m.describe("flowproxy_builderhub_registrations", T::kCounter, "BuilderHub credential registration tries by result");
  m.describe("flowproxy_builderhub_peer_count", T::kGauge, "Builders in the last BuilderHub peer list");
  m.describe("flowproxy_builderhub_peer_errors", T::kCounter, "Failed BuilderHub peer list fetches");
  m.describe("flowproxy_readyz_requests", T::kCounter, "/readyz answers by status");
}

}  // namespace

int runFlowProxy(const FlowProxyConfig& config, const StopSignal& stop, Logger& log) {
  Metrics metrics;
  describeMetrics(metrics);
  const std::string signer = config.orderflow_signer->address().checksummed();
  log.info(kTarget, "Starting orderflow proxy (bnet-builder-standin)",
           {{"builder_name", config.builder_name},
            {"user_listen_addr", config.user_listen_addr.text()},
            {"system_listen_addr", config.system_listen_addr.text()},
            {"builder_url", config.builder_url.empty() ? "none (forwarding mocked)" : config.builder_url},
            {"builder_ready_endpoint", config.builder_ready_endpoint.empty() ? "none" : config.builder_ready_endpoint},
            {"builder_hub_url", config.builder_hub_url.empty() ? "none" : config.builder_hub_url},
            {"orderflow_signer", signer}});
  // The real FlowProxy's start line (attestation-and-orderflow-addendum.md §2.3).
  log.info(kTarget, "running with orderflow signer", {{"address", signer}});

  if (!config.builder_hub_url.empty()) {
    if (!registerWithHub(config, stop, log, metrics)) return stop.requested() ? 0 : 1;
  } else {
    log.info(kHubTarget, "No BuilderHub URL: skipping credentials registration (in-memory peer store)");
  }

  UserIngress ingress({.max_txs_per_bundle = config.max_txs_per_bundle,
                       .order_cache_ttl = config.order_cache_ttl,
                       .order_cache_size = config.order_cache_size});
  std::unique_ptr<Forwarder> forwarder;
  if (!config.builder_url.empty() && !config.disable_forwarding) {
    forwarder = std::make_unique<Forwarder>(config.builder_url, log, metrics);
  }

  auto user_routes = [&](httplib::Server& s) {
    s.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
      SignatureHeaders h;
      if (req.has_header(std::string(kBuilderNetSignatureHeader).c_str())) {
        h.buildernet = req.get_header_value(std::string(kBuilderNetSignatureHeader).c_str());
      }
      if (req.has_header(std::string(kFlashbotsSignatureHeader).c_str())) {
        h.flashbots = req.get_header_value(std::string(kFlashbotsSignatureHeader).c_str());
      }
      IngressReply reply = ingress.handle(h, req.body);
      metrics.increment("flowproxy_user_requests",
                        {{"method", reply.method.empty() ? "unknown" : reply.method}, {"outcome", reply.outcome}});
      if (reply.outcome == "ok" || reply.outcome == "duplicate") {
        log.debug(kTarget, "Order accepted",
                  {{"method", reply.method}, {"hash", reply.forward ? reply.forward->hash : ""}, {"outcome", reply.outcome}});
      } else {
        log.debug(kTarget, "Request rejected", {{"method", reply.method}, {"outcome", reply.outcome}, {"detail", reply.detail}});
      }
      if (reply.forward) {
        if (forwarder) {
          forwarder->push(std::move(*reply.forward));
        } else {
          log.debug(kForwarderTarget, "Forwarding disabled or no builder URL: order not forwarded",
                    {{"hash", reply.forward->hash}});
        }
      }
      res.status = reply.status;
      res.set_content(reply.body, "application/json");
    });
    // FlowProxy's health routes answer 200 with an empty body (addendum §2.1).
    auto ok = [](const httplib::Request&, httplib::Response& res) { res.status = 200; };
    s.Get("/health", ok);
    s.Get("/livez", ok);
    s.Get("/readyz", [&](const httplib::Request&, httplib::Response& res) {
      auto answer = [&](int status, std::string_view text) {
        res.status = status;
        res.set_content(std::string(text), "text/plain; charset=utf-8");
        metrics.increment("flowproxy_readyz_requests", {{"status", std::to_string(status)}});
      };
      if (config.builder_ready_endpoint.empty()) return answer(200, "OK");
      std::string url = joinUrl(config.builder_ready_endpoint, "readyz");
      try {
        e2e::HttpClient client({.base_url = url,
                                .connect_timeout = std::chrono::milliseconds(2000),
                                .timeout = std::chrono::milliseconds(5000)});
        e2e::HttpResponse r = client.get("");
        if (r.ok()) {
          log.debug(kTarget, "Local builder is ready", {{"url", url}});
          return answer(200, "OK");
        }
        log.error(kTarget, "Local builder is not ready", {{"url", url}, {"status", std::to_string(r.status)}});
        return answer(503, "builder not ready");
      } catch (const e2e::HttpError& e) {
        log.error(kTarget, "Error sending readyz request", {{"url", url}, {"error", e.what()}});
        return answer(503, "builder not answering readyz request");
      }
    });
  };

  std::unique_ptr<HttpServer> user, metrics_server;
  std::unique_ptr<SystemPortListener> system;
  std::thread peers;
  try {
    user = HttpServer::start({.what = "user server",
                              .address = config.user_listen_addr,
                              .max_body_bytes = config.max_request_size,
                              .routes = user_routes});
    system = SystemPortListener::start(config.system_listen_addr);
    if (config.metrics_addr) {
      metrics_server = HttpServer::start({.what = "metrics server",
                                          .address = *config.metrics_addr,
                                          .routes = [&](httplib::Server& s) {
                                            s.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
                                              res.set_content(metrics.render(), "text/plain; version=0.0.4");
                                            });
                                          }});
    }
  } catch (const ConfigError& e) {
    log.error(kTarget, "Failed to start", {{"error", e.what()}});
    return 1;
  }
  if (!config.builder_hub_url.empty()) {
    peers = std::thread([&] { pollPeers(config, stop, log, metrics); });
  }
  log.info(kTarget, "Orderflow proxy started",
           {{"user_listen_addr", config.user_listen_addr.text()},
            {"system_listen_addr", config.system_listen_addr.text()},
            {"metrics", config.metrics_addr ? config.metrics_addr->text() : "off"}});

  while (!stop.waitFor(std::chrono::hours(1))) {
  }
  log.info(kTarget, "Shutting down");
  if (peers.joinable()) peers.join();
  metrics_server.reset();
  system.reset();
  user.reset();
  forwarder.reset();
  log.info(kTarget, "Stopped");
  return 0;
}

}  // namespace bnet::standin
