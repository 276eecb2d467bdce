#pragma once
// Runs one long child program of a CLI step (ensure.sh, mkosi, ctest) with its output fed
// line by line to the caller, the progress line ticking, and Ctrl-C / SIGTERM passed on.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "framework/process/child_process.hpp"
#include "tools/bnet-e2e/progress.hpp"

namespace bnet::cli {

struct StepCommand {
  std::vector<std::string> argv;              // argv[0] looked up on PATH
  std::map<std::string, std::string> env;     // set on top of this process's environment
  std::filesystem::path working_dir;          // empty: ours
};

// Blocks until the program exits; each output line (without its newline) goes to on_line
// with from_stderr set for stderr. Ticks progress about once a second. SIGINT, SIGTERM or
// SIGHUP to this process is passed to the program as SIGTERM and the wait goes on (it
// ends when the program does). Throws CommandError(kExitFailed) if it cannot start.
e2e::ExitStatus runStep(const StepCommand& command, Progress& progress,
                        const std::function<void(std::string_view line, bool from_stderr)>& on_line);


}  // namespace bnet::cli
