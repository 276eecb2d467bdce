// A run's summary (bnet-e2e summary, bnet-e2e run, the end of the main job and the
// self-test).
#include <fmt/format.h>

#include "framework/env/selection.hpp"
#include "tools/bnet-e2e/report/report.hpp"

namespace bnet::report {

namespace {

constexpr std::size_t kMessageLines = 6;

// The first lines of a message, indented under its test.
std::string indented(const std::string& message) {
  std::string out;
  std::size_t start = 0, lines = 0;
  while (start < message.size() && lines < kMessageLines) {
    auto end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    out += "      " + message.substr(start, end - start) + "\n";
    start = end + 1;
    ++lines;
  }
  if (start < message.size()) out += "      [...]\n";
  return out;
}

}  // namespace

Summary summarize(const TestResults& results, const SummaryPolicy& policy) {
  std::size_t passed = 0, failed = 0, skipped = 0;
  for (const auto& t : results.tests) {
    passed += t.status == TestStatus::kPassed;
    failed += t.status == TestStatus::kFailed;
    skipped += t.status == TestStatus::kSkipped;
  }
  Summary s;
  s.text = fmt::format("summary: {} passed, {} failed, {} skipped (GoogleTest results from {} test process(es)",
                       passed, failed, skipped, results.gtest_processes);
  s.text += results.ctest_only ? fmt::format("; {} known from ctest only)\n", results.ctest_only) : ")\n";
  if (!results.missing.empty()) s.text += fmt::format("  no ctest JUnit file: {} was missing\n", results.missing);
  for (const auto& t : results.tests) {
    if (t.status == TestStatus::kFailed) s.text += fmt::format("  FAILED  {}\n{}", t.name, indented(t.message));
  }
  for (const auto& t : results.tests) {
    if (t.status == TestStatus::kSkipped) s.text += fmt::format("  SKIPPED {}: {}\n", t.name, t.message);
  }
  const bool skips_fail = skipped > 0 && policy.must_run_here && !policy.skips_allowed;
  if (skipped > 0 && policy.must_run_here && policy.skips_allowed) {
    s.text += fmt::format("summary: skips allowed ({}=1): {} skipped test(s) do not fail this run in {}\n",
                          e2e::kAllowSkipsVariable, skipped, policy.environment);
  } else if (policy.skips_allowed) {
    s.text += fmt::format("summary: skips allowed ({}=1)\n", e2e::kAllowSkipsVariable);
  }
  if (skips_fail) {
    s.text += fmt::format(
        "summary: FAILED: {} test(s) skipped in environment {}, which must run here (a missing prerequisite is an "
        "error; {}=1 allows skips)\n",
        skipped, policy.environment, e2e::kAllowSkipsVariable);
  }
  if (results.tests.empty() && results.missing.empty()) s.text += "summary: FAILED: no test results\n";
  s.passed = failed == 0 && !skips_fail && results.missing.empty() && !results.tests.empty();
  return s;
}

}  // namespace bnet::report
