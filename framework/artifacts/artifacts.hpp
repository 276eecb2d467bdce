#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "framework/artifacts/log_writer.hpp"
#include "framework/artifacts/redactor.hpp"

namespace e2e {

// Where a run's evidence goes: <root>/<run id>/<Suite.Test>/.
//
// ctest starts one process per test. Each process makes its own run id (UTC time + pid)
// unless the runner sets BNET_E2E_RUN_ID, in which case every process of that ctest run
// writes into the one run folder. Files written outside a test go to `_global` (or to
// `_global-<pid>` when the run folder is shared, so that processes never write one file).
struct ArtifactsConfig {
  std::filesystem::path root = "artifacts";  // made absolute by Artifacts
  std::string run_id;                         // empty: UTC timestamp + pid, made once
  bool run_id_shared = false;                 // run_id came from the runner (BNET_E2E_RUN_ID)
  bool keep_on_success = false;               // false: a passing test's folder is removed
  std::size_t tail_lines = 40;                // lines per log printed for a failed test

  // root = BNET_E2E_ARTIFACTS or ./artifacts; run_id = BNET_E2E_RUN_ID or made here;
  // keep_on_success = BNET_E2E_KEEP_ARTIFACTS set and not "0". Throws std::invalid_argument
  // when BNET_E2E_RUN_ID is not a plain folder name.
  static ArtifactsConfig fromEnvironment();
};

enum class ArtifactKind { kLog, kFile };

struct ArtifactEntry {
  std::filesystem::path path;
  std::string label;           // property artifact_<label> in the JUnit XML
  ArtifactKind kind = ArtifactKind::kLog;
  std::uintmax_t from_offset = 0;  // where this test's part of the file starts
};

// What endTest() found for one test.
struct TestArtifacts {
  std::string test_name;
  std::filesystem::path dir;           // the test's folder (may not exist)
  bool kept = false;                   // false: the folder was pruned
  std::vector<ArtifactEntry> entries;  // still on disk: the test's own files, grown global logs
  std::string report;                  // failed tests: each log's tail, redacted; else empty
};

// The artifacts of this process. Thread-safe; folders are created on first use only, so a
// test binary run with --gtest_list_tests leaves nothing behind.
class Artifacts {
 public:
  // The process-wide instance, built from ArtifactsConfig::fromEnvironment() on first use
  // (throws std::invalid_argument then if BNET_E2E_RUN_ID is bad).
  static Artifacts& instance();

  explicit Artifacts(ArtifactsConfig config, Redactor& redactor = Redactor::instance());
  Artifacts(const Artifacts&) = delete;
  Artifacts& operator=(const Artifacts&) = delete;

  const ArtifactsConfig& config() const { return config_; }
  const std::string& runId() const { return config_.run_id; }
  Redactor& redactor() const { return *redactor_; }

  // <root>/<run>, created. Throws std::filesystem::filesystem_error when it cannot be made.
  std::filesystem::path runDir();
  // The running GoogleTest test's folder <run>/<Suite.Test> (or the global one), created.
  std::filesystem::path testDir();
  // testDir()/name with its parent folders created. name is relative and has no "..";
  // throws std::invalid_argument otherwise.
  std::filesystem::path path(std::string_view name);
  // path(name), registered as a log under label (default: the file's stem). For a child
  // that writes its own log: pass the result as the child's log path.
  std::filesystem::path logPath(std::string_view name, std::string_view label = {});
  // Writes content (redacted) to path(name), replacing the file; records it under label.
  std::filesystem::path writeFile(std::string_view name, std::string_view content,
                                  std::string_view label = {});
  // Writes content (redacted) to runDir()/name atomically (temp file + rename); not per test.
  std::filesystem::path writeRunFile(std::string_view name, std::string_view content);
  // Opens path(name) as a redacting log (appending) and registers it under label.
  std::shared_ptr<RedactingLogWriter> openLog(std::string_view name, std::string_view label = {});
  // Registers a log file written elsewhere (a child, the VM console). Inside a test it
  // belongs to that test; outside one it is global and its growth is reported per test.
  void registerLog(const std::filesystem::path& path, std::string_view label);

  // Test lifecycle (the GoogleTest listener calls these; a custom main may too).
  // beginTest remembers how long each global log is, so a failure shows only this test's part.
  void beginTest(const std::string& test_name);
  // Redacts the test's files in place, builds the failure report (failed only), prunes a
  // passing test's folder unless keep_on_success. Never throws; problems go in the report.
  TestArtifacts endTest(const std::string& test_name, bool failed);
  // Redacts the global logs in place (their writers have stopped by then). Never throws.
  void endProgram();

  // The folder name of a test: "Suite.Test" with characters outside [A-Za-z0-9._-] as '_'.
  static std::string folderName(std::string_view test_name);

 private:
  struct Registered {
    ArtifactEntry entry;
    std::string owner;  // test name, empty for global
  };
  std::string currentTest() const;
  std::filesystem::path dirFor(const std::string& owner);  // mu_ held
  void record(ArtifactEntry entry, std::string owner);       // mu_ held

  ArtifactsConfig config_;
  Redactor* redactor_;
  std::mutex mu_;
  std::vector<Registered> registered_;
  std::map<std::filesystem::path, std::uintmax_t> global_offsets_;  // at beginTest
};

// The last max_lines lines of the part of a file from from_offset on. Reads at most the
// last 64 KiB (plus the rest of the first line, so a secret is never cut in half), and
// returns it redacted. Empty when the file is missing.
std::string fileTail(const std::filesystem::path& path, std::size_t max_lines,
                     std::uintmax_t from_offset = 0, const Redactor& redactor = Redactor::instance());

}  // namespace e2e
