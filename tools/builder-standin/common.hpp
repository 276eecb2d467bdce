#pragma once
// Small pieces both modes of bnet-builder-standin share: errors, addresses and URLs, the
// stop signal, time.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bnet::standin {

// A configuration problem: the message names the flag, variable or key and why.
class ConfigError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A listening address "host:port" ("127.0.0.1:5543", "0.0.0.0:8645", "[::1]:80").
struct ListenAddress {
  std::string host;
  int port = 0;
  std::string text() const;
};
// Throws ConfigError naming `what` (the flag or key) for anything else.
ListenAddress parseListenAddress(std::string_view text, std::string_view what);

// An http(s) URL split the way the stand-in needs it. A relay URL carries the relay's BLS
// public key as userinfo ("http://0xac6e…@127.0.0.1:5555"); `base` is the URL without
// userinfo and without a trailing slash, for requests.
struct HttpUrl {
  std::string scheme;
  std::string userinfo;  // "" when absent
  std::string host;      // as written ("[::1]" keeps its brackets)
  int port = 0;          // 0 when absent
  std::string path;      // "" or "/..."
  std::string base;      // scheme://host[:port][path without trailing '/']
};
// Throws ConfigError naming `what` for a URL that is not http(s)://host[:port][/path].
HttpUrl parseHttpUrl(std::string_view text, std::string_view what);
// reqwest's Url::join(name) for a plain relative name: replaces the last path segment (or
// appends after a trailing '/'). "http://h:1" + "readyz" -> "http://h:1/readyz".
std::string joinUrl(std::string_view url, std::string_view name);

// A stop request shared by the threads of one mode (SIGTERM/SIGINT set it).
class StopSignal {
 public:
  void request();
  bool requested() const;
  // Blocks up to `d`; returns true when stop was requested (then at once).
  bool waitFor(std::chrono::steady_clock::duration d) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stop_ = false;
};

// A 0x-hex number that fits 64 bits, leading zeros allowed ("0x0a"), as serde's U64 reads
// it; nullopt for anything else.
std::optional<std::uint64_t> parseHexU64(std::string_view text);

// Wall-clock microseconds and milliseconds since the Unix epoch.
std::uint64_t unixMicros();
std::uint64_t unixMillis();

// The value of an "env:VAR" indirection (rbuilder's config convention) or the text itself.
// Throws ConfigError naming `key` when VAR is unset or empty. The value is never echoed.
std::string resolveEnvIndirection(std::string_view text, std::string_view key);

}  // namespace bnet::standin
