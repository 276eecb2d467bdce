#include "framework/artifacts/listener.hpp"

#include <iostream>

#include <fmt/format.h>

namespace e2e {

namespace {
std::string fullName(const ::testing::TestInfo& info) {
  return fmt::format("{}.{}", info.test_suite_name(), info.name());
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

void ArtifactsListener::OnTestProgramEnd(const ::testing::UnitTest&) { artifacts_->endProgram(); }

void installArtifactsListener() {
  Artifacts& artifacts = Artifacts::instance();
  ::testing::UnitTest::GetInstance()->listeners().Append(new ArtifactsListener(artifacts));
}

}  // namespace e2e
