#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace bnet::tools {

// One log line in the shape of Go's log/slog text handler, which builder-hub uses:
//   time=2026-05-01T12:00:00.123Z level=INFO msg="starting builder-hub" service=hub-standin
// Values with spaces, quotes, '=' or control bytes are quoted. Thread-safe; writes to stderr
// (the owner's ChildProcess log). Callers never pass secrets: there is no redaction here.
using LogField = std::pair<std::string_view, std::string>;
void logLine(std::string_view level, std::string_view message,
             std::initializer_list<LogField> fields = {});
inline void logInfo(std::string_view m, std::initializer_list<LogField> f = {}) { logLine("INFO", m, f); }
inline void logWarn(std::string_view m, std::initializer_list<LogField> f = {}) { logLine("WARN", m, f); }
inline void logError(std::string_view m, std::initializer_list<LogField> f = {}) { logLine("ERROR", m, f); }

// A slog text value: bare when safe, else a Go-quoted string.
std::string logValue(std::string_view value);

}  // namespace bnet::tools
