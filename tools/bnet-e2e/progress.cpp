#include "tools/bnet-e2e/progress.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace bnet::cli {

Progress::Progress(std::string task, Config config)
    : task_(std::move(task)), config_(std::move(config)), started_(std::chrono::steady_clock::now()) {
  terminal_ = config_.terminal.value_or(::isatty(config_.fd) == 1);
  update("starting");
}

Progress::~Progress() {
  if (line_open_) write("\n");
}

double Progress::elapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void Progress::write(const std::string& text) const {
  if (config_.fd == STDOUT_FILENO) std::fflush(stdout);  // keep order with stdio output
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(config_.fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed pipe: progress is best effort
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string Progress::statusLine() const {
  return fmt::format("{}: {} [{:.0f}s]", task_, status_, elapsedSeconds());
}

std::string Progress::timestamp() const {
  std::time_t t = std::chrono::system_clock::to_time_t(config_.wall_clock());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void Progress::update(const std::string& status) {
  if (finished_) return;
  status_ = status;
  if (terminal_) {
    write("\r" + statusLine() + "\x1b[K");
    line_open_ = true;
  } else if (status_ != printed_status_) {
    write(fmt::format("{} {}: {}\n", timestamp(), task_, status_));
    printed_status_ = status_;
  }
}

void Progress::tick() {
  if (finished_ || !terminal_) return;
  write("\r" + statusLine() + "\x1b[K");
  line_open_ = true;
}

void Progress::note(const std::string& line) {
  if (terminal_) {
    write("\r" + line + "\x1b[K\n");
    if (!finished_) write(statusLine() + "\x1b[K");
    line_open_ = !finished_;
  } else {
    write(fmt::format("{} {}: {}\n", timestamp(), task_, line));
  }
}

void Progress::finish(const std::string& result) {
  if (finished_) return;
  status_ = result;
  if (terminal_) {
    write("\r" + statusLine() + "\x1b[K\n");
  } else {
    write(fmt::format("{} {}: {} [{:.0f}s]\n", timestamp(), task_, result, elapsedSeconds()));
  }
  line_open_ = false;
  finished_ = true;
}

}  // namespace bnet::cli
