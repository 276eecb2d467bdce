#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "framework/artifacts/artifacts.hpp"
#include "framework/artifacts/listener.hpp"
#include "framework/env/selection.hpp"
#include "framework/process/registry.hpp"
#include "framework/testing/exit_codes.hpp"
#include "framework/testing/skip_unavailable.hpp"

namespace {

// How GoogleTest results reach a run's summary (bnet-e2e summary): every test process that
// ctest starts writes its own GoogleTest XML into the run folder, <run>/gtest/<binary>.<pid>.xml,
// and the summary reads those next to ctest's JUnit file (which only knows processes).
// ctest's registration asks for it with BNET_E2E_GTEST_XML=1 (cmake/ProjectTesting.cmake);
// the variable is taken out of this process's environment so that a test binary run as a
// child of a test (a made-up failing test, say) never adds its results to the run. Only for
// a run folder shared by the whole run (BNET_E2E_RUN_ID set by the runner), and never over an
// explicit --gtest_output.
// Returns the file asked for (empty: none).
std::filesystem::path writeResultsIntoTheRunFolder(const char* argv0) {
  const char* wanted = std::getenv(e2e::kGtestXmlVariable);
  const bool asked = wanted != nullptr && std::string(wanted) == "1";
  ::unsetenv(e2e::kGtestXmlVariable);
  if (!asked || !::testing::GTEST_FLAG(output).empty()) return {};
  auto& artifacts = e2e::Artifacts::instance();
  if (!artifacts.config().run_id_shared) return {};
  const auto dir = artifacts.runDir() / e2e::kGtestResultsFolder;
  std::filesystem::create_directories(dir);
  const auto binary = std::filesystem::path(argv0).filename().string();
  auto file = dir / fmt::format("{}.{}.xml", binary, ::getpid());
  ::testing::GTEST_FLAG(output) = "xml:" + file.string();
  return file;
}

// GoogleTest's exit code made to tell skips apart: kExitSkipped when no test failed and at
// least one was skipped, by GTEST_SKIP or by an e2e::Unavailable the skip listener turned
// into a skip (ctest's SKIP_RETURN_CODE shows the entry as skipped, whether it ran one test
// or a whole binary), with each skipped test and its reason printed.
int exitCode(int gtest_code) {
  const auto& unit = *::testing::UnitTest::GetInstance();
  if (gtest_code != 0 || unit.skipped_test_count() == 0) return gtest_code;
  std::printf("e2e: %d of %d test(s) skipped, none failed (exit code %d):\n", unit.skipped_test_count(),
              unit.test_to_run_count(), e2e::kExitSkipped);
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const auto* suite = unit.GetTestSuite(s);
    for (int t = 0; t < suite->total_test_count(); ++t) {
      const auto* info = suite->GetTestInfo(t);
      if (!info->should_run() || !info->result()->Skipped()) continue;
      std::string reason;
      for (int p = 0; p < info->result()->total_part_count(); ++p) {
        const auto& part = info->result()->GetTestPartResult(p);
        if (part.skipped()) reason += part.message();
      }
      std::printf("e2e: skipped %s.%s: %s\n", suite->name(), info->name(),
                  reason.empty() ? "(no reason given)" : reason.c_str());
    }
  }
  std::fflush(stdout);
  return e2e::kExitSkipped;
}

}  // namespace

// GoogleTest main for every test binary of the project and of its users: ends what an
// earlier crashed run left behind (processes whose test process is gone), takes
// `--env NAME|PATH` off the command line (GoogleTest would reject it), then installs the
// artifacts listener (per-test folders, log tails of failed tests, JUnit properties) and
// the listener that reports a test skipped when an e2e::Unavailable escapes it.
// Exits 0 all passed, 1 a test failed, e2e::kExitSkipped (77) none failed and some skipped.
int main(int argc, char** argv) {
  // A peer that hangs up must be an error, not a death: cpp-httplib writes without
  // MSG_NOSIGNAL, and the tests run loopback servers in-process.
  std::signal(SIGPIPE, SIG_IGN);
  std::filesystem::path results;
  try {
    for (const auto& note : e2e::ProcessRegistry::reap().notes) {
      std::fprintf(stderr, "reaper: %s\n", note.c_str());
    }
    e2e::consumeEnvFlag(argc, argv);
    // Before GoogleTest reads its flags: it sets up its XML output there, and an explicit
    // --gtest_output still wins.
    results = writeResultsIntoTheRunFolder(argc > 0 ? argv[0] : "test");
    ::testing::InitGoogleTest(&argc, argv);
    if (::testing::GTEST_FLAG(output) != "xml:" + results.string()) results.clear();
    e2e::installArtifactsListener();
    e2e::installSkipUnavailableListener();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "test", e.what());
    return 2;
  }
  const int code = RUN_ALL_TESTS();
  // Failure messages may quote a secret the tests registered.
  try {
    if (!results.empty() && std::filesystem::exists(results)) e2e::redactFileInPlace(results);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return exitCode(code);
}
