#include "framework/qemu/console_reader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <stdexcept>

namespace e2e {
namespace fs = std::filesystem;

std::string stripTerminalCodes(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\r') continue;
    if (c != '\x1b') {
      out.push_back(c);
      continue;
    }
    // ESC [ params final-byte (CSI), or ESC + one character.
    if (i + 1 < line.size() && line[i + 1] == '[') {
      i += 2;
      while (i < line.size() && !(line[i] >= '@' && line[i] <= '~')) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

ConsoleReader::ConsoleReader(fs::path path, std::uint64_t start_offset)
    : path_(std::move(path)), offset_(start_offset) {}

void ConsoleReader::poll() {
  std::lock_guard lock(mu_);
  pollLocked();
}

void ConsoleReader::pollLocked() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::uint64_t>(in.tellg());
  if (size < offset_) {  // truncated or replaced: read it from the start
    offset_ = 0;
    lines_.clear();
    partial_.clear();
  }
  if (size == offset_) return;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(size - offset_, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<std::size_t>(in.gcount()));
  offset_ += chunk.size();
  std::size_t start = 0;
  for (;;) {
    auto nl = chunk.find('\n', start);
    if (nl == std::string::npos) break;
    partial_.append(chunk, start, nl - start);
    lines_.push_back(stripTerminalCodes(partial_));
    partial_.clear();
    start = nl + 1;
  }
  partial_.append(chunk, start, std::string::npos);
}

std::vector<std::string> ConsoleReader::lines() {
  std::lock_guard lock(mu_);
  pollLocked();
  return lines_;
}

std::size_t ConsoleReader::lineCount() {
  std::lock_guard lock(mu_);
  pollLocked();
  return lines_.size();
}

std::string ConsoleReader::tail(std::size_t n) {
  std::lock_guard lock(mu_);
  pollLocked();
  return tailLocked(n);
}

std::string ConsoleReader::tailLocked(std::size_t n) const {
  std::vector<std::string_view> picked;
  std::string unfinished = stripTerminalCodes(partial_);
  if (!unfinished.empty() && n > 0) {
    picked.push_back(unfinished);
    --n;
  }
  for (auto it = lines_.rbegin(); it != lines_.rend() && n > 0; ++it, --n) picked.push_back(*it);
  std::string out;
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) {
    if (!out.empty()) out.push_back('\n');
    out.append(*it);
  }
  return out;
}

namespace {
std::regex compile(std::string_view pattern) {
  try {
    return std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument(fmt::format("console pattern '{}' is not a valid regex: {}", pattern, e.what()));
  }
}
}  // namespace

std::string ConsoleReader::waitForLine(std::string_view pattern, const Deadline& deadline,
                                       const ConsoleWaitOptions& options) {
  const std::regex wanted = compile(pattern);
  std::vector<std::pair<std::string, std::regex>> fatal;
  for (const auto& f : options.fatal_patterns) fatal.emplace_back(f, compile(f));
  std::size_t next = options.from_line;
  std::string found;
  std::string what = fmt::format("console {} shows a line matching '{}'", path_.filename().string(), pattern);

  auto probe = [&]() -> Attempt {
    // Ask first, read second: lines written just before an exit still count.
    std::optional<std::string> aborted = options.abort_check ? options.abort_check() : std::nullopt;
    std::lock_guard lock(mu_);
    pollLocked();
    auto check = [&](const std::string& line) -> std::optional<Attempt> {
      if (std::regex_search(line, wanted)) {
        found = line;
        return Attempt::done();
      }
      for (const auto& [text, re] : fatal) {
        if (std::regex_search(line, re)) return Attempt::fail(fmt::format("fatal console line (matches '{}'): {}", text, line));
      }
      return std::nullopt;
    };
    for (; next < lines_.size(); ++next) {
      if (auto a = check(lines_[next])) {
        ++next;
        return *a;
      }
    }
    std::string unfinished = stripTerminalCodes(partial_);
    if (!unfinished.empty()) {
      if (auto a = check(unfinished)) return *a;
    }
    if (aborted) return Attempt::fail(*aborted);
    std::string last = !unfinished.empty() ? unfinished : (lines_.empty() ? std::string() : lines_.back());
    return Attempt::retry(lines_.empty() && unfinished.empty()
                              ? std::string("console is empty")
                              : fmt::format("{} lines so far; last line: {}", lines_.size(), last));
  };

  auto withTail = [&](const WaitError& e) {
    return fmt::format("{}\nconsole tail ({}):\n{}", e.what(), path_.string(), tail(options.tail_lines));
  };
  try {
    eventually(what, deadline, probe,
               WaitOptions{.first_interval = std::chrono::milliseconds(20),
                           .max_interval = std::chrono::milliseconds(200)});
  } catch (const WaitTimeout& e) {
    throw WaitTimeout(withTail(e), e.awaited(), e.waited(), e.tries(), e.last());
  } catch (const WaitFailed& e) {
    throw WaitFailed(withTail(e), e.awaited(), e.waited(), e.tries(), e.last());
  }
  return found;
}

}  // namespace e2e
