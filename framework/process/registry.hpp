#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace e2e {

// One child process the framework started, as recorded on disk so that a later run (or
// `bnet-e2e down --all`) can end what a crashed run left behind. Start times (clock ticks
// since boot, /proc/<pid>/stat field 22) guard against pid reuse.
struct ProcessRecord {
  std::string run_id;
  pid_t owner_pid = 0;
  std::uint64_t owner_start_ticks = 0;
  pid_t pid = 0;  // also the process group id
  std::uint64_t start_ticks = 0;
  std::string name;
  std::string command;
  std::vector<std::filesystem::path> owned_paths;
  std::filesystem::path record_path;  // where this record lives (filled by list())
};

// The start time of a live (non-zombie) process, or 0 if there is none with that pid.
std::uint64_t processStartTicks(pid_t pid);
// The current run id: BNET_E2E_RUN_ID, else "pid-<this process>".
std::string currentRunId();

struct ReapResult {
  int records = 0;         // records looked at
  int killed = 0;          // processes killed
  int removed_paths = 0;   // owned files and folders removed
  std::vector<std::string> notes;  // one line per action, for the CLI to print
};

// Records live in BNET_E2E_STATE_DIR/processes (default /tmp/bnet-e2e-state/processes).
class ProcessRegistry {
 public:
  static std::filesystem::path directory();
  // Writes a record atomically; returns its path.
  static std::filesystem::path add(const ProcessRecord& record);
  static void remove(const std::filesystem::path& record_path);
  // Every readable record; unreadable ones are reported in notes by reap and skipped here.
  static std::vector<ProcessRecord> list();
  // Ends the processes (whole groups) and removes the owned paths of every record whose
  // owner process is gone; with include_live_owners, of every record (`down --all`).
  // Never touches a process whose start time differs from the record's.
  static ReapResult reap(bool include_live_owners = false);
};

}  // namespace e2e
