// One result per gtest, and no skip that passes for a pass: test binaries run through a
// ctest of their own (a CTestTestfile.cmake here that includes the real registrations of the
// build), then `bnet-e2e summary` and `bnet-e2e merge` on what they left, all as programs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fixtures/common/programs.hpp"
#include "framework/process/child_process.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kBuild = e2e::inBuildTree("");
const std::vector<std::string> kFormerOneProcess = {"orderflow_test", "ssh_on_twin_test", "vm_twin_test",
                                                    "vm_snapshot_test"};

class Results : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("bnet-e2e-results-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cli_ = findProjectProgram("bnet-e2e", {}, "BNET_E2E_CLI");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // ctest over the registrations in `folders` (build folders), selected by `regex`, with the
  // run folder dir_/artifacts/run; its JUnit file is dir_/ctest-junit.xml.
  e2e::CommandResult ctest(const std::vector<fs::path>& folders, const std::string& regex,
                           std::map<std::string, std::string> env) {
    std::ofstream file(dir_ / "CTestTestfile.cmake");
    for (const auto& folder : folders) file << fmt::format("include(\"{}/CTestTestfile.cmake\")\n", folder.string());
    file.close();
    env["BNET_E2E_ARTIFACTS"] = (dir_ / "artifacts").string();
    env["BNET_E2E_RUN_ID"] = "run";
    return e2e::runCommand({.name = "ctest",
                            .executable = "ctest",
                            .args = {"--output-on-failure", "--output-junit", (dir_ / "ctest-junit.xml").string(), "-R", regex},
                            .env = std::move(env),
                            .unset_env = {"BNET_E2E_ALLOW_SKIPS", "BNET_E2E_TWIN_DIR", "BNET_E2E_TWIN_IMAGE", "BNET_ANVIL",
                                          "BNET_E2E_STATE"},
                            .working_dir = dir_,
                            .log_path = dir_ / fmt::format("ctest-{}.log", runs_++)},
                           e2e::Deadline::after(300s));
  }
  e2e::CommandResult cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return e2e::runCommand({.name = "bnet-e2e",
                            .executable = cli_,
                            .args = std::move(args),
                            .env = std::move(env),
                            .unset_env = {"BNET_E2E_ALLOW_SKIPS", "BNET_E2E_ENV"},
                            .log_path = dir_ / fmt::format("cli-{}.log", runs_++)},
                           e2e::Deadline::after(60s));
  }
  e2e::CommandResult summary(std::map<std::string, std::string> env = {}, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"summary", (dir_ / "artifacts" / "run").string(), "--junit",
                                     (dir_ / "ctest-junit.xml").string()};
    args.insert(args.end(), more.begin(), more.end());
    return cli(std::move(args), std::move(env));
  }
  std::size_t gtestFiles() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "artifacts" / "run" / "gtest", ec)) n += e.path().extension() == ".xml";
    return n;
  }

  fs::path dir_;
  fs::path cli_;
  int runs_ = 0;
};

// What ctest printed for a test: "Passed", "Skipped", "Failed", ... ("" when not there).
std::string ctestVerdict(const std::string& output, const std::string& name) {
  std::smatch m;
  const std::regex line("Test +#[0-9]+: " + name + R"( \.*\s*(\*\*\*)?([A-Za-z]+))");
  return std::regex_search(output, m, line) ? std::string(m[2]) : std::string();
}

TEST_F(Results, EachGtestItsOwnEntryShowsASkipAsSkippedAndAFailureAsFailed) {
  auto run = ctest({kBuild / "tests/results/probe"}, "^Probe\\.", {{"BNET_E2E_PROBE", "skip,fail"}});
  EXPECT_EQ(run.status.describe(), "exited with code 8") << run.output;
  EXPECT_EQ(ctestVerdict(run.output, "Probe.Passes"), "Passed") << run.output;
  EXPECT_EQ(ctestVerdict(run.output, "Probe.Skips"), "Skipped") << run.output;
  EXPECT_EQ(ctestVerdict(run.output, "Probe.Fails"), "Failed") << run.output;
  // Probe.QuotesASkip shows "Skipped" in ctest: gtest_discover_tests (CMake 3.25) adds
  // SKIP_REGULAR_EXPRESSION to every discovered test and ctest cannot take it off again
  // (cmake/ProjectTesting.cmake); the summary counts it as the pass it was.
  EXPECT_EQ(gtestFiles(), 4u) << "one GoogleTest XML per test process";

  auto s = summary();
  EXPECT_EQ(s.status.describe(), "exited with code 1") << s.output;
  EXPECT_THAT(s.output, HasSubstr("summary: 2 passed, 1 failed, 1 skipped (GoogleTest results from 4 test process(es))"));
  EXPECT_THAT(s.output, HasSubstr("  FAILED  Probe.Fails\n"));
  EXPECT_THAT(s.output, HasSubstr("the probe was asked to fail"));
  EXPECT_THAT(s.output, HasSubstr("  SKIPPED Probe.Skips: the probe was asked to skip\n"));
}

TEST_F(Results, AWholeBinaryEntryIsSkippedWhenOneOfItsGtestsSkipsAndTheSummaryCountsEachGtest) {
  auto run = ctest({kBuild / "tests/results/probe"}, "^results_probe_whole$", {{"BNET_E2E_PROBE", "skip"}});
  EXPECT_TRUE(run.status.success()) << "ctest passes a skip:\n" << run.output;
  EXPECT_EQ(ctestVerdict(run.output, "results_probe_whole"), "Skipped") << run.output;
  // ctest keeps the output of a skipped test in its JUnit file: the test main named the skip.
  std::ifstream junit(dir_ / "ctest-junit.xml");
  const std::string ctest_junit((std::istreambuf_iterator<char>(junit)), std::istreambuf_iterator<char>());
  EXPECT_THAT(ctest_junit, HasSubstr("e2e: skipped Probe.Skips: the probe was asked to skip"));
  EXPECT_THAT(ctest_junit, HasSubstr("SKIP_RETURN_CODE=77"));

  auto local = summary();
  EXPECT_EQ(local.status.describe(), "exited with code 1") << "a skip fails a run of local:\n" << local.output;
  EXPECT_THAT(local.output, HasSubstr("summary: 3 passed, 0 failed, 1 skipped (GoogleTest results from 1 test process(es))"));
  EXPECT_THAT(local.output, HasSubstr("  SKIPPED Probe.Skips: the probe was asked to skip\n"));
  EXPECT_THAT(local.output, HasSubstr("summary: FAILED: 1 test(s) skipped in environment local, which must run here"));

  auto allowed = summary({{"BNET_E2E_ALLOW_SKIPS", "1"}});
  EXPECT_TRUE(allowed.status.success()) << allowed.output;
  EXPECT_THAT(allowed.output, HasSubstr("summary: skips allowed (BNET_E2E_ALLOW_SKIPS=1): 1 skipped test(s) do not fail this run in local"));

  auto playground = summary({}, {"--env", "playground"});
  EXPECT_TRUE(playground.status.success()) << "playground keeps skipping with the reason:\n" << playground.output;
  EXPECT_THAT(playground.output, HasSubstr("  SKIPPED Probe.Skips: the probe was asked to skip\n"));

  auto bad = summary({{"BNET_E2E_ALLOW_SKIPS", "yes"}});
  EXPECT_EQ(bad.status.describe(), "exited with code 2") << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("BNET_E2E_ALLOW_SKIPS='yes': use 1 (skips allowed) or 0"));
}

TEST_F(Results, AWholeBinaryEntryWithASkipAndAFailureIsFailed) {
  auto run = ctest({kBuild / "tests/results/probe"}, "^results_probe_whole$", {{"BNET_E2E_PROBE", "fail,skip"}});
  EXPECT_EQ(ctestVerdict(run.output, "results_probe_whole"), "Failed") << run.output;
  auto s = summary({{"BNET_E2E_ALLOW_SKIPS", "1"}});
  EXPECT_EQ(s.status.describe(), "exited with code 1") << s.output;
  EXPECT_THAT(s.output, HasSubstr("summary: 2 passed, 1 failed, 1 skipped"));
  EXPECT_THAT(s.output, HasSubstr("  FAILED  Probe.Fails\n"));
  EXPECT_THAT(s.output, Not(HasSubstr("FAILED  results_probe_whole"))) << "its failure is Probe.Fails, counted once";
}

TEST_F(Results, AWholeBinaryEntryPassesOnlyWhenEveryGtestPassed) {
  auto run = ctest({kBuild / "tests/results/probe"}, "^results_probe_whole$", {{"BNET_E2E_PROBE", "pass"}});
  EXPECT_TRUE(run.status.success()) << run.output;
  EXPECT_EQ(ctestVerdict(run.output, "results_probe_whole"), "Passed") << run.output;
  auto s = summary();
  EXPECT_TRUE(s.status.success()) << s.output;
  EXPECT_THAT(s.output, HasSubstr("summary: 4 passed, 0 failed, 0 skipped"));
}

// The build's ctest registrations: name -> {"command": [...], "properties": {name: value}}.
std::map<std::string, nlohmann::json> registrations(const fs::path& log) {
  auto listing = e2e::runCommand(
      {.name = "ctest-list", .executable = "ctest", .args = {"--show-only=json-v1"}, .working_dir = kBuild, .log_path = log},
      e2e::Deadline::after(120s));
  if (!listing.status.success()) throw std::runtime_error("ctest --show-only: " + listing.output);
  auto json = nlohmann::json::parse(listing.output.substr(listing.output.find('{')));
  std::map<std::string, nlohmann::json> out;
  for (const auto& test : json.at("tests")) {
    nlohmann::json p = nlohmann::json::object();
    for (const auto& prop : test.value("properties", nlohmann::json::array())) p[prop.at("name").get<std::string>()] = prop.at("value");
    out[test.at("name").get<std::string>()] = {{"command", test.value("command", nlohmann::json::array())}, {"properties", p}};
  }
  return out;
}

// Every test of the build is registered with the skip exit code and writes its GoogleTest
// XML; the whole-binary entries without SKIP_REGULAR_EXPRESSION (it overrides a failing exit
// code; gtest_discover_tests adds it to the discovered ones, see cmake/ProjectTesting.cmake).
TEST_F(Results, EveryTestOfTheBuildIsRegisteredWithTheSkipExitCode) {
  auto tests = registrations(dir_ / "ctest-list.log");
  std::size_t gtests = 0;
  for (const auto& [name, t] : tests) {
    const auto& p = t.at("properties");
    if (name.starts_with("E2eEnvironment")) continue;  // bnet-e2e up/down, not GoogleTest
    if (name.ends_with("_NOT_BUILT")) continue;        // a target this build has not built yet
    if (name.starts_with("FuzzCorpus.")) continue;     // corpus replays (tests/fuzz), not GoogleTest
    if (name.starts_with("Package.")) continue;        // tests/package/check_package.sh, not GoogleTest
    ++gtests;
    EXPECT_EQ(p.value("SKIP_RETURN_CODE", nlohmann::json()), 77) << name;
    EXPECT_THAT(p.value("ENVIRONMENT", nlohmann::json::array()).dump(), HasSubstr("BNET_E2E_GTEST_XML=1")) << name;
  }
  EXPECT_GT(gtests, 100u);
  for (const auto& name : kFormerOneProcess) {
    ASSERT_TRUE(tests.count(name)) << name << " is registered as one entry";
    EXPECT_EQ(tests[name].at("properties").value("SKIP_RETURN_CODE", nlohmann::json()), 77) << name;
    EXPECT_FALSE(tests[name].at("properties").contains("SKIP_REGULAR_EXPRESSION")) << name;
  }
}

// The real former one-process binaries with nothing to run on (an empty cache: no anvil, no
// twin image): each ctest entry is Skipped, and the summary lists every gtest of each binary
// as skipped with its reason.
TEST_F(Results, FormerOneProcessBinariesShowTheirSkippedGtestsInCtestAndInTheSummary) {
  fs::create_directories(dir_ / "empty-cache");
  std::string regex = "^(";
  for (const auto& name : kFormerOneProcess) regex += (regex.size() > 2 ? "|" : "") + name;
  regex += ")$";
  auto run = ctest({kBuild / "tests/orderflow", kBuild / "tests/qemu", kBuild / "tests/vm"}, regex,
                   {{"BNET_E2E_CACHE", (dir_ / "empty-cache").string()}});
  EXPECT_TRUE(run.status.success()) << run.output;
  for (const auto& name : kFormerOneProcess) EXPECT_EQ(ctestVerdict(run.output, name), "Skipped") << name << ":\n" << run.output;
  EXPECT_EQ(gtestFiles(), kFormerOneProcess.size());

  auto s = summary();
  EXPECT_EQ(s.status.describe(), "exited with code 1") << s.output;
  EXPECT_THAT(s.output, HasSubstr(" 0 passed, 0 failed, "));
  auto tests = registrations(dir_ / "ctest-list.log");
  for (const auto& name : kFormerOneProcess) {
    const fs::path binary = tests.at(name).at("command").at(0).get<std::string>();
    auto list = e2e::runCommand({.name = "list", .executable = binary, .args = {"--gtest_list_tests"},
                                 .log_path = dir_ / (name + "-list.log")},
                                e2e::Deadline::after(60s));
    ASSERT_TRUE(list.status.success()) << list.output;
    std::string suite;
    std::size_t listed = 0;
    std::istringstream lines(list.output);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      if (line[0] != ' ') {
        suite = line;
        continue;
      }
      auto test = line.substr(2, line.find(' ', 2) - 2);
      EXPECT_THAT(s.output, HasSubstr(fmt::format("  SKIPPED {}{}: ", suite, test))) << name;
      ++listed;
    }
    EXPECT_GT(listed, 0u) << name;
  }
}

// ctest saw the process fail (it crashed at exit, say) while GoogleTest wrote only passes:
// a failure of its own; a process that wrote no XML (a timeout) counts as ctest saw it.
TEST_F(Results, AProcessThatFailedAfterItsGtestsPassedIsAFailure) {
  fs::create_directories(dir_ / "artifacts/run/gtest");
  std::ofstream(dir_ / "artifacts/run/gtest/boot_suite.42.xml") << R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" disabled="0" errors="0" name="AllTests">
  <testsuite name="Boot" tests="1" failures="0" disabled="0" skipped="0" errors="0">
    <testcase name="Ready" status="run" result="completed" time="1" classname="Boot" />
  </testsuite>
</testsuites>
)";
  std::ofstream(dir_ / "ctest-junit.xml") << R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="run" tests="3" failures="2" disabled="0" skipped="0" time="9">
  <testcase name="Boot.Ready" classname="Boot.Ready" time="2" status="fail">
    <failure message="Exception: SegFault"/><system-out>Segmentation fault at exit</system-out>
  </testcase>
  <testcase name="Boot.Hangs" classname="Boot.Hangs" time="7" status="fail">
    <failure message="Timeout"/><system-out>waiting...</system-out>
  </testcase>
  <testcase name="E2eEnvironment.Up" classname="E2eEnvironment.Up" time="1" status="run"><system-out/></testcase>
</testsuite>
)";
  auto s = summary();
  EXPECT_EQ(s.status.describe(), "exited with code 1") << s.output;
  EXPECT_THAT(s.output, HasSubstr("summary: 2 passed, 2 failed, 0 skipped (GoogleTest results from 1 test process(es); 2 known from ctest only)"));
  EXPECT_THAT(s.output, HasSubstr("  FAILED  Boot.Ready\n      the test process failed after its GoogleTest results were written:"));
  EXPECT_THAT(s.output, HasSubstr("  FAILED  Boot.Hangs\n"));
}

TEST_F(Results, MergeJoinsTheShardsFoldersAndTheirResults) {
  for (int k = 0; k < 2; ++k) {
    auto shard = dir_ / fmt::format("run-shard-{}-of-2", k);
    fs::create_directories(shard / "gtest");
    fs::create_directories(shard / "_global");
    fs::create_directories(shard / fmt::format("Suite.Test{}", k));
    std::ofstream(shard / "_global" / "note.txt") << k;
    std::ofstream(shard / "gtest" / "suite.7.xml") << fmt::format(R"(<testsuites name="AllTests">
  <testsuite name="Suite" tests="1" failures="0" skipped="{0}">
    <testcase name="Test{1}" status="run" result="{2}" time="1" classname="Suite">{3}</testcase>
  </testsuite>
</testsuites>
)", k, k, k ? "skipped" : "completed", k ? R"(<skipped message="a.cpp:3&#x0A;no KVM here"/>)" : "");
    std::ofstream(shard / "junit.xml") << fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="shard" tests="1" failures="0" disabled="0" skipped="{0}" time="1.5">
  <testcase name="Suite.Test{1}" classname="Suite.Test{1}" time="1.5" status="{2}"><system-out/></testcase>
</testsuite>
)", k, k, k ? "notrun" : "run");
  }
  auto out = dir_ / "merged";
  auto merge = cli({"merge", out.string(), (dir_ / "run-shard-0-of-2").string(), (dir_ / "run-shard-1-of-2").string()});
  ASSERT_TRUE(merge.status.success()) << merge.output;
  EXPECT_THAT(merge.output, HasSubstr("merged 2 JUnit file(s): 2 tests, 0 failed, 1 skipped"));
  EXPECT_TRUE(fs::exists(out / "Suite.Test0") && fs::exists(out / "Suite.Test1"));
  EXPECT_TRUE(fs::exists(out / "_global/note.txt") && fs::exists(out / "_global.run-shard-1-of-2/note.txt"));
  EXPECT_TRUE(fs::exists(out / "gtest/suite.7.xml") && fs::exists(out / "gtest/suite.7-run-shard-1-of-2.xml"))
      << "the shards' GoogleTest results merge, equal names kept apart";

  auto s = cli({"summary", out.string()}, {{"BNET_E2E_ALLOW_SKIPS", "1"}});
  EXPECT_TRUE(s.status.success()) << s.output;
  EXPECT_THAT(s.output, HasSubstr("summary: 1 passed, 0 failed, 1 skipped (GoogleTest results from 2 test process(es))"));
  EXPECT_THAT(s.output, HasSubstr("  SKIPPED Suite.Test1: no KVM here\n"));

  auto again = cli({"merge", out.string(), (dir_ / "run-shard-0-of-2").string()});
  EXPECT_EQ(again.status.describe(), "exited with code 2") << again.output;
  EXPECT_THAT(again.output, HasSubstr("junit.xml exists; merge into a new folder"));

  fs::remove(dir_ / "run-shard-1-of-2" / "junit.xml");
  auto died = cli({"merge", (dir_ / "merged-2").string(), (dir_ / "run-shard-0-of-2").string(),
                   (dir_ / "run-shard-1-of-2").string()});
  EXPECT_EQ(died.status.describe(), "exited with code 1") << died.output;
  EXPECT_THAT(died.output, HasSubstr("no junit.xml in: " + (dir_ / "run-shard-1-of-2").string() + " (the shard did not finish)"));
}

}  // namespace
}  // namespace bnet
