#pragma once
// bnet-e2e subcommands: one file each, each adding itself to the app (or to its group).
// A subcommand reports failure by throwing CommandError (its exit code and message).
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace bnet::cli {

// Exit codes: 0 done, 1 failed while working (hub error, I/O), 2 bad input, 3 refused by
// policy (production environment, allow-any measurement outside dev).
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitRefused = 3;

class CommandError : public std::runtime_error {
 public:
  CommandError(int exit_code, std::string message) : std::runtime_error(std::move(message)), exit_code_(exit_code) {}
  int exitCode() const { return exit_code_; }

 private:
  int exit_code_;
};

// `bnet-e2e measure IMAGE_DIR` (measure_command.cpp).
void addMeasureCommand(CLI::App& app);
// `bnet-e2e hub allow ...` under the `hub` group (hub_allow_command.cpp).
void addHubAllowCommand(CLI::App& hub);
// `bnet-e2e up | down [--all] | status` (environment_commands.cpp).
void addEnvironmentCommands(CLI::App& app);
// `bnet-e2e report RUN_DIR [--compare PREV_RUN_DIR] [-o FILE]` (report_command.cpp).
void addReportCommand(CLI::App& app);

}  // namespace bnet::cli
