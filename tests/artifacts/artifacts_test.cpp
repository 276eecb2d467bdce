#include "framework/artifacts/artifacts.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/artifacts/run_binary.hpp"

namespace {

namespace fs = std::filesystem;
using e2e::Artifacts;
using e2e::Redactor;
using e2e::testing::readFile;
using e2e::testing::TempDir;

std::string currentTestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(info->test_suite_name()) + "." + info->name();
}

// Sets or unsets a variable for one test, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Artifacts, LaysOutOneFolderPerRunAndTest) {
  TempDir tmp;
  Redactor redactor;
  Artifacts a({.root = tmp.path(), .run_id = "run-1"}, redactor);
  EXPECT_EQ(a.runDir(), tmp.path() / "run-1");
  EXPECT_EQ(a.testDir(), tmp.path() / "run-1" / "Artifacts.LaysOutOneFolderPerRunAndTest");
  EXPECT_TRUE(fs::is_directory(a.testDir()));
  auto p = a.path("console/serial.log");
  EXPECT_EQ(p, a.testDir() / "console" / "serial.log");
  EXPECT_TRUE(fs::is_directory(p.parent_path()));
}

TEST(Artifacts, CreatesNothingUntilUsed) {
  TempDir tmp;
  Redactor redactor;
  Artifacts a({.root = tmp.path() / "root", .run_id = "run-1"}, redactor);
  EXPECT_FALSE(fs::exists(tmp.path() / "root"));
}

TEST(Artifacts, RejectsNamesThatLeaveTheTestFolder) {
  TempDir tmp;
  Redactor redactor;
  Artifacts a({.root = tmp.path(), .run_id = "r"}, redactor);
  EXPECT_THROW(a.path("../escape.log"), std::invalid_argument);
  EXPECT_THROW(a.path("/etc/passwd"), std::invalid_argument);
  EXPECT_THROW(a.path(""), std::invalid_argument);
}

TEST(Artifacts, FolderNamesAreSafe) {
  EXPECT_EQ(Artifacts::folderName("Suite.Test"), "Suite.Test");
  EXPECT_EQ(Artifacts::folderName("Inst/Suite.Test/0"), "Inst_Suite.Test_0");
  EXPECT_EQ(Artifacts::folderName(".."), "_..");
}

TEST(ArtifactsConfig, ReadsTheEnvironment) {
  ScopedEnv root("BNET_E2E_ARTIFACTS", "/tmp/some-root");
  ScopedEnv run("BNET_E2E_RUN_ID", "ci-1234");
  ScopedEnv keep("BNET_E2E_KEEP_ARTIFACTS", "1");
  auto c = e2e::ArtifactsConfig::fromEnvironment();
  EXPECT_EQ(c.root, "/tmp/some-root");
  EXPECT_EQ(c.run_id, "ci-1234");
  EXPECT_TRUE(c.run_id_shared);
  EXPECT_TRUE(c.keep_on_success);
}

TEST(ArtifactsConfig, MakesARunIdFromTimeAndPid) {
  ScopedEnv root("BNET_E2E_ARTIFACTS", nullptr);
  ScopedEnv run("BNET_E2E_RUN_ID", nullptr);
  ScopedEnv keep("BNET_E2E_KEEP_ARTIFACTS", "0");
  auto c = e2e::ArtifactsConfig::fromEnvironment();
  EXPECT_EQ(c.root, "artifacts");
  EXPECT_FALSE(c.keep_on_success);
  EXPECT_FALSE(c.run_id_shared);
  Redactor redactor;
  Artifacts a(c, redactor);
  EXPECT_TRUE(std::regex_match(a.runId(), std::regex(R"(\d{8}-\d{6}-\d+)"))) << a.runId();
  EXPECT_TRUE(a.config().root.is_absolute());
}

TEST(ArtifactsConfig, RejectsARunIdThatIsNotAFolderName) {
  ScopedEnv run("BNET_E2E_RUN_ID", "../evil");
  try {
    e2e::ArtifactsConfig::fromEnvironment();
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("BNET_E2E_RUN_ID"), std::string::npos) << e.what();
  }
}

TEST(Artifacts, WriteFileRedactsSecrets) {
  TempDir tmp;
  Redactor redactor;
  redactor.registerSecret("admin-password-42");
  Artifacts a({.root = tmp.path(), .run_id = "r"}, redactor);
  auto p = a.writeFile("config.json", R"({"password": "admin-password-42"})");
  EXPECT_EQ(readFile(p), R"({"password": "[REDACTED]"})");
  auto run_file = a.writeRunFile("environment.json", "pw admin-password-42\n");
  EXPECT_EQ(run_file, tmp.path() / "r" / "environment.json");
  EXPECT_EQ(readFile(run_file), "pw [REDACTED]\n");
}

TEST(Artifacts, OpenLogRedactsAndRegisters) {
  TempDir tmp;
  Redactor redactor;
  redactor.registerSecret("stream-secret");
  Artifacts a({.root = tmp.path(), .run_id = "r"}, redactor);
  auto log = a.openLog("hub.log");
  log->line("auth stream-secret ok");
  log.reset();
  EXPECT_EQ(readFile(a.testDir() / "hub.log"), "auth [REDACTED] ok\n");
  auto found = a.endTest(currentTestName(), /*failed=*/true);
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_EQ(found.entries[0].label, "hub");
  EXPECT_EQ(found.entries[0].path, a.testDir() / "hub.log");
}

TEST(Artifacts, FailedTestReportHoldsRedactedTails) {
  TempDir tmp;
  Redactor redactor;
  Artifacts a({.root = tmp.path(), .run_id = "r", .tail_lines = 3}, redactor);
  auto child = a.logPath("anvil.log");
  std::ofstream(child) << "l1\nl2\nl3 anvil-secret-key\nl4\n";
  redactor.registerSecret("anvil-secret-key");  // registered after the child wrote it
  auto found = a.endTest(currentTestName(), /*failed=*/true);
  EXPECT_TRUE(found.kept);
  EXPECT_NE(found.report.find("l2\nl3 [REDACTED]\nl4\n"), std::string::npos) << found.report;
  EXPECT_EQ(found.report.find("l1"), std::string::npos) << found.report;
  EXPECT_EQ(found.report.find("anvil-secret-key"), std::string::npos) << found.report;
  EXPECT_NE(found.report.find(child.string()), std::string::npos) << found.report;
  // The listener's end-of-test step also redacted the file itself.
  EXPECT_EQ(readFile(child), "l1\nl2\nl3 [REDACTED]\nl4\n");
}

TEST(Artifacts, PassingTestFolderIsPrunedUnlessKept) {
  TempDir tmp;
  Redactor redactor;
  {
    Artifacts a({.root = tmp.path(), .run_id = "r"}, redactor);
    a.writeFile("x.txt", "x");
    auto dir = a.testDir();
    auto found = a.endTest(currentTestName(), /*failed=*/false);
    EXPECT_FALSE(found.kept);
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_TRUE(found.entries.empty());
    EXPECT_TRUE(found.report.empty());
  }
  {
    Artifacts a({.root = tmp.path(), .run_id = "r2", .keep_on_success = true}, redactor);
    auto p = a.writeFile("x.txt", "x");
    auto found = a.endTest(currentTestName(), /*failed=*/false);
    EXPECT_TRUE(found.kept);
    EXPECT_TRUE(fs::exists(p));
    ASSERT_EQ(found.entries.size(), 1u);
    EXPECT_EQ(found.entries[0].kind, e2e::ArtifactKind::kFile);
  }
}

TEST(Artifacts, DuplicateLabelsGetANumber) {
  TempDir tmp;
  Redactor redactor;
  Artifacts a({.root = tmp.path(), .run_id = "r"}, redactor);
  a.logPath("a/node.log");
  a.logPath("b/node.log");
  a.logPath("c.log", "bad label!");
  auto found = a.endTest(currentTestName(), /*failed=*/true);
  ASSERT_EQ(found.entries.size(), 3u);
  EXPECT_EQ(found.entries[0].label, "node");
  EXPECT_EQ(found.entries[1].label, "node_2");
  EXPECT_EQ(found.entries[2].label, "bad_label_");
}

TEST(FileTail, ReturnsTheLastLinesRedacted) {
  TempDir tmp;
  Redactor redactor;
  redactor.registerSecret("tail-secret");
  auto p = tmp.path() / "t.log";
  std::ofstream(p) << "a\nb tail-secret\nc\nd";
  EXPECT_EQ(e2e::fileTail(p, 2, 0, redactor), "c\nd");
  EXPECT_EQ(e2e::fileTail(p, 3, 0, redactor), "b [REDACTED]\nc\nd");
  EXPECT_EQ(e2e::fileTail(p, 10, 0, redactor), "a\nb [REDACTED]\nc\nd");
  EXPECT_EQ(e2e::fileTail(tmp.path() / "missing.log", 10, 0, redactor), "");
}

TEST(FileTail, StartsAtTheOffsetButNeverMidLine) {
  TempDir tmp;
  Redactor redactor;
  redactor.registerSecret("offset-secret");
  auto p = tmp.path() / "t.log";
  std::string before = "old 1\nold 2\n";
  std::ofstream(p) << before << "new offset-secret\nnew 2\n";
  EXPECT_EQ(e2e::fileTail(p, 10, before.size(), redactor), "new [REDACTED]\nnew 2\n");
  // An offset in the middle of a line starts at that line, so the secret is not cut.
  EXPECT_EQ(e2e::fileTail(p, 10, before.size() + 8, redactor), "new [REDACTED]\nnew 2\n");
  EXPECT_EQ(e2e::fileTail(p, 10, fs::file_size(p), redactor), "");
}

TEST(FileTail, ReadsOnlyTheEndOfABigFile) {
  TempDir tmp;
  Redactor redactor;
  redactor.registerSecret("big-file-secret");
  auto p = tmp.path() / "big.log";
  {
    std::ofstream out(p);
    for (int i = 0; i < 20000; ++i) out << "line " << i << " big-file-secret\n";
  }
  std::string tail = e2e::fileTail(p, 2, 0, redactor);
  EXPECT_EQ(tail, "line 19998 [REDACTED]\nline 19999 [REDACTED]\n");
}

}  // namespace
