// A test binary that fails on purpose. artifacts_test runs it as a child process (it is not
// registered with CTest) and checks what the shared main's artifacts listener left behind.
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "framework/artifacts/artifacts.hpp"

namespace {

constexpr char kSecret[] = "hunter2-demo-secret-value";

// A log that lives across tests (like a shared devnet's), opened before any test runs.
class SharedLog : public ::testing::Environment {
 public:
  void SetUp() override {
    log = e2e::Artifacts::instance().openLog("shared.log", "shared");
    log->line("shared: written before any test");
  }
  void TearDown() override { log.reset(); }
  static inline std::shared_ptr<e2e::RedactingLogWriter> log;
};
[[maybe_unused]] auto* const kSharedLog = ::testing::AddGlobalTestEnvironment(new SharedLog);

TEST(Demo, FailsWithLogs) {
  auto& artifacts = e2e::Artifacts::instance();
  e2e::Redactor::instance().registerSecret(kSecret);

  auto service = artifacts.openLog("service.log");
  for (int i = 0; i < 60; ++i) {
    service->line(i == 55 ? fmt::format("service line {} password={}", i, kSecret) : fmt::format("service line {}", i));
  }
  service.reset();

  // As a child process would: written straight to the file, not through the redactor.
  auto child_log = artifacts.logPath("child.log", "child");
  {
    std::ofstream out(child_log);
    out << "child starting\n" << "child token " << kSecret << "\n" << "child last line\n";
  }
  artifacts.writeFile("notes.txt", fmt::format("api key: {}\n", kSecret));
  SharedLog::log->line("shared: written during FailsWithLogs");

  ADD_FAILURE() << "failing on purpose, so that the listener prints the logs";
}

TEST(Demo, FailsWithTheSecretInItsAssertion) {
  e2e::Redactor::instance().registerSecret(kSecret);
  const std::string configured = fmt::format("password={}", kSecret);
  EXPECT_EQ(configured, "password=expected") << "and in the message: " << kSecret;
}

TEST(Demo, PassesAndIsPruned) {
  auto log = e2e::Artifacts::instance().openLog("passing.log");
  log->line("all good");
  SUCCEED();
}

}  // namespace
