#pragma once
// The run report: reads what a run left in its folder (the formats are documented in
// tools/bnet-e2e/README.md, section "report") and renders one self-contained HTML page.
//
//   auto run = bnet::report::loadRun("artifacts/20261125-194257");
//   auto prev = bnet::report::loadRun("artifacts/20261124-194257");
//   auto diff = bnet::report::compareRuns(run, prev);
//   std::string html = bnet::report::renderHtml(run, {.comparison = &diff});
//
// Nothing here reads outside the folders it is given, and nothing touches the network.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bnet::report {

// A file of the run is malformed. what() is "<file>: <place>: <why>"; file() is the path as
// given (relative to the run folder when loadRun read it).
class ReportError : public std::runtime_error {
 public:
  ReportError(std::string file, std::string place, const std::string& why);
  const std::string& file() const { return file_; }
  const std::string& place() const { return place_; }

 private:
  std::string file_;
  std::string place_;
};

enum class TestStatus { kPassed, kFailed, kSkipped };
std::string_view toString(TestStatus status);

// A link to a file of the run, relative to the run folder ("testbed/l1/anvil.log").
struct LogLink {
  std::string label;
  std::string path;
};

struct TestResult {
  std::string suite;  // the GoogleTest suite ("BootSequence"), or the name when it has no '.'
  std::string name;   // as the JUnit file names it ("BootSequence.BuilderIsReady...")
  TestStatus status = TestStatus::kPassed;
  double seconds = 0;
  std::string message;          // failures: the failure text; skipped: the reason
  std::vector<LogLink> logs;    // the test's own artifact folder, when it was kept
};

// Each data set says why it is empty: "missing" names the file that was not there.
struct TestResults {
  std::vector<TestResult> tests;
  std::string missing;
  std::size_t gtest_processes = 0;  // GoogleTest XML files read (mergeResults)
  std::size_t ctest_only = 0;       // tests known only from ctest's JUnit file
};

struct BootStep {
  std::string unit;
  std::string result;
  std::optional<double> started_s;   // seconds since the VM's kernel started
  std::optional<double> finished_s;
};
struct BootTimeline {
  std::vector<BootStep> steps;
  std::string missing;
};

struct ChainBlock {
  std::uint64_t slot = 0;
  std::uint64_t number = 0;
  std::string hash;
  std::string fee_recipient;
  std::string builder;  // the builder's name, "plain block", or "relay builder 0x..."
  std::uint64_t tx_count = 0;
};
struct Blocks {
  std::vector<ChainBlock> blocks;
  std::string missing;
};

struct RelayBid {
  std::uint64_t slot = 0;
  std::string builder_pubkey;
  std::string value;  // wei, decimal digits
  std::string block_hash;
};
struct Bids {
  std::vector<RelayBid> bids;
  std::string source;  // the file they came from
  std::string missing;
};

struct Latency {
  std::vector<double> seconds;     // included transactions: send to inclusion
  std::size_t not_included = 0;    // sent, never seen in a block (or refused)
  std::vector<std::string> files;  // the CSV files read
  std::string missing;
};

struct RunData {
  std::filesystem::path dir;
  std::string name;  // the folder's name (the run id)
  TestResults results;
  BootTimeline boot;
  Blocks blocks;
  Bids bids;
  Latency latency;
  std::vector<LogLink> testbed_logs;  // text files under testbed/
};

// Reads a run folder. Missing files leave their data set empty with `missing` set; a
// malformed file throws ReportError naming it. Throws std::invalid_argument when dir is not
// a folder. Reads only inside dir.
RunData loadRun(const std::filesystem::path& dir);

// A run's test results, one per gtest: ctest's JUnit file (RUN_DIR/junit.xml, or
// ctest_junit) knows one entry per ctest test, i.e. per process; every test process that
// ctest started also wrote its GoogleTest XML into RUN_DIR/gtest/<binary>.<pid>.xml
// (framework/testing/main.cpp). See mergeResults. Throws ReportError for a malformed file.
TestResults loadResults(const std::filesystem::path& dir,
                        const std::optional<std::filesystem::path>& ctest_junit = std::nullopt);

// One GoogleTest XML file of a run and the binary that wrote it.
struct GtestFile {
  std::string binary;
  TestResults results;
};
// The GoogleTest results count, one per gtest (the worse when a gtest ran twice). A ctest
// entry named after a gtest or after the binary of a file (a whole-binary entry) is counted
// through those gtests, plus a failure of its own when ctest saw the process fail but none
// of its gtests failed; any other ctest entry (not a GoogleTest program, or a process that
// died before writing its XML) counts as ctest saw it.
TestResults mergeResults(const TestResults& ctest, const std::vector<GtestFile>& gtest_files);

// One JUnit file of the shape ctest writes (one <testsuite> named `suite_name` with every
// <testcase> of the inputs, counts and times summed, attribute shards="N"); the inputs are
// (name for messages, XML text). Throws ReportError naming a malformed input.
struct MergedJunit {
  std::string xml;
  std::size_t tests = 0, failures = 0, skipped = 0;
};
MergedJunit mergeJunitFiles(const std::vector<std::pair<std::string, std::string>>& files,
                            const std::string& suite_name = "e2e");

// What a run's summary prints and whether the run passed: no failure, and no skip unless
// skips do not fail it (an environment that need not run here, or the user allowed them).
struct SummaryPolicy {
  std::string environment;    // named in the verdict
  bool must_run_here = false; // Environment::must_run_here
  bool skips_allowed = false; // BNET_E2E_ALLOW_SKIPS=1
};
struct Summary {
  std::string text;  // "summary: N passed, N failed, N skipped" and a line per failure and skip
  bool passed = false;
};
Summary summarize(const TestResults& results, const SummaryPolicy& policy);

// The parsers loadRun uses, one per file format; `file` is only used in error messages.
// JUnit XML as ctest --output-junit or GoogleTest --gtest_output=xml writes it.
TestResults parseJunit(std::string_view xml, const std::string& file);
// testbed/builder/boot-timeline.json (BootTimeline::toJson of fixtures/vm).
BootTimeline parseBootTimeline(std::string_view json, const std::string& file);
// testbed/l1/blocks.json (bnet::writeChainRecord).
Blocks parseBlocks(std::string_view json, const std::string& file);
// testbed/l1/bids.json (bnet::writeChainRecord), or the "bids_received" of relay.json.
Bids parseBids(std::string_view json, const std::string& file);
// report-data/orderflow-latency-*.csv (bnet::Orderflow::runFlow); adds to `into`.
void parseLatencyCsv(std::string_view csv, const std::string& file, Latency& into);

// Fixed-width bins from 0: counts[i] holds values in [i*width, (i+1)*width).
struct Histogram {
  double width = 1;
  std::vector<std::size_t> counts;
};
// The width is the smallest of 1, 2, 5 x 10^k that needs at most max_bins bins for the
// largest value. Empty values: no bins.
Histogram makeHistogram(const std::vector<double>& values, std::size_t max_bins = 20);

struct TestChange {
  std::string name;
  std::optional<TestStatus> before;  // nullopt: not in that run
  std::optional<TestStatus> after;
};
struct SlowerBootStep {
  std::string unit;
  double before_s = 0;  // the step's duration (finished - started)
  double after_s = 0;
};
struct CompareOptions {
  double slower_ratio = 0.2;    // a step is slower when it took this much longer...
  double slower_seconds = 1.0;  // ...and at least this many seconds longer
};
struct Comparison {
  std::string previous_name;
  std::vector<TestChange> tests;  // only tests whose state changed (or that came or went)
  std::vector<SlowerBootStep> slower_boot_steps;
};
Comparison compareRuns(const RunData& current, const RunData& previous, const CompareOptions& options = {});

struct RenderOptions {
  const Comparison* comparison = nullptr;
  // Prepended to every link (the run folder as seen from where the page is written):
  // "" when the page is in the run folder.
  std::string link_prefix;
};
// The page: inline CSS, inline SVG charts, a tiny inline script that counts the drawn chart
// elements (data-* attributes on <body>); no external resource. Every string taken from
// the run is HTML-escaped.
std::string renderHtml(const RunData& run, const RenderOptions& options = {});

// &, <, >, " and ' as entities.
std::string htmlEscape(std::string_view text);

}  // namespace bnet::report
