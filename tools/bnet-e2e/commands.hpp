#pragma once
// bnet-e2e subcommands: one file each, each adding itself to the app (or to its group).
// A subcommand reports failure by throwing CommandError (its exit code and message).
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/bnet-e2e/report/report.hpp"

namespace bnet::cli {

// Exit codes: 0 done, 1 failed while working (hub error, I/O, tests failed), 2 bad input
// (also bad arguments), 3 refused by policy (production environment, allow-any
// measurement outside dev).
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitRefused = 3;
// The footer of every --help.
inline constexpr const char* kExitCodesFooter =
    "Exit codes: 0 done; 1 failed while working (not up, I/O, a hub error, tests failed); 2 bad input or "
    "arguments; 3 refused by policy (production environment, allow-any measurement outside dev). "
    "`ssh -- COMMAND` exits with COMMAND's code.";

// Whether skips fail a run of the environment env_option names (empty: $BNET_E2E_ENV or
// local): its must_run_here and BNET_E2E_ALLOW_SKIPS (summary_command.cpp). Throws
// CommandError (bad input) for an unknown environment or a bad BNET_E2E_ALLOW_SKIPS.
report::SummaryPolicy summaryPolicy(const std::string& env_option);

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
// `bnet-e2e ssh | logs | console` into the running environment (attach_commands.cpp).
void addAttachCommands(CLI::App& app);
// `bnet-e2e image build --twin | --real` (image_command.cpp).
void addImageCommand(CLI::App& app);
// `bnet-e2e run [SUITE...] [--env NAME] [-- CTEST_ARGS...]`; main hands over what follows
// `--` (run_command.cpp).
void addRunCommand(CLI::App& app, std::vector<std::string> ctest_args);
// `bnet-e2e redact PATH... [--state FILE]... [--env NAME] [--forget]` (redact_command.cpp).
void addRedactCommand(CLI::App& app);
// `bnet-e2e report RUN_DIR [--compare PREV_RUN_DIR] [-o FILE]` (report_command.cpp).
void addReportCommand(CLI::App& app);
// `bnet-e2e summary RUN_DIR [--junit FILE] [--env NAME]` and `bnet-e2e merge OUT SHARD...`
// (summary_command.cpp).
void addSummaryCommands(CLI::App& app);

}  // namespace bnet::cli
