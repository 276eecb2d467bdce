// bnet-e2e run: the e2e suites (ctest -L e2e, or the labels of the suites named) in the
// build folder, then the run's summary (bnet-e2e summary: the GoogleTest results the test
// processes wrote into the run folder, with ctest's JUnit file).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "framework/artifacts/artifacts.hpp"
#include "framework/fs/fs.hpp"
#include "framework/process/child_process.hpp"
#include "framework/testing/exit_codes.hpp"
#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/progress.hpp"
#include "tools/bnet-e2e/report/report.hpp"
#include "tools/bnet-e2e/running_environment.hpp"
#include "tools/bnet-e2e/step_runner.hpp"

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;

struct RunOptions {
  std::vector<std::string> suites;
  std::string env;
  std::vector<std::string> ctest_args;
};

// The e2e suites' own labels (boot-sequence, relay-bids, ...), from ctest's test list.
std::set<std::string> suiteLabels(const fs::path& build) {
  std::error_code ec;
  fs::remove(build / "e2e-run-list.log", ec);  // the log is appended to; the output is all of it
  auto listing = e2e::runCommand({.name = "ctest-list",
                                  .executable = "ctest",
                                  .args = {"--show-only=json-v1", "-L", "e2e"},
                                  .working_dir = build,
                                  .log_path = build / "e2e-run-list.log"},
                                 e2e::Deadline::after(std::chrono::seconds(60)));
  if (!listing.status.success()) {
    throw CommandError(kExitFailed, fmt::format("ctest --show-only in {} {}:\n{}", build.string(), listing.status.describe(),
                                                listing.output));
  }
  std::set<std::string> labels;
  auto json = nlohmann::json::parse(listing.output.substr(std::min(listing.output.find('{'), listing.output.size())),
                                    nullptr, false);
  if (json.is_discarded()) throw CommandError(kExitFailed, "ctest --show-only=json-v1 gave no JSON");
  for (const auto& test : json.value("tests", nlohmann::json::array())) {
    for (const auto& prop : test.value("properties", nlohmann::json::array())) {
      if (prop.value("name", "") != "LABELS") continue;
      for (const auto& label : prop.at("value")) {
        auto l = label.get<std::string>();
        if (l != "e2e" && l != "mutating" && l != "staging-safe") labels.insert(l);
      }
    }
  }
  return labels;
}

std::string normalizeSuite(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return c == '_' ? '-' : std::tolower(c); });
  if (name.ends_with("-suite")) name.resize(name.size() - 6);
  return name;
}

int run(const RunOptions& o) {
  auto build = e2e::projectBuildDir();
  std::error_code ec;
  if (build.empty() || !fs::exists(build / "CTestTestfile.cmake", ec)) {
    throw CommandError(kExitFailed, fmt::format("cannot find the build folder ({}): set BNET_E2E_BINARY_DIR",
                                                build.empty() ? "this program is not in <build>/bin" : build.string()));
  }
  if (!e2e::findProgram("ctest")) throw CommandError(kExitFailed, "ctest is not on PATH (apt-get install cmake)");
  std::vector<std::string> args = {"ctest", "--output-on-failure", "--no-tests=error", "--output-junit",
                                   (build / "e2e-junit.xml").string()};
  if (o.suites.empty()) {
    args.insert(args.end(), {"-L", "e2e"});
  } else {
    auto labels = suiteLabels(build);
    std::string alternatives;
    for (const auto& suite : o.suites) {
      auto label = normalizeSuite(suite);
      if (!labels.count(label)) {
        std::string known;
        for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
        throw CommandError(kExitBadInput, fmt::format("unknown suite '{}'; the suites are: {}", suite, known));
      }
      alternatives += (alternatives.empty() ? "" : "|") + label;
    }
    // One label regex: the suite tests carry their area's label; the environment's Up and
    // Down tests come along as their fixture's setup and cleanup.
    args.insert(args.end(), {"-L", fmt::format("^({})$", alternatives)});
  }
  args.insert(args.end(), o.ctest_args.begin(), o.ctest_args.end());
  const auto policy = summaryPolicy(o.env);
  std::map<std::string, std::string> env;
  if (!o.env.empty()) env["BNET_E2E_ENV"] = o.env;
  std::string run_id;
  if (const char* id = std::getenv("BNET_E2E_RUN_ID"); id && *id) {
    run_id = id;
  } else {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    run_id = env["BNET_E2E_RUN_ID"] = buf;
  }
  // Where the test processes write their GoogleTest XML (framework/testing/main.cpp).
  const auto run_dir = fs::absolute(e2e::ArtifactsConfig::fromEnvironment().root) / run_id;
  fs::remove(build / "e2e-junit.xml", ec);
  const fs::path log = build / "e2e-run.log";
  std::ofstream log_out(log, std::ios::trunc);
  Progress progress(o.suites.empty() ? std::string("run e2e") : fmt::format("run {}", fmt::join(o.suites, " ")));
  progress.update("ctest " + fmt::format("{}", fmt::join(args.begin() + 1, args.end(), " ")));
  if (progress.terminal()) progress.note(fmt::format("ctest output: {}", log.string()));
  static const std::regex kResult(R"(^\s*(\d+)/(\d+) Test\s+#\d+: (\S+) \.*\s*(\*\*\*)?(\w[^0-9]*?)\s+[0-9.]+ sec)");
  int failures = 0;
  auto status = runStep({.argv = args, .env = env, .working_dir = build}, progress, [&](std::string_view line, bool) {
    log_out << line << '\n';
    log_out.flush();
    std::string text(line);
    std::smatch m;
    bool is_result = std::regex_search(text, m, kResult);
    if (!progress.terminal()) {
      fmt::print("{}\n", text);
      std::fflush(stdout);
      return;
    }
    if (!is_result) return;
    std::string outcome = m[5];
    bool ok = outcome.starts_with("Passed") || outcome.starts_with("Skipped");
    if (!ok) {
      ++failures;
      progress.note(fmt::format("FAILED {} ({})", std::string(m[3]), outcome));
    }
    progress.update(fmt::format("{}/{} {} {}{}", std::string(m[1]), std::string(m[2]), std::string(m[3]), outcome,
                                failures ? fmt::format(", {} failed", failures) : ""));
  });
  progress.finish(status.success() ? "ctest passed" : fmt::format("ctest {}", status.describe()));
  log_out.close();
  // ctest's JUnit and its logs hold the tests' output and are written after `down`: mask the
  // environment's secrets and each testbed's (from the redaction file `down` left), then
  // forget those.
  const auto states = stateFilesIn(build / "e2e-state");
  std::vector<std::string> notes = registerEnvironmentSecrets(o.env);
  for (const auto& state : states) {
    auto more = registerRunSecrets(state);
    notes.insert(notes.end(), more.begin(), more.end());
  }
  for (const auto& note : notes) fmt::print("run: {}\n", note);
  // The test processes' GoogleTest XML (their failure messages) is read by the summary below.
  std::vector<fs::path> to_redact = {build / "e2e-junit.xml", log, build / "Testing" / "Temporary"};
  if (fs::exists(run_dir / e2e::kGtestResultsFolder, ec)) to_redact.push_back(run_dir / e2e::kGtestResultsFolder);
  redactAndReport(to_redact, "run");
  for (const auto& state : states) fs::remove(redactionFileFor(state), ec);
  // The summary counts the GoogleTest results, not ctest's processes (bnet-e2e summary).
  bool passed = false;
  try {
    auto summary = report::summarize(report::loadResults(run_dir, build / "e2e-junit.xml"), policy);
    fmt::print("{}", summary.text);
    passed = summary.passed;
  } catch (const report::ReportError& e) {
    fmt::print("summary: {}\n", e.what());
  }
  fmt::print("  JUnit: {}\n  GoogleTest results: {}/{}/\n  ctest output: {}\n", (build / "e2e-junit.xml").string(),
             run_dir.string(), e2e::kGtestResultsFolder, log.string());
  return status.success() && passed ? 0 : kExitFailed;
}

}  // namespace

void addRunCommand(CLI::App& app, std::vector<std::string> ctest_args) {
  auto o = std::make_shared<RunOptions>();
  o->ctest_args = std::move(ctest_args);
  auto* cmd = app.add_subcommand(
      "run",
      "run the e2e suites (all, or the SUITEs named) with ctest in the build folder ($BNET_E2E_BINARY_DIR, else the "
      "folder above this program's bin/), then print a summary; exit 0 when the run passed, 1 otherwise. Arguments after "
      "-- go to ctest. Skipped tests fail the run where the environment must run here (local) unless "
      "BNET_E2E_ALLOW_SKIPS=1.");
  cmd->add_option("suite", o->suites, "boot-sequence, config-download, block-building, relay-bids, orderflow, ...");
  cmd->add_option("--env", o->env, "environment NAME or PATH (sets BNET_E2E_ENV; default: $BNET_E2E_ENV or local)");
  cmd->callback([o] {
    if (int rc = run(*o); rc != 0) throw CommandError(rc, "some e2e tests failed or did not run");
  });
}

}  // namespace bnet::cli
