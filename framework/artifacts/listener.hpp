#pragma once
#include <ostream>

#include <gtest/gtest.h>

#include "framework/artifacts/artifacts.hpp"

namespace e2e {

// GoogleTest listener that keeps the evidence of each test:
// - on test start it notes how long each global log is;
// - on test end it redacts the test's logs in place, records every artifact still on disk
//   as the test property artifact_<label> = <path> (so the JUnit XML links them; GoogleTest
//   still attributes RecordProperty to the test in OnTestEnd), and for a failed test prints
//   the tail of each log written during the test (redacted) to `err`; a passing test's
//   folder is pruned unless BNET_E2E_KEEP_ARTIFACTS is set;
// - at program end it redacts the global logs and GoogleTest's XML/JSON report
//   (--gtest_output), which the report printer wrote at the end of the iteration.
class ArtifactsListener : public ::testing::EmptyTestEventListener {
 public:
  explicit ArtifactsListener(Artifacts& artifacts = Artifacts::instance(), std::ostream* err = nullptr);
  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;
  void OnTestProgramEnd(const ::testing::UnitTest& unit_test) override;

 private:
  Artifacts* artifacts_;
  std::ostream* err_;  // nullptr: std::cerr
};

// Wraps GoogleTest's result printer so that every failure and skip message passes through the
// redactor first, and appends an ArtifactsListener on Artifacts::instance(). Throws
// std::invalid_argument when the artifacts settings are bad (see ArtifactsConfig).
void installArtifactsListener();

}  // namespace e2e
