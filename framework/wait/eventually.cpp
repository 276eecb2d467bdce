#include "framework/wait/eventually.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace e2e {

void Waker::notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

std::uint64_t Waker::waitFor(std::uint64_t seen, Clock::duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return generation_ != seen; });
  return generation_;
}

std::uint64_t Waker::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

namespace {
std::string triesText(int tries) { return tries == 1 ? "1 try" : fmt::format("{} tries", tries); }
}  // namespace

void eventually(std::string_view what, const Deadline& deadline,
                const std::function<Attempt()>& probe, const WaitOptions& options) {
  auto interval = options.first_interval;
  std::string last = "(no observation)";
  int tries = 0;
  std::uint64_t generation = options.waker ? options.waker->generation() : 0;
  for (;;) {
    ++tries;
    Attempt attempt = probe();
    switch (attempt.kind()) {
      case Attempt::Kind::kDone:
        return;
      case Attempt::Kind::kFail:
        throw WaitFailed(fmt::format("{}: failed after {} ({}): {}", what,
                                     formatDuration(deadline.elapsed()), triesText(tries),
                                     attempt.text()),
                         std::string(what), deadline.elapsed(), tries, attempt.text());
      case Attempt::Kind::kRetry:
        if (!attempt.text().empty()) last = attempt.text();
        break;
    }
    if (deadline.expired()) {
      throw WaitTimeout(fmt::format("{}: timed out after {} ({}); last: {}", what,
                                    formatDuration(deadline.budget()), triesText(tries), last),
                        std::string(what), deadline.elapsed(), tries, last);
    }
    auto sleep = std::min(interval, deadline.remaining());
    if (options.waker) {
      generation = options.waker->waitFor(generation, sleep);
    } else {
      std::this_thread::sleep_for(sleep);
    }
    interval = std::min(options.max_interval,
                        std::chrono::duration_cast<Clock::duration>(interval * options.backoff));
  }
}

void eventually(std::string_view what, Clock::duration budget,
                const std::function<Attempt()>& probe, const WaitOptions& options) {
  eventually(what, Deadline::after(budget), probe, options);
}

}  // namespace e2e
