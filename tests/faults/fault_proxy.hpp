#pragma once
// A loopback TCP proxy that injects faults between a component and its client, so that the
// stand-ins stay as they are: it forwards, answers every HTTP request with 500, delays each
// response, stops accepting (connections refused), freezes live connections (a network
// black hole) or drops them (both peers see the connection end).
//
//   auto proxy = FaultProxy::start({.name = "hub-gateway", .upstream_port = gateway.port()});
//   proxy->setMode(FaultMode::kHttp500);
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace e2e::testing {

enum class FaultMode {
  kForward,         // bytes both ways, as they come
  kHttp500,         // read one request head, answer 500 "fault injected", close
  kDelayResponses,  // forward, but hold each response (upstream bytes after client bytes) back
};

struct FaultProxyConfig {
  std::string name = "fault-proxy";  // in the log and in messages
  std::uint16_t upstream_port = 0;   // 127.0.0.1:<port>; required
  FaultMode mode = FaultMode::kForward;
  std::chrono::milliseconds response_delay{0};  // kDelayResponses
  int http500_first = 0;  // the first N connections are answered 500 whatever the mode
  // One line per connection and fault; empty: <the running test's artifacts>/<name>.log.
  std::filesystem::path log_path;
};

class FaultProxy {
 public:
  // Listens on a reserved loopback port and returns at once. Throws std::runtime_error
  // naming the port when it cannot listen.
  static std::unique_ptr<FaultProxy> start(FaultProxyConfig config);
  ~FaultProxy();  // stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"
  const std::filesystem::path& logPath() const { return config_.log_path; }

  // Applies to connections accepted from now on.
  void setMode(FaultMode mode, std::chrono::milliseconds response_delay = std::chrono::milliseconds(0));
  // Live connections stop carrying bytes (both peers keep their sockets): a black hole.
  void freeze();
  // Ends every live connection now (shutdown of both sockets): each peer reads EOF.
  void dropAll();
  // Closes the listening socket: new connections are refused. Idempotent.
  void stopListening();
  // stopListening, dropAll, joins every thread. Idempotent; never throws.
  void stop();

  int connections() const { return connections_.load(); }     // accepted so far
  int answered500() const { return answered_500_.load(); }     // 500s sent
  int liveConnections() const;

 private:
  explicit FaultProxy(FaultProxyConfig config) : config_(std::move(config)) {}
  void acceptLoop();
  void serve(int client_fd, int number);
  void pump(int client_fd, int upstream_fd, int number);
  void answer500(int client_fd, int number);
  void log(const std::string& line);
  bool sleepUnlessStopping(std::chrono::milliseconds d) const;

  FaultProxyConfig config_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<bool> frozen_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> answered_500_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  FaultMode mode_ = FaultMode::kForward;
  std::chrono::milliseconds delay_{0};
  std::vector<std::thread> workers_;
  std::vector<int> live_fds_;  // sockets of live connections, for dropAll()
  std::mutex log_mu_;
};

}  // namespace e2e::testing
