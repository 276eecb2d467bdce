#include "tests/faults/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "framework/artifacts/artifacts.hpp"
#include "framework/net/ports.hpp"

namespace e2e::testing {

namespace {

using namespace std::chrono_literals;
constexpr int kPollMs = 50;  // how often blocked loops look at stop/freeze

int connectLoopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

bool writeAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

const char* modeName(FaultMode mode) {
  switch (mode) {
    case FaultMode::kForward: return "forward";
    case FaultMode::kHttp500: return "http-500";
    case FaultMode::kDelayResponses: return "delay-responses";
  }
  return "?";
}

}  // namespace

std::unique_ptr<FaultProxy> FaultProxy::start(FaultProxyConfig config) {
  if (config.upstream_port == 0) throw std::invalid_argument("FaultProxy: upstream_port is required");
  if (config.log_path.empty()) config.log_path = Artifacts::instance().logPath(config.name + ".log", config.name);
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(std::move(config)));
  auto reservation = reservePort();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(reservation.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("{}: cannot listen on 127.0.0.1:{}: {}", proxy->config_.name,
                                         reservation.port(), why));
  }
  proxy->listen_fd_ = fd;
  proxy->port_ = reservation.port();
  proxy->mode_ = proxy->config_.mode;
  proxy->delay_ = proxy->config_.response_delay;
  proxy->listening_ = true;
  proxy->log(fmt::format("listening on 127.0.0.1:{} -> 127.0.0.1:{} ({})", proxy->port_,
                         proxy->config_.upstream_port, modeName(proxy->mode_)));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->acceptLoop(); });
  return proxy;
}

FaultProxy::~FaultProxy() { stop(); }

std::string FaultProxy::url() const { return fmt::format("http://127.0.0.1:{}", port_); }

void FaultProxy::setMode(FaultMode mode, std::chrono::milliseconds response_delay) {
  {
    std::lock_guard lock(mu_);
    mode_ = mode;
    delay_ = response_delay;
  }
  log(fmt::format("mode {} (delay {} ms)", modeName(mode), response_delay.count()));
}

void FaultProxy::freeze() {
  frozen_ = true;
  log("frozen: live connections carry no more bytes");
}

void FaultProxy::dropAll() {
  std::vector<int> fds;
  {
    std::lock_guard lock(mu_);
    fds = live_fds_;
  }
  for (int fd : fds) ::shutdown(fd, SHUT_RDWR);
  log(fmt::format("dropped every live connection ({} sockets)", fds.size()));
}

void FaultProxy::stopListening() {
  if (!listening_.exchange(false)) return;
  // The accept loop polls with a timeout and sees listening_ false; it closes the socket.
  if (acceptor_.joinable()) acceptor_.join();
  log("stopped listening: new connections are refused");
}

void FaultProxy::stop() {
  if (stopping_.exchange(true)) return;
  stopListening();
  dropAll();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  log(fmt::format("stopped after {} connections", connections_.load()));
}

int FaultProxy::liveConnections() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(live_fds_.size() / 2);
}

void FaultProxy::log(const std::string& line) {
  std::lock_guard lock(log_mu_);
  std::ofstream out(config_.log_path, std::ios::app);
  out << fmt::format("{:%H:%M:%S} {}: {}\n", std::chrono::system_clock::now(), config_.name, line);
}

bool FaultProxy::sleepUnlessStopping(std::chrono::milliseconds d) const {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping_) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(kPollMs),
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()) + 1ms));
  }
  return !stopping_;
}

void FaultProxy::acceptLoop() {
  while (listening_) {
    pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int number = ++connections_;
    std::lock_guard lock(mu_);
    workers_.emplace_back([this, client, number] { serve(client, number); });
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void FaultProxy::serve(int client_fd, int number) {
  FaultMode mode;
  {
    std::lock_guard lock(mu_);
    mode = number <= config_.http500_first ? FaultMode::kHttp500 : mode_;
    live_fds_.push_back(client_fd);
  }
  if (mode == FaultMode::kHttp500) {
    answer500(client_fd, number);
  } else {
    int upstream = connectLoopback(config_.upstream_port);
    if (upstream < 0) {
      log(fmt::format("#{}: upstream 127.0.0.1:{} refused ({}): closing the client", number, config_.upstream_port,
                      std::strerror(errno)));
    } else {
      {
        std::lock_guard lock(mu_);
        live_fds_.push_back(upstream);
      }
      log(fmt::format("#{}: forwarding ({})", number, modeName(mode)));
      pump(client_fd, upstream, number);
      {
        std::lock_guard lock(mu_);
        live_fds_.erase(std::remove(live_fds_.begin(), live_fds_.end(), upstream), live_fds_.end());
      }
      ::close(upstream);
    }
  }
  {
    std::lock_guard lock(mu_);
    live_fds_.erase(std::remove(live_fds_.begin(), live_fds_.end(), client_fd), live_fds_.end());
  }
  ::close(client_fd);
}

void FaultProxy::answer500(int client_fd, int number) {
  std::string head;
  char buffer[4096];
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (head.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < give_up && !stopping_) {
    pollfd p{.fd = client_fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    ssize_t n = ::recv(client_fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  std::string request_line = head.substr(0, head.find("\r\n"));
  const std::string body = "fault injected\n";
  const std::string response = fmt::format(
      "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      body.size(), body);
  writeAll(client_fd, response.data(), response.size());
  ++answered_500_;
  log(fmt::format("#{}: answered 500 to '{}'", number, request_line));
}

void FaultProxy::pump(int client_fd, int upstream_fd, int number) {
  char buffer[16384];
  bool client_open = true;
  bool upstream_open = true;
  bool awaiting_response = false;  // client bytes went up since the last upstream bytes
  while ((client_open || upstream_open) && !stopping_) {
    if (frozen_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      // A frozen connection still ends when dropAll() shut its sockets down.
      pollfd p[2] = {{.fd = client_fd, .events = 0, .revents = 0}, {.fd = upstream_fd, .events = 0, .revents = 0}};
      ::poll(p, 2, 0);
      if ((p[0].revents & (POLLHUP | POLLERR)) != 0 && (p[1].revents & (POLLHUP | POLLERR)) != 0) break;
      continue;
    }
    pollfd p[2] = {{.fd = client_fd, .events = static_cast<short>(client_open ? POLLIN : 0), .revents = 0},
                   {.fd = upstream_fd, .events = static_cast<short>(upstream_open ? POLLIN : 0), .revents = 0}};
    if (::poll(p, 2, kPollMs) <= 0) continue;
    if (p[0].revents != 0 && client_open) {
      ssize_t n = ::recv(client_fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        client_open = false;
        ::shutdown(upstream_fd, SHUT_WR);
      } else {
        awaiting_response = true;
        if (!writeAll(upstream_fd, buffer, static_cast<std::size_t>(n))) break;
      }
    }
    if (p[1].revents != 0 && upstream_open) {
      ssize_t n = ::recv(upstream_fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        upstream_open = false;
        ::shutdown(client_fd, SHUT_WR);
      } else {
        std::chrono::milliseconds delay{0};
        {
          std::lock_guard lock(mu_);
          if (mode_ == FaultMode::kDelayResponses && awaiting_response) delay = delay_;
        }
        if (delay.count() > 0) {
          log(fmt::format("#{}: holding a response back {} ms", number, delay.count()));
          if (!sleepUnlessStopping(delay)) break;
        }
        awaiting_response = false;
        if (!writeAll(client_fd, buffer, static_cast<std::size_t>(n))) break;
      }
    }
    if (!client_open && !upstream_open) break;
  }
}

}  // namespace e2e::testing
