#pragma once
// Helpers shared by the fault-injection tests: time to detection as a JUnit property, and
// the check that a test left nothing running.
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "framework/process/registry.hpp"
#include "framework/wait/deadline.hpp"
#include "tests/ssh/sshd_server.hpp"

namespace e2e::testing {

// Seconds from `from` to now.
inline double secondsSince(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

// Records the time a fault took to be reported as the test property
// time_to_detection_s (JUnit XML), and prints it.
inline void recordDetection(double seconds) {
  ::testing::Test::RecordProperty("time_to_detection_s", fmt::format("{:.2f}", seconds));
  std::cout << fmt::format("time to detection: {:.2f} s\n", seconds);
}

// A child test binary's output for a failure message, its "[  SKIPPED ]" markers defused:
// ctest would otherwise report the test skipped (SKIP_REGULAR_EXPRESSION) instead of failed.
inline std::string quoted(std::string output) {
  for (auto at = output.find("[  SKIPPED ]"); at != std::string::npos; at = output.find("[  SKIPPED ]", at)) {
    output.replace(at, 12, "[  skipped ]");
  }
  return output;
}

// Records what the framework reported for the fault (property reported, first 400
// characters) and prints it whole.
inline void recordReport(std::string_view message) {
  ::testing::Test::RecordProperty("reported", std::string(message.substr(0, 400)));
  std::cout << "reported: " << message << "\n";
}

// Nothing this process started is alive or still recorded in the ProcessRegistry.
inline ::testing::AssertionResult nothingLeftRunning() {
  std::string problems;
  for (const auto& who : livingDescendants()) problems += "\n  still running: " + who;
  for (const auto& record : ProcessRegistry::list()) {
    if (record.owner_pid == ::getpid()) {
      problems += fmt::format("\n  still recorded: {} pid {} ({})", record.name, record.pid, record.command);
    }
  }
  if (problems.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "left behind:" << problems;
}

// The process with this pid is gone (or a zombie).
inline bool processGone(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace e2e::testing
