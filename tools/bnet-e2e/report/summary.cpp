// A run's summary (bnet-e2e summary, bnet-e2e run, the end of the main job and the
// self-test) and the merge of the JUnit files of a run's shards (bnet-e2e merge).
#include <fmt/format.h>
#include <tinyxml2.h>

#include <cmath>

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

MergedJunit mergeJunitFiles(const std::vector<std::pair<std::string, std::string>>& files,
                            const std::string& suite_name) {
  static const char* const kCounts[] = {"tests", "failures", "errors", "disabled", "skipped"};
  tinyxml2::XMLDocument out;
  out.InsertEndChild(out.NewDeclaration());
  auto* merged = out.NewElement("testsuite");
  out.InsertEndChild(merged);
  merged->SetAttribute("name", suite_name.c_str());
  std::int64_t totals[std::size(kCounts)] = {};
  double seconds = 0;
  for (const auto& [name, text] : files) {
    tinyxml2::XMLDocument doc;
    if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
      throw ReportError(name, fmt::format("line {}", doc.ErrorLineNum()), doc.ErrorStr());
    }
    const auto* root = doc.RootElement();
    if (root == nullptr) throw ReportError(name, "line 1", "no root element");
    std::vector<const tinyxml2::XMLElement*> suites;
    if (std::string_view(root->Name()) == "testsuite") {
      suites.push_back(root);
    } else if (std::string_view(root->Name()) == "testsuites") {
      for (const auto* s = root->FirstChildElement("testsuite"); s; s = s->NextSiblingElement("testsuite")) suites.push_back(s);
    } else {
      throw ReportError(name, fmt::format("line {}", root->GetLineNum()),
                        fmt::format("the root element is <{}>, expected <testsuites> or <testsuite>", root->Name()));
    }
    for (const auto* suite : suites) {
      for (std::size_t k = 0; k < std::size(kCounts); ++k) {
        double v = 0;
        if (suite->Attribute(kCounts[k]) != nullptr && suite->QueryDoubleAttribute(kCounts[k], &v) != tinyxml2::XML_SUCCESS) {
          throw ReportError(name, fmt::format("line {}", suite->GetLineNum()),
                            fmt::format("{}=\"{}\" is not a number", kCounts[k], suite->Attribute(kCounts[k])));
        }
        totals[k] += static_cast<std::int64_t>(v);
      }
      double t = 0;
      if (suite->QueryDoubleAttribute("time", &t) == tinyxml2::XML_SUCCESS && std::isfinite(t)) seconds += t;
      for (const auto* tc = suite->FirstChildElement("testcase"); tc; tc = tc->NextSiblingElement("testcase")) {
        merged->InsertEndChild(tc->DeepClone(&out));
      }
    }
  }
  for (std::size_t k = 0; k < std::size(kCounts); ++k) merged->SetAttribute(kCounts[k], totals[k]);
  merged->SetAttribute("time", fmt::format("{:.3f}", seconds).c_str());
  merged->SetAttribute("shards", static_cast<std::int64_t>(files.size()));
  tinyxml2::XMLPrinter printer;
  out.Print(&printer);
  return {.xml = printer.CStr(),
          .tests = static_cast<std::size_t>(totals[0]),
          .failures = static_cast<std::size_t>(totals[1] + totals[2]),
          .skipped = static_cast<std::size_t>(totals[4])};
}

}  // namespace bnet::report
