#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace bnet::tools {

// A loopback listen address from a flag: "127.0.0.1:8080", "[::1]:0", "localhost:0".
// Port 0 lets the kernel choose. Any other host is refused: the stand-ins listen on
// loopback only. Throws std::invalid_argument naming the flag and the value.
struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1" (no brackets)
  std::uint16_t port = 0;
  std::string text() const;  // "127.0.0.1:8080", "[::1]:8080"
};
ListenAddress parseListenAddress(std::string_view value, std::string_view flag);

// True for 127.0.0.0/8, ::1 and "localhost".
bool isLoopbackHost(std::string_view host);

// Writes JSON to path atomically (temporary file + rename), so a reader polling for the
// file never sees half of it. Throws std::runtime_error naming the path.
void writeJsonFileAtomically(const std::filesystem::path& path, const nlohmann::json& value);

// Blocks SIGTERM, SIGINT and SIGHUP in this thread (call before starting threads, so every
// thread inherits the mask), then waitForTerminationSignal() returns the first that arrives.
void blockTerminationSignals();
int waitForTerminationSignal();

}  // namespace bnet::tools
