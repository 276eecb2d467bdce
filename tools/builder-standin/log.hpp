#pragma once
// Log lines in the shape of Rust's tracing fmt output, which rbuilder and FlowProxy use:
//   2026-01-02T03:04:05.123456Z  INFO bid{bid_value=0.0021 block=7}: rbuilder::live_builder::block_output::relay_submit: Submitting bid
// One line per event on stderr (the journal in the twin). Callers never pass secrets.
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bnet::standin {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError };

// "trace", "debug", "info", "warn", "error" (any case); a tracing filter such as
// "info,rbuilder=trace" gives the most verbose level it names. Throws ConfigError naming
// `what` for anything else.
LogLevel parseLogLevel(std::string_view text, std::string_view what);
std::string_view levelName(LogLevel level);

using LogFields = std::vector<std::pair<std::string, std::string>>;

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::kInfo, std::FILE* out = stderr) : level_(level), out_(out) {}

  void setLevel(LogLevel level);
  bool enabled(LogLevel level) const;
  // Writes one line when level is enabled. `span` is "name{k=v ...}" or "".
  void log(LogLevel level, std::string_view target, std::string_view message, const LogFields& fields = {},
           std::string_view span = "");
  void info(std::string_view target, std::string_view message, const LogFields& fields = {}) {
    log(LogLevel::kInfo, target, message, fields);
  }
  void warn(std::string_view target, std::string_view message, const LogFields& fields = {}) {
    log(LogLevel::kWarn, target, message, fields);
  }
  void error(std::string_view target, std::string_view message, const LogFields& fields = {}) {
    log(LogLevel::kError, target, message, fields);
  }
  void debug(std::string_view target, std::string_view message, const LogFields& fields = {}) {
    log(LogLevel::kDebug, target, message, fields);
  }
  void trace(std::string_view target, std::string_view message, const LogFields& fields = {}) {
    log(LogLevel::kTrace, target, message, fields);
  }

 private:
  mutable std::mutex mu_;
  LogLevel level_;
  std::FILE* out_;
};

// "name{k=v k2=v2}" for Logger::log's span argument.
std::string formatSpan(std::string_view name, const LogFields& fields);
// The fields as tracing prints them: k=v, with values that contain spaces or quotes quoted.
std::string formatFields(const LogFields& fields);

}  // namespace bnet::standin
