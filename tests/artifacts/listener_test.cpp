// Runs artifacts_demo (a real GoogleTest binary with the shared main) as a child process and
// checks what its artifacts listener printed, wrote into the JUnit XML and left on disk.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/artifacts/run_binary.hpp"
#include "framework/fs/fs.hpp"

namespace {

namespace fs = std::filesystem;
using e2e::testing::readFile;
using e2e::testing::runBinary;
using e2e::testing::TempDir;

constexpr char kSecret[] = "hunter2-demo-secret-value";

class ArtifactsListener : public ::testing::Test {
 protected:
  e2e::testing::BinaryRun runDemo(const std::vector<std::string>& args, bool keep = false) {
    return runBinary(e2e::inBuildTree(ARTIFACTS_DEMO), args,
                     {{"BNET_E2E_ARTIFACTS", tmp_.path().string()},
                      {"BNET_E2E_RUN_ID", "run1"},
                      {"BNET_E2E_KEEP_ARTIFACTS", keep ? std::optional<std::string>("1") : std::nullopt}},
                     tmp_.path() / "demo-output.txt", std::chrono::seconds(30));
  }
  fs::path run() const { return tmp_.path() / "run1"; }
  TempDir tmp_;
};

TEST_F(ArtifactsListener, FailedTestPrintsRedactedTailsOfItsLogs) {
  auto result = runDemo({"--gtest_filter=Demo.FailsWithLogs"});
  const std::string& out = result.output;
  EXPECT_EQ(result.exit_code, 1) << out;
  fs::path dir = run() / "Demo.FailsWithLogs";
  EXPECT_NE(out.find("[ ARTIFACTS ] Demo.FailsWithLogs failed; its folder: " + dir.string()), std::string::npos) << out;
  EXPECT_NE(out.find((dir / "service.log").string()), std::string::npos) << out;
  // The last 40 of 60 lines: 20..59.
  EXPECT_NE(out.find("service line 20\n"), std::string::npos) << out;
  EXPECT_NE(out.find("service line 59\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("service line 19\n"), std::string::npos) << out;
  EXPECT_NE(out.find("service line 55 password=[REDACTED]"), std::string::npos) << out;
  // The child-written log: printed redacted, and redacted on disk afterwards.
  EXPECT_NE(out.find("child token [REDACTED]\nchild last line"), std::string::npos) << out;
  // The shared log: only what this test added.
  EXPECT_NE(out.find("shared: written during FailsWithLogs"), std::string::npos) << out;
  EXPECT_EQ(out.find("shared: written before any test"), std::string::npos) << out;
  EXPECT_EQ(out.find(kSecret), std::string::npos) << out;
}

TEST_F(ArtifactsListener, FilesOnDiskHoldNoSecret) {
  auto result = runDemo({"--gtest_filter=Demo.FailsWithLogs"});
  ASSERT_EQ(result.exit_code, 1) << result.output;
  fs::path dir = run() / "Demo.FailsWithLogs";
  for (const char* name : {"service.log", "child.log", "notes.txt"}) {
    std::string text = readFile(dir / name);
    EXPECT_NE(text.find("[REDACTED]"), std::string::npos) << name << ":\n" << text;
    EXPECT_EQ(text.find(kSecret), std::string::npos) << name << ":\n" << text;
  }
  bool found_shared = false;
  for (const auto& entry : fs::directory_iterator(run())) {
    if (entry.path().filename().string().rfind("_global", 0) == 0) {
      std::string text = readFile(entry.path() / "shared.log");
      EXPECT_NE(text.find("shared: written before any test\nshared: written during FailsWithLogs\n"),
                std::string::npos) << text;
      found_shared = true;
    }
  }
  EXPECT_TRUE(found_shared) << "no _global folder in " << run();
}

TEST_F(ArtifactsListener, JUnitXmlLinksTheLogsOfTheTest) {
  fs::path xml_path = tmp_.path() / "junit.xml";
  auto result = runDemo({"--gtest_output=xml:" + xml_path.string()});
  ASSERT_EQ(result.exit_code, 1) << result.output;
  std::string xml = readFile(xml_path);
  fs::path dir = run() / "Demo.FailsWithLogs";
  for (auto [label, file] : std::vector<std::pair<std::string, fs::path>>{
           {"service", dir / "service.log"}, {"child", dir / "child.log"}, {"notes", dir / "notes.txt"}}) {
    std::string property = "<property name=\"artifact_" + label + "\" value=\"" + file.string() + "\"/>";
    EXPECT_NE(xml.find(property), std::string::npos) << property << " not in:\n" << xml;
  }
  EXPECT_NE(xml.find("<property name=\"artifacts_dir\" value=\"" + dir.string() + "\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"artifact_shared\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find(kSecret), std::string::npos) << xml;
  // The passing test was pruned, so it links nothing in its folder.
  EXPECT_EQ(xml.find("artifact_passing"), std::string::npos) << xml;
  EXPECT_FALSE(fs::exists(run() / "Demo.PassesAndIsPruned"));
}

// GoogleTest's own printer and its XML and JSON reports quote an assertion's operands and
// message: the secret in them is masked on the console and in the file (named, or in a folder).
TEST_F(ArtifactsListener, AssertionMessagesAreRedactedOnTheConsoleAndInTheReports) {
  const fs::path xml_path = tmp_.path() / "report.xml";
  auto result = runDemo({"--gtest_filter=Demo.FailsWithTheSecretInItsAssertion", "--gtest_output=xml:" + xml_path.string()});
  ASSERT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("configured\n    Which is: \"password=[REDACTED]\""), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("and in the message: [REDACTED]"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(kSecret), std::string::npos) << result.output;
  const std::string xml = readFile(xml_path);
  EXPECT_NE(xml.find("and in the message: [REDACTED]"), std::string::npos) << xml;
  EXPECT_EQ(xml.find(kSecret), std::string::npos) << xml;

  const fs::path json_dir = tmp_.path() / "json";
  fs::create_directories(json_dir);
  auto in_folder = runDemo({"--gtest_filter=Demo.FailsWithTheSecretInItsAssertion", "--gtest_output=json:" + json_dir.string() + "/"});
  ASSERT_EQ(in_folder.exit_code, 1) << in_folder.output;
  const std::string json = readFile(json_dir / "artifacts_demo.json");
  EXPECT_NE(json.find("and in the message: [REDACTED]"), std::string::npos) << json;
  EXPECT_EQ(json.find(kSecret), std::string::npos) << json;
}

TEST_F(ArtifactsListener, KeepsPassingTestFoldersWhenAsked) {
  fs::path xml_path = tmp_.path() / "junit.xml";
  auto result = runDemo({"--gtest_filter=Demo.PassesAndIsPruned", "--gtest_output=xml:" + xml_path.string()},
                        /*keep=*/true);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  fs::path log = run() / "Demo.PassesAndIsPruned" / "passing.log";
  EXPECT_EQ(readFile(log), "all good\n");
  EXPECT_NE(readFile(xml_path).find("<property name=\"artifact_passing\" value=\"" + log.string() + "\"/>"),
            std::string::npos);
  EXPECT_EQ(result.output.find("[ ARTIFACTS ]"), std::string::npos) << result.output;
}

}  // namespace
