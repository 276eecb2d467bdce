#include "framework/wait/eventually.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace e2e {
namespace {

TEST(Eventually, ReturnsWhenTheProbeSucceeds) {
  int calls = 0;
  eventually("counter reaches 3", 5s, [&] {
    ++calls;
    return Attempt::check(calls >= 3, fmt::format("counter is {}", calls));
  });
  EXPECT_EQ(calls, 3);
}

TEST(Eventually, TimeoutNamesWhatBudgetTriesAndLastObservation) {
  int calls = 0;
  try {
    eventually("builder head >= 5", 200ms, [&] {
      ++calls;
      return Attempt::retry(fmt::format("head is {}", calls));
    });
    FAIL() << "eventually returned although the probe never succeeded";
  } catch (const WaitTimeout& e) {
    std::string message = e.what();
    EXPECT_THAT(message, StartsWith("builder head >= 5: timed out after 200ms ("));
    EXPECT_THAT(message, HasSubstr(fmt::format("({} tries); last: head is {}", calls, calls)));
    EXPECT_EQ(e.tries(), calls);
    EXPECT_EQ(e.last(), fmt::format("head is {}", calls));
    EXPECT_GE(e.waited(), 200ms);
  }
}

TEST(Eventually, FailStopsAtOnceWithTheReason) {
  int calls = 0;
  auto start = Clock::now();
  try {
    eventually("service ready", 30s, [&] {
      ++calls;
      return calls < 2 ? Attempt::retry("starting") : Attempt::fail("process exited with code 3");
    });
    FAIL() << "eventually returned although the probe failed";
  } catch (const WaitFailed& e) {
    EXPECT_THAT(e.what(), HasSubstr("service ready: failed after"));
    EXPECT_THAT(e.what(), HasSubstr("(2 tries): process exited with code 3"));
  }
  EXPECT_LT(Clock::now() - start, 5s) << "a failed probe must not wait for the deadline";
}

TEST(Eventually, ProbesAtLeastOnceEvenWhenTheDeadlineHasPassed) {
  auto deadline = Deadline::after(0s);
  int calls = 0;
  eventually("already true", deadline, [&] {
    ++calls;
    return Attempt::done();
  });
  EXPECT_EQ(calls, 1);
}

TEST(Eventually, ExceptionsFromTheProbePropagate) {
  EXPECT_THROW(eventually("x", 1s, []() -> Attempt { throw std::logic_error("bug in probe"); }),
               std::logic_error);
}

TEST(Eventually, WakerCutsTheSleepShort) {
  Waker waker;
  std::atomic<bool> flag{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(100ms);
    flag = true;
    waker.notify();
  });
  auto start = Clock::now();
  // With a 10 s poll interval only the waker can make this finish quickly.
  eventually("flag set", 20s, [&] { return Attempt::check(flag, "flag unset"); },
             {.first_interval = 10s, .max_interval = 10s, .waker = &waker});
  auto took = Clock::now() - start;
  setter.join();
  EXPECT_LT(took, 5s);
}

TEST(Deadline, RemainingNeverNegativeAndCappedIsEarlier) {
  auto d = Deadline::after(50ms);
  std::this_thread::sleep_for(80ms);
  EXPECT_TRUE(d.expired());
  EXPECT_EQ(d.remaining(), Clock::duration::zero());
  auto long_one = Deadline::after(60s);
  auto step = long_one.capped(1s);
  EXPECT_LE(step.at(), long_one.at());
  EXPECT_LE(step.remaining(), 1s);
  EXPECT_EQ(long_one.capped(120s).at(), long_one.at());
}

TEST(Deadline, FormatsDurationsForPeople) {
  EXPECT_EQ(formatDuration(250ms), "250ms");
  EXPECT_EQ(formatDuration(1500ms), "1.5s");
  EXPECT_EQ(formatDuration(2s), "2s");
  EXPECT_EQ(formatDuration(60s), "60s");
  EXPECT_EQ(formatDuration(125s), "2m05s");
}

}  // namespace
}  // namespace e2e
