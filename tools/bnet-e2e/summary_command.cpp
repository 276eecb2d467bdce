// bnet-e2e summary RUN_DIR [--junit FILE] [--env NAME]: a run's results from its GoogleTest
// XML and ctest's JUnit file (report::loadResults), failing on a failure or, where the
// environment must run here, on a skip.
// bnet-e2e merge OUT_RUN_DIR SHARD_RUN_DIR...: the run folders of a run's shards as one.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fixtures/environment/environment.hpp"
#include "framework/env/selection.hpp"
#include "framework/testing/exit_codes.hpp"
#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/report/report.hpp"

namespace bnet::cli {

namespace fs = std::filesystem;

report::SummaryPolicy summaryPolicy(const std::string& env_option) {
  report::SummaryPolicy policy;
  try {
    policy.skips_allowed = e2e::skipsAllowed();
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, e.what());
  }
  const auto selection = env_option.empty() ? e2e::selectedEnvironment() : e2e::EnvSelection{env_option, "--env"};
  policy.environment = selection.name_or_path;
  fs::path file;
  try {
    file = e2e::resolveEnvironmentPath(selection.name_or_path);
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, fmt::format("environment (from {}): {}", selection.source, e.what()));
  }
  try {
    e2e::Redactor scratch;  // the summary prints no secret of the file; keep none
    const auto env = Environment::load(file, e2e::processVariable, scratch);
    policy.must_run_here = env.must_run_here;
    policy.environment = env.name;
  } catch (const std::exception&) {
    // A file that does not load here (staging without its variables): its own word on
    // must_run_here, read without expanding anything; unreadable counts as must run here.
    std::ifstream in(file);
    auto doc = nlohmann::json::parse(in, nullptr, false);
    policy.must_run_here = !doc.is_object() || doc.value("must_run_here", false);
  }
  return policy;
}

namespace {

struct SummaryOptions {
  std::string run_dir;
  std::string junit;
  std::string env;
};

int summary(const SummaryOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.run_dir, ec)) throw CommandError(kExitBadInput, fmt::format("{} is not a folder", o.run_dir));
  auto policy = summaryPolicy(o.env);
  report::TestResults results;
  try {
    results = report::loadResults(o.run_dir, o.junit.empty() ? std::nullopt : std::optional<fs::path>(o.junit));
  } catch (const report::ReportError& e) {
    fmt::print("summary: {}\n", e.what());
    return kExitFailed;
  }
  auto s = report::summarize(results, policy);
  fmt::print("{}", s.text);
  std::fflush(stdout);  // before main's message on stderr
  return s.passed ? 0 : kExitFailed;
}

struct MergeOptions {
  std::string out;
  std::vector<std::string> shards;
};

// Copies `from` to `to`: a folder's entries one by one, so that folders merge.
void copyInto(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

int merge(const MergeOptions& o) {
  const fs::path out = o.out;
  std::error_code ec;
  if (fs::exists(out / "junit.xml", ec)) {
    throw CommandError(kExitBadInput, fmt::format("{}/junit.xml exists; merge into a new folder", out.string()));
  }
  for (const auto& shard : o.shards) {
    if (!fs::is_directory(shard, ec)) throw CommandError(kExitBadInput, fmt::format("{} is not a folder", shard));
  }
  fs::create_directories(out);
  std::vector<std::pair<std::string, std::string>> junits;
  std::vector<std::string> missing;
  for (const auto& shard : o.shards) {
    const auto tag = fs::absolute(shard).lexically_normal().filename().string();
    for (const auto& entry : fs::directory_iterator(shard)) {
      const auto name = entry.path().filename().string();
      if (name == "junit.xml") continue;
      if (name == e2e::kGtestResultsFolder && entry.is_directory()) {
        // One GoogleTest XML per test process: the folders merge (a name met twice, two
        // machines' equal pids, keeps the shard in its name).
        fs::create_directories(out / name);
        for (const auto& xml : fs::directory_iterator(entry.path())) {
          auto target = out / name / xml.path().filename();
          if (fs::exists(target, ec)) target = out / name / fmt::format("{}-{}.xml", xml.path().stem().string(), tag);
          copyInto(xml.path(), target);
        }
        continue;
      }
      // A test runs in one shard only; what every shard has (_global, testbed) is kept apart.
      copyInto(entry.path(), fs::exists(out / name, ec) ? out / fmt::format("{}.{}", name, tag) : out / name);
    }
    std::ifstream in(fs::path(shard) / "junit.xml", std::ios::binary);
    if (!in) {
      missing.push_back(shard);
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    junits.emplace_back((fs::path(shard) / "junit.xml").string(), text.str());
  }
  report::MergedJunit merged;
  try {
    merged = report::mergeJunitFiles(junits);
  } catch (const report::ReportError& e) {
    throw CommandError(kExitFailed, e.what());
  }
  {
    std::ofstream file(out / "junit.xml", std::ios::binary | std::ios::trunc);
    file << merged.xml;
    if (!file.flush()) throw CommandError(kExitFailed, fmt::format("cannot write {}/junit.xml", out.string()));
  }
  fmt::print("merged {} JUnit file(s): {} tests, {} failed, {} skipped -> {}\n", junits.size(), merged.tests,
             merged.failures, merged.skipped, (out / "junit.xml").string());
  if (!missing.empty()) {
    throw CommandError(kExitFailed, fmt::format("no junit.xml in: {} (the shard did not finish)", fmt::join(missing, " ")));
  }
  return 0;
}

}  // namespace

void addSummaryCommands(CLI::App& app) {
  auto s = std::make_shared<SummaryOptions>();
  auto* summary_cmd = app.add_subcommand(
      "summary",
      "print a run's summary (passed, failed, skipped, each failure and skip with its reason) from the GoogleTest XML "
      "its test processes wrote (RUN_DIR/gtest/) and ctest's JUnit file; exit 0 when it passed");
  summary_cmd->footer(
      "A run fails on any failed test, on a missing ctest JUnit file, and on any skipped test when the environment\n"
      "must run here (\"must_run_here\": true, as local) unless BNET_E2E_ALLOW_SKIPS=1. Exit codes: 0 passed,\n"
      "1 failed (or a results file is malformed), 2 bad input.");
  summary_cmd->add_option("RUN_DIR", s->run_dir, "the run's folder (artifacts/<run id>)")->required();
  summary_cmd->add_option("--junit", s->junit, "ctest's JUnit file (default RUN_DIR/junit.xml)");
  summary_cmd->add_option("--env", s->env, "environment NAME or PATH the run used (default: $BNET_E2E_ENV or local)");
  summary_cmd->callback([s] {
    if (int rc = summary(*s); rc != 0) throw CommandError(rc, "the run did not pass");
  });

  auto m = std::make_shared<MergeOptions>();
  auto* merge_cmd = app.add_subcommand(
      "merge", "join the run folders of a run's shards (tools/shard.sh) into one run folder, for `summary` and `report`");
  merge_cmd->footer(
      "Copies each shard's folders into OUT_RUN_DIR (a test runs in one shard only; folders every shard has, _global\n"
      "and testbed, are kept apart as <name>.<shard folder>; gtest/ folders merge), and joins the shards' junit.xml\n"
      "into one OUT_RUN_DIR/junit.xml. Exit codes: 0 merged, 1 a shard has no junit.xml (it did not finish; the rest\n"
      "is merged) or a file is malformed, 2 OUT_RUN_DIR/junit.xml exists or a SHARD_RUN_DIR is not a folder.");
  merge_cmd->add_option("OUT_RUN_DIR", m->out, "the merged run folder (new)")->required();
  merge_cmd->add_option("SHARD_RUN_DIR", m->shards, "the shards' run folders")->required();
  merge_cmd->callback([m] { merge(*m); });
}

}  // namespace bnet::cli
