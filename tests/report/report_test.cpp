// The run report's reader and renderer on crafted run folders (tests/report/data): results
// grouped per suite, escaping of hostile strings, compare marks, histogram bins, and
// missing or malformed files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>

#include "framework/fs/fs.hpp"
#include "tools/bnet-e2e/report/report.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bnet::report;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

fs::path dataDir() { return e2e::inSourceTree("tests/report/data"); }

// A scratch run folder, removed at the end of the test.
class ScratchRun {
 public:
  ScratchRun() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    static int next = 0;
    dir_ = fs::temp_directory_path() /
           fmt::format("bnet-report-{}-{}-{}-{}", info->test_suite_name(), info->name(), ::getpid(), next++);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~ScratchRun() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

std::vector<std::string> namesOf(const std::vector<TestResult>& tests) {
  std::vector<std::string> names;
  for (const auto& t : tests) names.push_back(t.name);
  return names;
}

const TestResult& find(const RunData& run, const std::string& name) {
  for (const auto& t : run.results.tests) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no test " + name);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ReportResults, CtestJunitIsGroupedPerSuiteWithStatusTimeAndMessage) {
  auto run = loadRun(dataDir() / "run-b");
  EXPECT_EQ(run.name, "run-b");
  ASSERT_TRUE(run.results.missing.empty());
  ASSERT_EQ(run.results.tests.size(), 9u);
  const auto& failed = find(run, "BlockBuilding.Builds");
  EXPECT_EQ(failed.suite, "BlockBuilding");
  EXPECT_EQ(failed.status, TestStatus::kFailed);
  EXPECT_DOUBLE_EQ(failed.seconds, 9.5);
  // The GoogleTest failure block, not the surrounding noise.
  EXPECT_THAT(failed.message, ::testing::StartsWith("/src/block_building_test.cpp:41: Failure\nValue of: block\n"));
  EXPECT_THAT(failed.message, Not(HasSubstr("[  FAILED  ]")));
  EXPECT_THAT(failed.message, Not(HasSubstr("Google Test filter")));
  const auto& skipped = find(run, "Hub.Skips");
  EXPECT_EQ(skipped.status, TestStatus::kSkipped);
  EXPECT_EQ(skipped.message, "no <KVM> & \"quotes\"");
  const auto& hangs = find(run, "Timeout.Hangs");
  EXPECT_EQ(hangs.status, TestStatus::kFailed);
  EXPECT_THAT(hangs.message, HasSubstr("no failure message and no output (after 60.0 s"));
  EXPECT_EQ(find(run, "Orderflow.Flow").status, TestStatus::kPassed);
  EXPECT_EQ(find(run, "Evil.<b>Bold</b>").suite, "Evil");

  auto html = renderHtml(run);
  // Suites in the order of their first test, each with its own counts; all-passed folds.
  std::vector<std::string> suites;
  std::regex summary(R"(<summary><b>([^<]*)</b> — (\d+) passed, (\d+) failed, (\d+) skipped</summary>)");
  for (std::sregex_iterator it(html.begin(), html.end(), summary), end; it != end; ++it) {
    suites.push_back(fmt::format("{} {}/{}/{}", (*it)[1].str(), (*it)[2].str(), (*it)[3].str(), (*it)[4].str()));
  }
  EXPECT_THAT(suites, ElementsAre("E2eEnvironment 1/0/0", "BootSequence 2/0/0", "BlockBuilding 0/1/0",
                                  "Evil 1/0/0", "Orderflow 2/0/0", "Hub 0/0/1", "Timeout 0/1/0"));
  EXPECT_THAT(html, HasSubstr("<p class=\"summary\" id=\"summary\">6 passed, 2 failed, 1 skipped</p>"));
  EXPECT_THAT(html, HasSubstr("<details class=\"suite\" open><summary><b>BlockBuilding</b>"));
  EXPECT_THAT(html, HasSubstr("<details class=\"suite\"><summary><b>BootSequence</b>"));
}

TEST(ReportResults, GoogleTestXmlNamesTestsBySuiteAndTakesItsMessages) {
  const std::string xml = R"(<?xml version="1.0"?>
<testsuites tests="3">
  <testsuite name="Relay" tests="3">
    <testcase name="Bids" status="run" result="completed" time="0.5" classname="Relay">
      <failure message="relay.cpp:10&#10;Expected: 3 bids" type=""><![CDATA[relay.cpp:10
Expected: 3 bids]]></failure>
    </testcase>
    <testcase name="Status" status="run" result="skipped" time="0" classname="Relay">
      <skipped message="no relay here"/>
    </testcase>
    <testcase name="Ok" status="run" result="completed" time="0.25" classname="Relay"/>
  </testsuite>
</testsuites>)";
  auto results = parseJunit(xml, "gtest.xml");
  ASSERT_THAT(namesOf(results.tests), ElementsAre("Relay.Bids", "Relay.Status", "Relay.Ok"));
  EXPECT_EQ(results.tests[0].suite, "Relay");
  EXPECT_EQ(results.tests[0].status, TestStatus::kFailed);
  EXPECT_THAT(results.tests[0].message, HasSubstr("Expected: 3 bids"));
  EXPECT_EQ(results.tests[1].status, TestStatus::kSkipped);
  EXPECT_EQ(results.tests[1].message, "no relay here");
  EXPECT_EQ(results.tests[2].status, TestStatus::kPassed);
  EXPECT_DOUBLE_EQ(results.tests[2].seconds, 0.25);
}

TEST(ReportResults, AGoogleTestSkipReasonLosesItsLocationLine) {
  auto results = parseJunit(R"(<testsuites><testsuite name="Vm">
    <testcase name="Boots" status="run" result="skipped" classname="Vm"><skipped message="tests/vm.cpp:42&#x0A;no twin image"/></testcase>
    <testcase name="Ctest" status="notrun" classname="Vm"><skipped message="SKIP_RETURN_CODE=77"/></testcase>
  </testsuite></testsuites>)", "gtest.xml");
  ASSERT_EQ(results.tests.size(), 2u);
  EXPECT_EQ(results.tests[0].message, "no twin image");
  EXPECT_EQ(results.tests[1].message, "(no reason given)") << "ctest's skip marker is not the test's reason";
}

// One result per gtest: a whole-binary ctest entry counts through its gtests; a ctest entry
// without GoogleTest results counts as ctest saw it.
TEST(ReportResults, MergedResultsCountEachGtestOnce) {
  TestResults ctest;
  ctest.tests = {{.suite = "vm_twin_test", .name = "vm_twin_test", .status = TestStatus::kSkipped},
                 {.suite = "E2eEnvironment", .name = "E2eEnvironment.Up", .status = TestStatus::kPassed},
                 {.suite = "Boot", .name = "Boot.Hangs", .status = TestStatus::kFailed, .message = "Timeout"}};
  TestResults whole;
  whole.tests = {{.suite = "TwinBoot", .name = "TwinBoot.Ready", .status = TestStatus::kPassed},
                 {.suite = "TwinBoot", .name = "TwinBoot.Ssh", .status = TestStatus::kSkipped, .message = "no KVM"},
                 {.suite = "TwinBoot", .name = "TwinBoot.Disk", .status = TestStatus::kFailed, .message = "boom"}};
  auto merged = mergeResults(ctest, {{.binary = "vm_twin_test", .results = whole}});
  ASSERT_THAT(namesOf(merged.tests),
              ElementsAre("TwinBoot.Ready", "TwinBoot.Ssh", "TwinBoot.Disk", "E2eEnvironment.Up", "Boot.Hangs"));
  EXPECT_EQ(merged.gtest_processes, 1u);
  EXPECT_EQ(merged.ctest_only, 2u);
  auto verdict = summarize(merged, {.environment = "local", .must_run_here = true});
  EXPECT_FALSE(verdict.passed);
  EXPECT_THAT(verdict.text, HasSubstr("summary: 2 passed, 2 failed, 1 skipped"));
  EXPECT_THAT(verdict.text, HasSubstr("  SKIPPED TwinBoot.Ssh: no KVM\n"));
}

TEST(ReportResults, ASkipFailsTheSummaryOnlyWhereTheEnvironmentMustRunHereAndSkipsAreNotAllowed) {
  TestResults results;
  results.tests = {{.suite = "A", .name = "A.Ok", .status = TestStatus::kPassed},
                   {.suite = "A", .name = "A.Skip", .status = TestStatus::kSkipped, .message = "no KVM"}};
  EXPECT_FALSE(summarize(results, {.environment = "local", .must_run_here = true}).passed);
  EXPECT_TRUE(summarize(results, {.environment = "local", .must_run_here = true, .skips_allowed = true}).passed);
  EXPECT_TRUE(summarize(results, {.environment = "playground"}).passed);
  results.tests[1].status = TestStatus::kFailed;
  EXPECT_FALSE(summarize(results, {.environment = "playground", .skips_allowed = true}).passed);
}

TEST(ReportResults, AKeptTestFolderIsLinkedRelativeToThePage) {
  auto run = loadRun(dataDir() / "run-b");
  const auto& failed = find(run, "BlockBuilding.Builds");
  ASSERT_EQ(failed.logs.size(), 2u);
  EXPECT_EQ(failed.logs[0].path, "BlockBuilding.Builds/console.log");
  EXPECT_EQ(failed.logs[1].path, "BlockBuilding.Builds/journal/rbuilder-operator.service.jsonl");
  EXPECT_TRUE(find(run, "Orderflow.Flow").logs.empty());  // pruned on success
  auto html = renderHtml(run);
  EXPECT_THAT(html, HasSubstr("<a href=\"BlockBuilding.Builds/console.log\">console.log</a>"));
  EXPECT_THAT(html, HasSubstr("<a href=\"testbed/l1/anvil.log\">testbed/l1/anvil.log</a>"));
  auto elsewhere = renderHtml(run, {.link_prefix = "../runs/run-b/"});
  EXPECT_THAT(elsewhere, HasSubstr("<a href=\"../runs/run-b/BlockBuilding.Builds/console.log\">"));
}

TEST(ReportHtml, StringsFromTheRunCannotInjectMarkup) {
  auto run = loadRun(dataDir() / "run-b");
  auto html = renderHtml(run);
  // The failure message and the test name arrive as text.
  EXPECT_THAT(html, HasSubstr("Expected: was built by &lt;script&gt;document.body.dataset.pwned=1&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=&quot;document.body.dataset.pwned=2&quot;&gt; &amp; &#39;quoted&#39;"));
  EXPECT_THAT(html, HasSubstr("Evil.&lt;b&gt;Bold&lt;/b&gt;"));
  EXPECT_THAT(html, HasSubstr("no &lt;KVM&gt; &amp; &quot;quotes&quot;"));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>Bold")));
  EXPECT_EQ(count(html, "<script"), 1u);  // the page's own counter only
  EXPECT_EQ(count(html, "pwned"), 2u);
  // No resource from outside the page.
  EXPECT_THAT(html, HasSubstr("default-src 'none'"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));

  EXPECT_EQ(htmlEscape("<a href='x'>\"&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
}

TEST(ReportHtml, LinkPathsAreEncodedSoANameCannotBecomeAScheme) {
  RunData run;
  run.name = "r";
  run.results.tests.push_back({.suite = "S", .name = "S.T", .status = TestStatus::kFailed, .message = "m",
                               .logs = {{.label = "x\" onclick=\"y", .path = "javascript:alert(1)/a b\"c.log"}}});
  auto html = renderHtml(run);
  EXPECT_THAT(html, HasSubstr("<a href=\"javascript%3Aalert%281%29/a%20b%22c.log\">x&quot; onclick=&quot;y</a>"));
  EXPECT_THAT(html, Not(HasSubstr("href=\"javascript:")));
}

TEST(ReportCompare, MarksTestsThatChangedStateAndBootStepsThatGotSlower) {
  auto current = loadRun(dataDir() / "run-b");
  auto previous = loadRun(dataDir() / "run-a");
  auto diff = compareRuns(current, previous);
  EXPECT_EQ(diff.previous_name, "run-a");
  std::vector<std::string> changes;
  for (const auto& c : diff.tests) {
    changes.push_back(fmt::format("{}: {} -> {}", c.name, c.before ? toString(*c.before) : "absent",
                                  c.after ? toString(*c.after) : "absent"));
  }
  EXPECT_THAT(changes, ElementsAre("BlockBuilding.Builds: passed -> failed", "Orderflow.Flow: failed -> passed",
                                   "Orderflow.New: absent -> passed", "Timeout.Hangs: absent -> failed",
                                   "Orderflow.Gone: passed -> absent"));
  // render-config 2.0 s -> 4.0 s is slower; persistent-setup +0.5 s (+25%) is under 1 s,
  // rbuilder-operator +1.1 s (+11%) is under 20%, flowproxy has no finish time now.
  ASSERT_EQ(diff.slower_boot_steps.size(), 1u);
  EXPECT_EQ(diff.slower_boot_steps[0].unit, "render-config");
  EXPECT_DOUBLE_EQ(diff.slower_boot_steps[0].before_s, 2.0);
  EXPECT_DOUBLE_EQ(diff.slower_boot_steps[0].after_s, 4.0);

  auto html = renderHtml(current, {.comparison = &diff});
  EXPECT_THAT(html, HasSubstr("<h2>Compared with run run-a</h2>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"change-mark\">changed: passed → failed</span>"));
  EXPECT_THAT(html, HasSubstr("<li class=\"change worse\"><code>BlockBuilding.Builds</code>: passed → failed</li>"));
  EXPECT_THAT(html, HasSubstr("<code>render-config</code>: 2.0 s → 4.0 s (+2.0 s, +100%)"));
  EXPECT_THAT(html, HasSubstr(">render-config (+2.0 s)</text>"));
  EXPECT_EQ(count(html, "class=\"change-mark\""), 4u);  // the 4 changed tests of this run

  // Looser thresholds mark more steps.
  auto loose = compareRuns(current, previous, {.slower_ratio = 0.1, .slower_seconds = 0.4});
  std::vector<std::string> slower;
  for (const auto& s : loose.slower_boot_steps) slower.push_back(s.unit);
  EXPECT_THAT(slower, ElementsAre("render-config", "persistent-setup", "rbuilder-operator"));
}

TEST(ReportHistogram, BinsHaveANiceWidthAndHoldTheirLowerEdge) {
  const std::vector<double> values = {0.2, 0.9, 1.0, 3.7, 9.99};
  auto h = makeHistogram(values, 20);
  EXPECT_DOUBLE_EQ(h.width, 0.5);
  ASSERT_EQ(h.counts.size(), 20u);
  std::vector<std::size_t> expected(20, 0);
  expected[0] = 1;   // 0.2
  expected[1] = 1;   // 0.9
  expected[2] = 1;   // 1.0 opens [1.0, 1.5)
  expected[7] = 1;   // 3.7
  expected[19] = 1;  // 9.99
  EXPECT_EQ(h.counts, expected);

  auto coarse = makeHistogram(values, 5);
  EXPECT_DOUBLE_EQ(coarse.width, 2);
  EXPECT_THAT(coarse.counts, ElementsAre(3u, 1u, 0u, 0u, 1u));

  auto one = makeHistogram({0, 0}, 20);
  EXPECT_THAT(one.counts, ElementsAre(2u));
  EXPECT_TRUE(makeHistogram({}, 20).counts.empty());
}

TEST(ReportHistogram, LatencyCsvFeedsTheChart) {
  auto run = loadRun(dataDir() / "run-b");
  ASSERT_TRUE(run.latency.missing.empty());
  EXPECT_THAT(run.latency.files,
              ElementsAre("report-data/orderflow-latency-SignedOrderflow.SustainedFlowIsIncluded.csv"));
  EXPECT_EQ(run.latency.seconds.size(), 11u);
  EXPECT_EQ(run.latency.not_included, 2u);  // one lost, one refused (its message has a comma)
  auto h = makeHistogram(run.latency.seconds);
  auto html = renderHtml(run);
  std::size_t nonzero = 0;
  for (auto c : h.counts) nonzero += c > 0;
  EXPECT_GT(nonzero, 0u);
  EXPECT_EQ(count(html, "class=\"bar latency-bar\""), nonzero);
  EXPECT_THAT(html, HasSubstr("11 included, 2 not included; p50 2.40 s, p95 4.80 s, max 4.80 s"));
}

TEST(ReportCharts, EveryDataSetIsDrawn) {
  auto run = loadRun(dataDir() / "run-b");
  auto html = renderHtml(run);
  EXPECT_EQ(count(html, "class=\"bar boot-bar ok\""), 7u);
  EXPECT_EQ(count(html, "class=\"bar boot-bar bad\""), 1u);  // flowproxy failed
  EXPECT_EQ(count(html, "class=\"bar block-bar\""), run.blocks.blocks.size());
  EXPECT_EQ(count(html, "class=\"empty-slot\""), 2u);  // slots 5 and 13
  std::set<std::uint64_t> bid_slots;
  for (const auto& b : run.bids.bids) bid_slots.insert(b.slot);
  EXPECT_EQ(count(html, "class=\"bar bid-bar\""), bid_slots.size());
  EXPECT_THAT(html, HasSubstr("<td>e2e_twin_builder</td>"));
  EXPECT_THAT(html, HasSubstr("<td>plain block</td>"));
  EXPECT_THAT(html, HasSubstr("<td>relay builder 0xb0b0</td>"));
}

TEST(ReportMissing, AnEmptyRunSaysWhichFileWasMissingInEachSection) {
  auto run = loadRun(dataDir() / "run-empty");
  EXPECT_EQ(run.results.missing, "junit.xml");
  auto html = renderHtml(run);
  for (const char* file : {"junit.xml", "testbed/builder/boot-timeline.json", "testbed/l1/blocks.json",
                           "testbed/l1/bids.json", "report-data/orderflow-latency-*.csv", "testbed/"}) {
    EXPECT_THAT(html, HasSubstr(fmt::format("no data: {} was missing", file)));
  }
  EXPECT_EQ(count(html, "class=\"bar"), 0u);
}

TEST(ReportMissing, BidsFallBackToTheBuildersRelayView) {
  ScratchRun run;
  run.write("testbed/builder/relay.json",
            R"({"builder":"b","bids_received":[{"slot":7,"builder_pubkey":"0xaa","value":"42","block_hash":"0x01",
               "block_number":7,"num_tx":1}],"payloads_delivered":[]})");
  auto data = loadRun(run.dir());
  ASSERT_TRUE(data.bids.missing.empty());
  EXPECT_EQ(data.bids.source, "testbed/builder/relay.json");
  ASSERT_EQ(data.bids.bids.size(), 1u);
  EXPECT_EQ(data.bids.bids[0].slot, 7u);
}

void expectReportError(const std::function<void()>& body, const std::string& file, const std::string& place,
                       const std::string& why) {
  try {
    body();
    ADD_FAILURE() << "no ReportError for " << file;
  } catch (const ReportError& e) {
    EXPECT_EQ(e.file(), file);
    EXPECT_EQ(e.place(), place);
    EXPECT_THAT(e.what(), HasSubstr(why));
    EXPECT_THAT(e.what(), ::testing::StartsWith(file + ": " + place + ": "));
  }
}

TEST(ReportMalformed, EachFormatNamesTheFileAndThePlace) {
  // tinyxml2 names the line of the element left open.
  expectReportError([] { parseJunit("<testsuite>\n<testcase name=\"a\">\n</testsuite>", "junit.xml"); }, "junit.xml",
                    "line 2", "MISMATCHED_ELEMENT");
  expectReportError([] { parseJunit("<html/>", "junit.xml"); }, "junit.xml", "line 1", "the root element is <html>");
  expectReportError([] { parseJunit("<testsuite>\n<testcase classname=\"x\"/></testsuite>", "junit.xml"); }, "junit.xml",
                    "line 2: testcase #1", "no name attribute");
  expectReportError([] { parseJunit("<testsuite><testcase name=\"a\" time=\"soon\"/></testsuite>", "junit.xml"); },
                    "junit.xml", "line 1: testcase #1", "time=\"soon\" is not a number");
  expectReportError([] { parseBootTimeline(R"([{"unit":"a"},{"unit":"b","started_s":"late"}])", "boot.json"); },
                    "boot.json", "[1].started_s", "\"late\" is not a number");
  expectReportError([] { parseBootTimeline("[{\"unit\": 1", "boot.json"); }, "boot.json", "byte 12", "not JSON");
  expectReportError([] { parseBootTimeline(R"({"steps":[]})", "boot.json"); }, "boot.json", "top level", "not an array");
  expectReportError(
      [] { parseBlocks(R"({"blocks":[{"slot":1,"number":1,"hash":"0x","fee_recipient":"0x","builder":"b"}]})", "blocks.json"); },
      "blocks.json", "blocks[0].tx_count", "missing");
  expectReportError([] { parseBlocks(R"({"blocks":[{"slot":-1}]})", "blocks.json"); }, "blocks.json", "blocks[0].slot",
                    "-1 is not a whole number");
  expectReportError(
      [] { parseBids(R"({"bids":[{"slot":1,"builder_pubkey":"0x","value":"1e18","block_hash":"0x"}]})", "bids.json"); },
      "bids.json", "bids[0].value", "\"1e18\" is not a decimal wei amount");
  Latency latency;
  expectReportError([&] { parseLatencyCsv("hash,when\n", "l.csv", latency); }, "l.csv", "line 1", "expected the header");
  expectReportError([&] { parseLatencyCsv("tx_hash,sent_seconds,included_block,latency_seconds,refused\n0x1,0,1,1.5,\n0x2,1,2,fast,\n",
                                          "l.csv", latency); },
                    "l.csv", "line 3", "latency_seconds \"fast\" is not a number");
  expectReportError([&] { parseLatencyCsv("tx_hash,sent_seconds,included_block,latency_seconds\n0x1,0\n", "l.csv", latency); },
                    "l.csv", "line 2", "fewer than 4 fields");
}

TEST(ReportMalformed, LoadRunNamesTheFileRelativeToTheRun) {
  ScratchRun run;
  run.write("junit.xml", "<testsuite/>");
  run.write("testbed/l1/blocks.json", R"({"blocks": "many"})");
  expectReportError([&] { loadRun(run.dir()); }, "testbed/l1/blocks.json", "blocks", "not an array");
}

TEST(ReportLoad, SomethingThatIsNotAFolderIsRefused) {
  ScratchRun run;
  run.write("file", "x");
  EXPECT_THROW(loadRun(run.dir() / "file"), std::invalid_argument);
  EXPECT_THROW(loadRun(run.dir() / "absent"), std::invalid_argument);
}

TEST(ReportLoad, ASymlinkOutOfTheRunIsNotFollowed) {
  ScratchRun run;
  ScratchRun outside;
  outside.write("secret.txt", "do not link me");
  outside.write("junit.xml", "<testsuite><testcase name=\"Leak.Test\" status=\"fail\"/></testsuite>");
  outside.write("builder/boot-timeline.json", R"([{"unit":"leaked","started_s":1,"finished_s":2}])");
  // A symlinked file is refused, naming it.
  fs::create_symlink(outside.dir() / "junit.xml", run.dir() / "junit.xml");
  try {
    loadRun(run.dir());
    ADD_FAILURE() << "read junit.xml through a symlink";
  } catch (const ReportError& e) {
    EXPECT_EQ(e.file(), "junit.xml");
    EXPECT_THAT(e.what(), HasSubstr("not a regular file"));
  }
  fs::remove(run.dir() / "junit.xml");
  // So is a file under a symlinked folder.
  fs::create_directory_symlink(outside.dir(), run.dir() / "testbed");
  try {
    loadRun(run.dir());
    ADD_FAILURE() << "read testbed/builder/boot-timeline.json through a symlinked folder";
  } catch (const ReportError& e) {
    EXPECT_EQ(e.file(), "testbed/builder/boot-timeline.json");
    EXPECT_THAT(e.what(), HasSubstr("testbed is not a folder of the run"));
  }
  fs::remove(run.dir() / "testbed");
  // A test's folder that is a symlink is not listed.
  run.write("junit.xml", "<testsuite><testcase name=\"Leak.Test\" status=\"fail\"/></testsuite>");
  fs::create_directory_symlink(outside.dir(), run.dir() / "Leak.Test");
  auto data = loadRun(run.dir());
  ASSERT_EQ(data.results.tests.size(), 1u);
  EXPECT_TRUE(data.results.tests[0].logs.empty());
  EXPECT_TRUE(data.testbed_logs.empty());
  EXPECT_THAT(renderHtml(data), Not(HasSubstr("secret.txt")));
}

}  // namespace
