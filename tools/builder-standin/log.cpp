#include "tools/builder-standin/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include "tools/builder-standin/common.hpp"

namespace bnet::standin {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool levelFromWord(std::string_view word, LogLevel& out) {
  std::string w = lower(word);
  if (w == "trace") out = LogLevel::kTrace;
  else if (w == "debug") out = LogLevel::kDebug;
  else if (w == "info") out = LogLevel::kInfo;
  else if (w == "warn" || w == "warning") out = LogLevel::kWarn;
  else if (w == "error") out = LogLevel::kError;
  else return false;
  return true;
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

std::string fieldValue(std::string_view v) {
  bool plain = !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t' || !std::isprint(static_cast<unsigned char>(c));
  });
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (!std::isprint(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

LogLevel parseLogLevel(std::string_view text, std::string_view what) {
  LogLevel best = LogLevel::kError;
  bool any = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::size_t eq = part.find('=');
    std::string_view word = eq == std::string_view::npos ? part : part.substr(eq + 1);
    LogLevel level{};
    if (!levelFromWord(word, level)) {
      throw ConfigError(fmt::format("{}: '{}' is not a log level (trace, debug, info, warn, error)", what, part));
    }
    best = std::min(best, level);
    any = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!any) throw ConfigError(fmt::format("{}: empty log level", what));
  return best;
}

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "TRACE";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return " INFO";
    case LogLevel::kWarn: return " WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

std::string formatFields(const LogFields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += ' ';
    out += k;
    out += '=';
    out += fieldValue(v);
  }
  return out;
}

std::string formatSpan(std::string_view name, const LogFields& fields) {
  return fmt::format("{}{{{}}}", name, formatFields(fields));
}

void Logger::setLevel(LogLevel level) {
  std::lock_guard lock(mu_);
  level_ = level;
}

bool Logger::enabled(LogLevel level) const {
  std::lock_guard lock(mu_);
  return level >= level_;
}

void Logger::log(LogLevel level, std::string_view target, std::string_view message, const LogFields& fields,
                 std::string_view span) {
  if (!enabled(level)) return;
  std::string line = fmt::format("{} {} ", timestamp(), levelName(level));
  if (!span.empty()) {
    line += span;
    line += ": ";
  }
  line += target;
  line += ": ";
  line += message;
  if (!fields.empty()) {
    line += ' ';
    line += formatFields(fields);
  }
  line += '\n';
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace bnet::standin
