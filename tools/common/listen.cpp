#include "tools/common/listen.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <pthread.h>

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace bnet::tools {

std::string ListenAddress::text() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

ListenAddress parseListenAddress(std::string_view value, std::string_view flag) {
  auto fail = [&](std::string_view why) {
    return std::invalid_argument(fmt::format("{} '{}': {}", flag, value, why));
  };
  std::string_view host;
  std::string_view port_text;
  if (!value.empty() && value.front() == '[') {
    auto close = value.find(']');
    if (close == std::string_view::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      throw fail("expected [IPV6]:PORT");
    }
    host = value.substr(1, close - 1);
    port_text = value.substr(close + 2);
  } else {
    auto colon = value.rfind(':');
    if (colon == std::string_view::npos) throw fail("expected HOST:PORT, e.g. 127.0.0.1:0");
    host = value.substr(0, colon);
    port_text = value.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) throw fail("write an IPv6 host in brackets: [::1]:PORT");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    throw fail("the port must be a number from 0 to 65535");
  }
  if (!isLoopbackHost(host)) {
    throw fail("only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed");
  }
  return ListenAddress{.host = host == "localhost" ? "127.0.0.1" : std::string(host),
                       .port = static_cast<std::uint16_t>(port)};
}

void writeJsonFileAtomically(const std::filesystem::path& path, const nlohmann::json& value) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
    out << value.dump(2) << '\n';
    if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
}

namespace {
sigset_t terminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void blockTerminationSignals() {
  sigset_t set = terminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int waitForTerminationSignal() {
  sigset_t set = terminationSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace bnet::tools
