#pragma once
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "framework/wait/eventually.hpp"

namespace e2e {

// How a child ended, as people say it: "exited with code 3", "killed by signal 9 (SIGKILL)".
struct ExitStatus {
  enum class Kind { kExited, kSignaled };
  Kind kind = Kind::kExited;
  int code = 0;    // exit code when kExited
  int signal = 0;  // signal number when kSignaled
  bool success() const { return kind == Kind::kExited && code == 0; }
  std::string describe() const;
  static ExitStatus fromWaitStatus(int wait_status);
};

// Setup error of a child: names the program, its arguments and its log.
class ProcessError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ChildProcessConfig {
  std::string name;                           // short name for messages and the default log
  std::filesystem::path executable;           // absolute path, or a name looked up on PATH
  std::vector<std::string> args;              // arguments after argv[0]
  std::map<std::string, std::string> env;     // set on top of the inherited environment
  std::vector<std::string> unset_env;         // removed from the inherited environment
  bool inherit_env = true;
  std::filesystem::path working_dir;          // empty: the parent's
  std::filesystem::path log_path;             // stdout+stderr from the first byte; empty:
                                              // <test artifacts>/<name>.log, registered
  int stop_signal = SIGTERM;                  // what stop() sends first (SIGINT for some CLIs)
  std::chrono::milliseconds stop_grace{5000};  // between stop_signal and SIGKILL
  // Files and folders that belong to this process (overlays, sockets, temp dirs): removed
  // when it is stopped, and by the reaper if the run that started it crashed.
  std::vector<std::filesystem::path> owned_paths;
};

// Owns one child process: its own process group, output to a log file from the first byte,
// killed with the whole group when this object is destroyed or when the owning process
// dies (even by SIGKILL: a per-process guardian kills every live group). Not copyable.
class ChildProcess {
 public:
  // Starts the program; throws ProcessError (program not found, exec failed) naming it.
  static ChildProcess start(ChildProcessConfig config);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // stop()

  pid_t pid() const { return pid_; }
  const std::string& name() const { return config_.name; }
  const std::filesystem::path& logPath() const { return config_.log_path; }
  const ChildProcessConfig& config() const { return config_; }

  // Non-blocking: reaps the child if it has exited.
  bool running();
  std::optional<ExitStatus> exitStatus();

  // Sends sig to the whole process group (no-op once reaped).
  void signal(int sig);
  // stop_signal to the group, grace, SIGKILL to the group, reap. Idempotent; never throws.
  ExitStatus stop();
  ExitStatus stop(std::chrono::milliseconds grace);
  // Blocks until the child exits; throws WaitTimeout naming the process at the deadline.
  ExitStatus wait(const Deadline& deadline);

  // The last max_lines lines of the log, secrets redacted (for failure messages).
  std::string logTail(std::size_t max_lines = 40) const;
  // The whole log so far.
  std::string logText() const;

 private:
  ChildProcess() = default;
  void reapGroup();
  ChildProcessConfig config_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  bool group_released_ = true;
  std::filesystem::path record_;  // this child's entry in the ProcessRegistry
};

// Runs a short command to completion: output captured to its log and returned.
struct CommandResult {
  ExitStatus status;
  std::string output;  // stdout and stderr interleaved
};
// Throws WaitTimeout (the child is killed) if it does not finish by the deadline.
CommandResult runCommand(ChildProcessConfig config, const Deadline& deadline);

// Races three outcomes: the probe says done (returns), the process exits (throws WaitFailed
// "<what>: <name> exited with code 1 before it was ready; log <path>: <tail>"), the
// deadline passes (WaitTimeout with the last observation). A fatal log line (a substring in
// fatal_log_patterns) fails at once too.
struct ReadyOptions {
  std::vector<std::string> fatal_log_patterns;
  WaitOptions wait{.first_interval = std::chrono::milliseconds(10),
                   .max_interval = std::chrono::milliseconds(250)};
};
void waitForReady(ChildProcess& child, std::string_view what, const Deadline& deadline,
                  const std::function<Attempt()>& probe, const ReadyOptions& options = {});

// Looks a program up on PATH (or returns it if it contains a slash); nullopt if missing.
std::optional<std::filesystem::path> findProgram(std::string_view name);

}  // namespace e2e
