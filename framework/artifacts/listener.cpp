#include "framework/artifacts/listener.hpp"

#include <iostream>

#include <fmt/format.h>

#include "framework/artifacts/redact_tree.hpp"

namespace e2e {

namespace {
std::string fullName(const ::testing::TestInfo& info) {
  return fmt::format("{}.{}", info.test_suite_name(), info.name());
}

// GoogleTest's result printer with every failure (and skip) message passed through the
// redactor first: a secret in an assertion's operands never reaches the console.
class RedactingResultPrinter : public ::testing::TestEventListener {
 public:
  // Takes ownership of inner (the printer it wraps).
  RedactingResultPrinter(::testing::TestEventListener* inner, const Redactor& redactor = Redactor::instance());
  ~RedactingResultPrinter() override;
  void OnTestProgramStart(const ::testing::UnitTest& u) override { inner_->OnTestProgramStart(u); }
  void OnTestIterationStart(const ::testing::UnitTest& u, int i) override { inner_->OnTestIterationStart(u, i); }
  void OnEnvironmentsSetUpStart(const ::testing::UnitTest& u) override { inner_->OnEnvironmentsSetUpStart(u); }
  void OnEnvironmentsSetUpEnd(const ::testing::UnitTest& u) override { inner_->OnEnvironmentsSetUpEnd(u); }
  void OnTestSuiteStart(const ::testing::TestSuite& s) override { inner_->OnTestSuiteStart(s); }
#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
  void OnTestCaseStart(const ::testing::TestCase& c) override { inner_->OnTestCaseStart(c); }
#endif
  void OnTestStart(const ::testing::TestInfo& t) override { inner_->OnTestStart(t); }
  void OnTestDisabled(const ::testing::TestInfo& t) override { inner_->OnTestDisabled(t); }
  void OnTestPartResult(const ::testing::TestPartResult& result) override;
  void OnTestEnd(const ::testing::TestInfo& t) override { inner_->OnTestEnd(t); }
  void OnTestSuiteEnd(const ::testing::TestSuite& s) override { inner_->OnTestSuiteEnd(s); }
#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
  void OnTestCaseEnd(const ::testing::TestCase& c) override { inner_->OnTestCaseEnd(c); }
#endif
  void OnEnvironmentsTearDownStart(const ::testing::UnitTest& u) override { inner_->OnEnvironmentsTearDownStart(u); }
  void OnEnvironmentsTearDownEnd(const ::testing::UnitTest& u) override { inner_->OnEnvironmentsTearDownEnd(u); }
  void OnTestIterationEnd(const ::testing::UnitTest& u, int i) override { inner_->OnTestIterationEnd(u, i); }
  void OnTestProgramEnd(const ::testing::UnitTest& u) override { inner_->OnTestProgramEnd(u); }

 private:
  ::testing::TestEventListener* inner_;
  const Redactor* redactor_;
};

// The file --gtest_output names for this program ("xml:FILE", "json:DIR/" where GoogleTest
// names it after the program, "xml"), or empty when there is none.
std::filesystem::path gtestOutputFile() {
  const std::string flag = GTEST_FLAG_GET(output);
  if (flag.empty()) return {};
  const auto colon = flag.find(':');
  const std::string format = flag.substr(0, colon);
  if (colon == std::string::npos) return fmt::format("test_detail.{}", format);
  std::filesystem::path path = flag.substr(colon + 1);
  if (!path.empty() && flag.back() != '/') return path;
  // A folder: GoogleTest names the file after the program.
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return path / fmt::format("{}.{}", exe.stem().string(), format);
}

}  // namespace

ArtifactsListener::ArtifactsListener(Artifacts& artifacts, std::ostream* err)
    : artifacts_(&artifacts), err_(err) {}

void ArtifactsListener::OnTestStart(const ::testing::TestInfo& info) {
  artifacts_->beginTest(fullName(info));
}

void ArtifactsListener::OnTestEnd(const ::testing::TestInfo& info) {
  const auto* result = info.result();
  bool failed = result != nullptr && result->Failed();
  TestArtifacts found = artifacts_->endTest(fullName(info), failed);
  if (found.kept) ::testing::Test::RecordProperty("artifacts_dir", found.dir.string());
  for (const auto& e : found.entries) {
    ::testing::Test::RecordProperty("artifact_" + e.label, e.path.string());
  }
  if (!found.report.empty()) {
    std::ostream& out = err_ != nullptr ? *err_ : std::cerr;
    out << found.report << std::flush;
  }
}

void ArtifactsListener::OnTestProgramEnd(const ::testing::UnitTest&) {
  artifacts_->endProgram();
  // End events reach the listeners appended last first, but the report printer writes its
  // file at the end of the iteration, before this.
  std::filesystem::path report = gtestOutputFile();
  if (!report.empty()) redactTree(report, artifacts_->redactor());
}

RedactingResultPrinter::RedactingResultPrinter(::testing::TestEventListener* inner, const Redactor& redactor)
    : inner_(inner), redactor_(&redactor) {}

RedactingResultPrinter::~RedactingResultPrinter() { delete inner_; }

void RedactingResultPrinter::OnTestPartResult(const ::testing::TestPartResult& result) {
  const std::string message = redactor_->redact(result.message());
  inner_->OnTestPartResult(
      ::testing::TestPartResult(result.type(), result.file_name(), result.line_number(), message.c_str()));
}

void installArtifactsListener() {
  Artifacts& artifacts = Artifacts::instance();
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (auto* printer = listeners.default_result_printer()) {
    listeners.Release(printer);
    listeners.Append(new RedactingResultPrinter(printer, artifacts.redactor()));
  }
  listeners.Append(new ArtifactsListener(artifacts));
}

}  // namespace e2e
