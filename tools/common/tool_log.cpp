#include "tools/common/tool_log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <mutex>

namespace bnet::tools {
namespace {
std::mutex& logMutex() {
  static std::mutex mu;
  return mu;
}
}  // namespace

std::string logValue(std::string_view value) {
  bool needs_quotes = value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

void logLine(std::string_view level, std::string_view message, std::initializer_list<LogField> fields) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::string line = fmt::format("time={:%Y-%m-%dT%H:%M:%S}.{:03d}Z level={} msg={}",
                                 fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
                                 static_cast<int>(ms.count()), level, logValue(message));
  for (const auto& [key, value] : fields) {
    line += fmt::format(" {}={}", key, logValue(value));
  }
  line += '\n';
  std::lock_guard lock(logMutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace bnet::tools
