// bnet-e2e redact: the run's last step masks, in files written after the test processes
// ended (ctest's JUnit, its copy in the run folder) or left unredacted by one that was
// killed, every secret the run knew: the environment's and each testbed state's.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/running_environment.hpp"

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;

struct RedactOptions {
  std::vector<std::string> paths;
  std::vector<std::string> states;
  std::string env;
  bool forget = false;
};

void run(const RedactOptions& o) {
  for (const auto& note : registerEnvironmentSecrets(o.env)) fmt::print("redact: {}\n", note);
  for (const auto& state : o.states) {
    for (const auto& note : registerRunSecrets(fs::absolute(state))) fmt::print("redact: {}\n", note);
  }
  std::vector<fs::path> paths(o.paths.begin(), o.paths.end());
  redactAndReport(paths, "redact");
  if (o.forget) {
    for (const auto& state : o.states) {
      std::error_code ec;
      fs::remove(redactionFileFor(fs::absolute(state)), ec);
    }
  }
}

}  // namespace

void addRedactCommand(CLI::App& app) {
  auto options = std::make_shared<RedactOptions>();
  auto* cmd = app.add_subcommand(
      "redact", "mask in place every secret of the environment and of the given testbed states in files and folders");
  cmd->add_option("PATH", options->paths, "files or folders (every text file under a folder)")->required();
  cmd->add_option("--state", options->states,
                  "a testbed state file (repeatable); once it is down, the redaction file `down` left beside it")
      // One file per --state: a vector option would otherwise take the PATHs after it as
      // states too, leaving only the last one (CLI11 keeps that one for the required PATH).
      ->allow_extra_args(false);
  cmd->add_option("--env", options->env, "environment NAME or PATH whose secrets to mask (default: $BNET_E2E_ENV or local)");
  cmd->add_flag("--forget", options->forget, "remove the redaction files of the given states afterwards");
  cmd->callback([options] { run(*options); });
}

}  // namespace bnet::cli
