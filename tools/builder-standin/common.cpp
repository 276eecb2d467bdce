#include "tools/builder-standin/common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace bnet::standin {

namespace {

std::string quoted(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 120)) {
    if (std::isprint(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  if (text.size() > 120) out += "...";
  return "'" + out + "'";
}

// A decimal port 1..65535; -1 otherwise.
int parsePort(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return -1;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return -1;
  int port = std::stoi(std::string(digits));
  return port >= 1 && port <= 65535 ? port : -1;
}

}  // namespace

std::optional<std::uint64_t> parseHexU64(std::string_view text) {
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  std::uint64_t v = 0;
  bool nonzero_seen = false;
  std::size_t digits = 0;
  for (char c : text.substr(2)) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return std::nullopt;
    if (d != 0) nonzero_seen = true;
    if (nonzero_seen && ++digits > 16) return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

std::string ListenAddress::text() const { return fmt::format("{}:{}", host, port); }

ListenAddress parseListenAddress(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return ConfigError(fmt::format("{}: {} is not a listen address host:port ({})", what, quoted(text), why));
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) throw bad("no ':port'");
  std::string_view host = text.substr(0, colon);
  int port = parsePort(text.substr(colon + 1));
  if (port < 0) throw bad("the port must be 1..65535");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) throw bad("no host");
  return ListenAddress{.host = std::string(host), .port = port};
}

HttpUrl parseHttpUrl(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return ConfigError(fmt::format("{}: {} is not an http(s) URL ({})", what, quoted(text), why));
  };
  HttpUrl url;
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) throw bad("no scheme");
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "http" && url.scheme != "https") throw bad("the scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (url.path.find_first_of("?#") != std::string::npos) throw bad("query and fragment are not supported");
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::size_t colon = authority.rfind(':');
  std::size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    url.port = parsePort(authority.substr(colon + 1));
    if (url.port < 0) throw bad("the port must be 1..65535");
    host = authority.substr(0, colon);
  }
  if (host.empty()) throw bad("no host");
  url.host = std::string(host);
  std::string path = url.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.base = url.scheme + "://" + url.host + (url.port ? fmt::format(":{}", url.port) : "") + path;
  return url;
}

std::string joinUrl(std::string_view url, std::string_view name) {
  std::size_t sep = url.find("://");
  std::size_t path_start = url.find('/', sep == std::string_view::npos ? 0 : sep + 3);
  if (path_start == std::string_view::npos) return fmt::format("{}/{}", url, name);
  std::size_t last = url.rfind('/');
  return fmt::format("{}{}", url.substr(0, last + 1), name);
}

void StopSignal::request() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::requested() const {
  std::lock_guard lock(mu_);
  return stop_;
}

bool StopSignal::waitFor(std::chrono::steady_clock::duration d) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [&] { return stop_; });
}

std::uint64_t unixMicros() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t unixMillis() { return unixMicros() / 1000; }

std::string resolveEnvIndirection(std::string_view text, std::string_view key) {
  constexpr std::string_view kPrefix = "env:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::string(text);
  std::string var(text.substr(kPrefix.size()));
  if (var.empty()) throw ConfigError(fmt::format("{}: 'env:' names no environment variable", key));
  const char* value = std::getenv(var.c_str());
  if (value == nullptr || *value == '\0') {
    throw ConfigError(fmt::format("{}: environment variable {} (from 'env:{}') is not set or empty", key, var, var));
  }
  return value;
}

}  // namespace bnet::standin
