#pragma once
// Turns an e2e::Unavailable thrown below a test into a skip with its reason: GoogleTest
// reports an exception escaping SetUp() or the test body as a fatal failure; while a test
// runs, this listener keeps a result reporter in front of GoogleTest's that rewrites that
// one failure (and only while the exception in flight is an e2e::Unavailable) into a skip.
// Every other exception stays a failure.
#include <memory>

#include <gtest/gtest.h>

namespace e2e {

class SkipUnavailableListener : public ::testing::EmptyTestEventListener {
 public:
  SkipUnavailableListener();
  ~SkipUnavailableListener() override;
  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;

 private:
  class Reporter;
  std::unique_ptr<Reporter> reporter_;
};

// Appends a SkipUnavailableListener to GoogleTest's listeners (the project's main does).
void installSkipUnavailableListener();

}  // namespace e2e
