// `bnet-e2e report` end to end: the real CLI renders a crafted run folder, headless Chromium
// (Debian's `chromium`, offline flags, a file:// URL) loads the page, and the DOM it dumps
// after the page's script ran says how many chart elements were laid out. The screenshot is
// kept at run level (report-screenshot-<test>.png) and recorded as a test property.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

#include "framework/artifacts/artifacts.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/deadline.hpp"
#include "framework/fs/fs.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

fs::path bnetE2e() { return e2e::inBuildTree("bin/bnet-e2e"); }

// A copy of a crafted run under this test's artifacts (the page links into it).
fs::path copyRun(const std::string& name) {
  auto dest = e2e::Artifacts::instance().path(name);
  fs::remove_all(dest);
  fs::copy(e2e::inSourceTree("tests/report/data") / name, dest, fs::copy_options::recursive);
  return dest;
}

e2e::CommandResult runReport(const std::vector<std::string>& args, const std::string& log) {
  return e2e::runCommand({.name = "bnet-e2e-report",
                          .executable = bnetE2e(),
                          .args = args,
                          .log_path = e2e::Artifacts::instance().path(log)},
                         e2e::Deadline::after(60s));
}

class ReportInChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    auto found = e2e::findProgram("chromium");
    if (!found) GTEST_SKIP() << "chromium is not installed (Debian package `chromium`; tools/setup.sh installs it)";
    chromium_ = *found;
    if (!fs::exists(bnetE2e())) GTEST_SKIP() << "bnet-e2e is not built at " << bnetE2e();
    profile_ = e2e::Artifacts::instance().path("chromium-profile");
  }
  void TearDown() override {
    std::error_code ec;
    if (!profile_.empty()) fs::remove_all(profile_, ec);  // Chromium's cache, not evidence
  }

  // Chromium with no network: background networking, sync, extensions and component
  // updates off, a fresh profile, and a file:// URL. Killed at the deadline.
  e2e::CommandResult chromium(const std::vector<std::string>& extra, const fs::path& page, const std::string& log) {
    std::vector<std::string> args = {"--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-extensions",
                                     "--disable-default-apps",
                                     "--no-default-browser-check",
                                     "--no-first-run",
                                     "--log-level=3",
                                     "--user-data-dir=" + profile_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("file://" + fs::absolute(page).string());
    return e2e::runCommand({.name = "chromium",
                            .executable = chromium_,
                            .args = args,
                            .log_path = e2e::Artifacts::instance().path(log),
                            .stop_grace = 2000ms},
                           e2e::Deadline::after(90s));
  }

  fs::path chromium_;
  fs::path profile_;
};

// The value of data-<name> on <body> in a DOM dump.
std::optional<int> bodyCount(const std::string& dom, const std::string& name) {
  std::smatch m;
  std::regex body("<body([^>]*)>");
  if (!std::regex_search(dom, m, body)) return std::nullopt;
  std::string attrs = m[1];
  std::smatch v;
  if (!std::regex_search(attrs, v, std::regex(" data-" + name + "=\"(\\d+)\""))) return std::nullopt;
  return std::stoi(v[1]);
}

TEST_F(ReportInChromium, ChartsAreDrawnAndAHostileMessageStaysText) {
  auto current = copyRun("run-b");
  auto previous = copyRun("run-a");
  auto rendered = runReport({"report", current.string(), "--compare", previous.string()}, "report.log");
  ASSERT_TRUE(rendered.status.success()) << rendered.status.describe() << ": " << rendered.output;
  EXPECT_THAT(rendered.output, HasSubstr("9 tests, 2 failed, 1 skipped; 5 changed since run-a"));
  const auto page = current / "report.html";
  ASSERT_TRUE(fs::exists(page));

  auto dump = chromium({"--dump-dom"}, page, "chromium-dump-dom.log");
  ASSERT_TRUE(dump.status.success()) << "chromium " << dump.status.describe() << ": " << dump.output;
  const std::string& dom = dump.output;
  ASSERT_THAT(dom, HasSubstr("data-charts-counted=\"yes\"")) << "the page's script did not run; DOM:\n" << dom;
  // Counted by the script from the laid-out boxes (getBBox), not from the markup.
  EXPECT_EQ(bodyCount(dom, "boot-bars"), 8);
  auto latency = bodyCount(dom, "latency-bars");
  ASSERT_TRUE(latency.has_value());
  EXPECT_GT(*latency, 0);
  EXPECT_EQ(bodyCount(dom, "block-bars"), 22);
  EXPECT_EQ(bodyCount(dom, "bid-bars"), 18);
  // The failure message's <script> and <img onerror> did not run: they are text.
  EXPECT_THAT(dom, ::testing::Not(HasSubstr("data-pwned")));
  EXPECT_THAT(dom, HasSubstr("&lt;img src=x onerror="));
  EXPECT_THAT(dom, HasSubstr("changed: passed → failed"));

  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto shot = e2e::Artifacts::instance().runDir() /
                    fmt::format("report-screenshot-{}.png",
                                e2e::Artifacts::folderName(fmt::format("{}.{}", info->test_suite_name(), info->name())));
  fs::remove(shot);
  auto screenshot = chromium({"--screenshot=" + shot.string(), "--window-size=1280,2000", "--hide-scrollbars"}, page,
                             "chromium-screenshot.log");
  ASSERT_TRUE(screenshot.status.success()) << "chromium " << screenshot.status.describe() << ": " << screenshot.output;
  ASSERT_TRUE(fs::exists(shot)) << screenshot.output;
  std::ifstream in(shot, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof magic);
  EXPECT_EQ(std::string(magic, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(fs::file_size(shot), 20000u);  // a blank 1280x2000 page compresses to a few KiB
  RecordProperty("artifact_report_screenshot", shot.string());
  std::cout << "screenshot: " << shot.string() << "\n";
}

TEST_F(ReportInChromium, AnEmptyRunStillOpensWithEveryChartSayingNoData) {
  auto run = copyRun("run-empty");
  auto out = e2e::Artifacts::instance().path("elsewhere/empty-report.html");
  auto rendered = runReport({"report", run.string(), "-o", out.string()}, "report-empty.log");
  ASSERT_TRUE(rendered.status.success()) << rendered.output;
  EXPECT_THAT(rendered.output, HasSubstr("no data: junit.xml was missing"));
  auto dump = chromium({"--dump-dom"}, out, "chromium-empty.log");
  ASSERT_TRUE(dump.status.success()) << dump.output;
  ASSERT_THAT(dump.output, HasSubstr("data-charts-counted=\"yes\""));
  EXPECT_EQ(bodyCount(dump.output, "boot-bars"), 0);
  EXPECT_EQ(bodyCount(dump.output, "latency-bars"), 0);
  EXPECT_THAT(dump.output, HasSubstr("no data: testbed/builder/boot-timeline.json was missing"));
}

// The CLI's exit codes: 1 names the malformed file and the place, 2 for a missing folder.
TEST(ReportCommand, MalformedFileExitsOneNamingTheFileAndPlace) {
  auto run = e2e::Artifacts::instance().path("bad-run");
  fs::create_directories(run / "testbed" / "builder");
  std::ofstream(run / "junit.xml") << "<testsuite><testcase name=\"A.B\" status=\"run\"/></testsuite>";
  std::ofstream(run / "testbed" / "builder" / "boot-timeline.json") << R"([{"unit":"x","finished_s":"never"}])";
  auto r = runReport({"report", run.string()}, "bad-run.log");
  EXPECT_EQ(r.status.describe(), "exited with code 1") << r.output;
  EXPECT_THAT(r.output, HasSubstr("testbed/builder/boot-timeline.json: [0].finished_s: \"never\" is not a number"));
  EXPECT_FALSE(fs::exists(run / "report.html"));

  auto missing = runReport({"report", (run / "no-such-run").string()}, "missing-run.log");
  EXPECT_EQ(missing.status.describe(), "exited with code 2") << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("is not a folder"));
}

}  // namespace
