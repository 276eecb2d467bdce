#include "framework/wait/deadline.hpp"

#include <fmt/format.h>

namespace e2e {

Deadline::Deadline(Clock::time_point start, Clock::duration budget)
    : start_(start), budget_(budget), at_(start + budget) {}

Deadline Deadline::after(Clock::duration budget) {
  if (budget < Clock::duration::zero()) budget = Clock::duration::zero();
  return Deadline(Clock::now(), budget);
}

Deadline Deadline::never() { return Deadline(Clock::now(), std::chrono::hours(24 * 365)); }

Clock::duration Deadline::remaining() const {
  auto left = at_ - Clock::now();
  return left < Clock::duration::zero() ? Clock::duration::zero() : left;
}

Deadline Deadline::capped(Clock::duration cap) const {
  auto now = Clock::now();
  if (now + cap >= at_) return *this;
  return Deadline(now, cap);
}

std::string formatDuration(Clock::duration d) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(d).count();
  if (ms < 0) ms = 0;
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 10'000) {
    auto s = ms / 1000.0;
    auto text = fmt::format("{:.1f}", s);
    if (text.size() > 2 && text.ends_with(".0")) text.resize(text.size() - 2);
    return text + "s";
  }
  auto s = (ms + 500) / 1000;
  if (s < 120) return fmt::format("{}s", s);
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

}  // namespace e2e
