#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace e2e {

// Which environment file a run uses: `--env NAME|PATH` on the test binary's command line,
// else BNET_E2E_ENV, else kDefaultEnvironment.
inline constexpr std::string_view kDefaultEnvironment = "local";

struct EnvSelection {
  std::string name_or_path;
  std::string source;  // "--env", "BNET_E2E_ENV" or "default", for messages
};

// Removes "--env NAME" / "--env=NAME" from argv and returns NAME (the last one given).
// Throws std::invalid_argument when --env has no value.
std::optional<std::string> takeEnvFlag(int& argc, char** argv);
// takeEnvFlag, remembering the value for selectedEnvironment(). The shared test main calls
// this before GoogleTest parses its flags.
void consumeEnvFlag(int& argc, char** argv);
EnvSelection selectedEnvironment();

// BNET_E2E_ENV_DIR, else the source tree's environments/ (when it exists), else the
// installed copy (<datadir>/bnet-e2e/environments).
std::filesystem::path environmentsDir();
// The source tree's environments/ (when it exists), else the installed copy; ignores
// BNET_E2E_ENV_DIR.
std::filesystem::path builtinEnvironmentsDir();
// A value holding '/' or ending in ".json" is a path, used as is; a NAME is
// environmentsDir()/NAME.json. Throws std::invalid_argument when the file does not exist
// (naming the place looked in and the environments found there).
std::filesystem::path resolveEnvironmentPath(std::string_view name_or_path);

// The user's explicit permission for tests to skip in an environment that must run here
// (Environment::must_run_here): BNET_E2E_ALLOW_SKIPS=1. Unset, empty or "0": not allowed.
// Throws std::invalid_argument for any other value, naming the variable.
inline constexpr std::string_view kAllowSkipsVariable = "BNET_E2E_ALLOW_SKIPS";
bool skipsAllowed();

}  // namespace e2e
