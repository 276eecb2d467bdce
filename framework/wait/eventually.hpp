#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "framework/wait/deadline.hpp"

namespace e2e {

// What one probe of a wait saw: done, retry (not there yet; the reason is the last
// observation) or fail (waiting cannot help, e.g. the process died).
class Attempt {
 public:
  enum class Kind { kDone, kRetry, kFail };
  static Attempt done() { return Attempt(Kind::kDone, {}); }
  static Attempt retry(std::string observation) { return Attempt(Kind::kRetry, std::move(observation)); }
  static Attempt fail(std::string reason) { return Attempt(Kind::kFail, std::move(reason)); }
  // done when ok, else retry with the observation.
  static Attempt check(bool ok, std::string observation) {
    return ok ? done() : retry(std::move(observation));
  }
  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }

 private:
  Attempt(Kind kind, std::string text) : kind_(kind), text_(std::move(text)) {}
  Kind kind_;
  std::string text_;
};

// Thrown when a wait ends without success. what() is the whole sentence, e.g.
// "builder head >= 5: timed out after 60s (31 tries); last: head is 3".
class WaitError : public std::runtime_error {
 public:
  WaitError(std::string message, std::string what_awaited, Clock::duration waited, int tries,
            std::string last)
      : std::runtime_error(std::move(message)),
        awaited_(std::move(what_awaited)),
        waited_(waited),
        tries_(tries),
        last_(std::move(last)) {}
  const std::string& awaited() const { return awaited_; }
  Clock::duration waited() const { return waited_; }
  int tries() const { return tries_; }
  const std::string& last() const { return last_; }

 private:
  std::string awaited_;
  Clock::duration waited_;
  int tries_;
  std::string last_;
};
class WaitTimeout : public WaitError {
  using WaitError::WaitError;
};
class WaitFailed : public WaitError {
  using WaitError::WaitError;
};

// Lets an event source (a subscription, a log reader, a child's exit) cut a wait's sleep
// short, so a condition is seen when its event happens rather than at the next poll.
class Waker {
 public:
  void notify();
  // Sleeps until notified after `seen` or until `d` passes; returns the current generation.
  std::uint64_t waitFor(std::uint64_t seen, Clock::duration d);
  std::uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

struct WaitOptions {
  Clock::duration first_interval = std::chrono::milliseconds(20);
  Clock::duration max_interval = std::chrono::seconds(1);
  double backoff = 1.5;
  Waker* waker = nullptr;  // optional: wakes the wait early
};

// Calls probe until it returns done (returns), fail (throws WaitFailed) or the deadline
// passes (throws WaitTimeout). The probe runs at least once, even past the deadline.
// Exceptions from the probe propagate: a probe turns expected errors into retry(reason).
void eventually(std::string_view what, const Deadline& deadline,
                const std::function<Attempt()>& probe, const WaitOptions& options = {});
void eventually(std::string_view what, Clock::duration budget,
                const std::function<Attempt()>& probe, const WaitOptions& options = {});

}  // namespace e2e
