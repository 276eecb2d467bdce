#pragma once
#include <chrono>
#include <string>

namespace e2e {

using Clock = std::chrono::steady_clock;

// A point in time computed once and handed down, so later steps only get what is left.
class Deadline {
 public:
  static Deadline after(Clock::duration budget);
  // A deadline so far away that it never expires; for attach modes without a budget.
  static Deadline never();

  Clock::time_point at() const { return at_; }
  Clock::duration budget() const { return budget_; }
  Clock::duration elapsed() const { return Clock::now() - start_; }
  // What is left, never negative.
  Clock::duration remaining() const;
  bool expired() const { return Clock::now() >= at_; }
  // The earlier of this deadline and now + cap (for one step of a longer wait).
  Deadline capped(Clock::duration cap) const;

 private:
  Deadline(Clock::time_point start, Clock::duration budget);
  Clock::time_point start_;
  Clock::duration budget_;
  Clock::time_point at_;
};

// "250ms", "1.5s", "60s", "2m05s": for messages that people read.
std::string formatDuration(Clock::duration d);

}  // namespace e2e
