// bnet-e2e report RUN_DIR [--compare PREV_RUN_DIR] [-o FILE]: a run's artifacts as one
// self-contained HTML page (tools/bnet-e2e/report; formats in tools/bnet-e2e/README.md).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/report/report.hpp"

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;

struct ReportOptions {
  std::string run_dir;
  std::string compare;
  std::string output;  // empty: RUN_DIR/report.html
};

report::RunData load(const std::string& dir, const char* what) {
  try {
    return report::loadRun(dir);
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, fmt::format("{}: {}", what, e.what()));
  } catch (const report::ReportError& e) {
    throw CommandError(kExitFailed, fmt::format("{} {}: {}", what, dir, e.what()));
  }
}

void run(const ReportOptions& o) {
  auto current = load(o.run_dir, "run");
  std::optional<report::RunData> previous;
  report::Comparison comparison;
  if (!o.compare.empty()) {
    previous = load(o.compare, "previous run");
    comparison = report::compareRuns(current, *previous);
  }
  const fs::path out = o.output.empty() ? fs::path(o.run_dir) / "report.html" : fs::path(o.output);
  const fs::path out_dir = fs::absolute(out).parent_path();
  std::string prefix = fs::absolute(o.run_dir).lexically_normal().lexically_relative(out_dir.lexically_normal()).generic_string();
  if (prefix == "." || prefix.empty()) {
    prefix.clear();
  } else if (prefix.back() != '/') {
    prefix += '/';
  }
  auto html = report::renderHtml(current, {.comparison = previous ? &comparison : nullptr, .link_prefix = prefix});
  auto tmp = out;
  tmp += ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << html;
    if (!file.flush()) throw CommandError(kExitFailed, fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) throw CommandError(kExitFailed, fmt::format("cannot write {}: {}", out.string(), ec.message()));
  std::size_t failed = 0, skipped = 0;
  for (const auto& t : current.results.tests) {
    failed += t.status == report::TestStatus::kFailed;
    skipped += t.status == report::TestStatus::kSkipped;
  }
  fmt::print("report: {} ({} tests, {} failed, {} skipped{})\n", out.string(), current.results.tests.size(), failed, skipped,
             previous ? fmt::format("; {} changed since {}", comparison.tests.size(), comparison.previous_name) : "");
  for (const auto* missing : {&current.results.missing, &current.boot.missing, &current.blocks.missing,
                              &current.bids.missing, &current.latency.missing}) {
    if (!missing->empty()) fmt::print("  no data: {} was missing\n", *missing);
  }
}

}  // namespace

void addReportCommand(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "turn a run's artifacts folder into one self-contained HTML page");
  cmd->footer(
      "Reads only RUN_DIR (and PREV_RUN_DIR): junit.xml, testbed/builder/boot-timeline.json, testbed/l1/blocks.json,\n"
      "testbed/l1/bids.json, report-data/orderflow-latency-*.csv, the per-test folders. A missing file leaves its\n"
      "section as \"no data\". Exit codes: 0 written, 1 a file is malformed (the message names it and the place)\n"
      "or the page cannot be written, 2 RUN_DIR or PREV_RUN_DIR is not a folder.");
  cmd->add_option("RUN_DIR", options->run_dir, "the run's folder (artifacts/<run id>)")->required();
  cmd->add_option("--compare", options->compare, "a previous run's folder: mark tests that changed state and slower boot steps");
  cmd->add_option("-o,--output", options->output, "where to write the page (default RUN_DIR/report.html)");
  cmd->callback([options] { run(*options); });
}

}  // namespace bnet::cli
