// Made-up tests whose outcome the caller picks: BNET_E2E_PROBE is a comma-separated list of
// "skip" (Probe.Skips skips) and "fail" (Probe.Fails fails); anything else passes.
// Probe.QuotesASkip passes after printing a child's "[  SKIPPED ]" line, as a test that
// shows a child's output does. Unset, every test skips (they are not meant to run alone).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstdio>
#include <string>

namespace {

bool asked(const std::string& what) {
  const char* probe = std::getenv("BNET_E2E_PROBE");
  return probe != nullptr && ("," + std::string(probe) + ",").find("," + what + ",") != std::string::npos;
}

class Probe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("BNET_E2E_PROBE") == nullptr) GTEST_SKIP() << "a probe of tests/results/results_test, run by it";
  }
};

TEST_F(Probe, Passes) { EXPECT_EQ(1 + 1, 2); }

TEST_F(Probe, Skips) {
  if (asked("skip")) GTEST_SKIP() << "the probe was asked to skip";
  EXPECT_TRUE(true);
}

TEST_F(Probe, Fails) { EXPECT_FALSE(asked("fail")) << "the probe was asked to fail"; }

TEST_F(Probe, QuotesASkip) {
  std::printf("a child said:\n[  SKIPPED ] Child.Test (0 ms)\n");
  EXPECT_TRUE(true);
}

}  // namespace
