#pragma once
// The environment `bnet-e2e up` left running, as the commands that attach to it (ssh, logs,
// console) find it: through its state file.
#include <filesystem>
#include <string>
#include <vector>

#include "fixtures/testbed/testbed.hpp"

namespace bnet::cli {

struct RunningEnvironment {
  std::filesystem::path state_file;
  TestbedState state;
};

// Where `up` keeps the state files by default: $BNET_E2E_STATE_DIR, else /tmp/bnet-e2e-state.
std::filesystem::path stateDir();

// The state file: state_option, else $BNET_E2E_STATE, else
// ${BNET_E2E_STATE_DIR:-/tmp/bnet-e2e-state}/env-<name>.json with the name from env_option,
// $BNET_E2E_ENV or "local" (a path is loaded to read its name). Reads nothing else.
std::filesystem::path stateFileFor(const std::string& state_option, const std::string& env_option);

// Reads the state of a running environment. Throws CommandError(kExitFailed) when it is not
// up (no file), cannot run here (the reason), or its holder is gone.
RunningEnvironment findRunningEnvironment(const std::string& state_option, const std::string& env_option);

// The system ssh client's arguments (argv[0] "ssh") for the builder VM: the project's key,
// the state's port and user, and strict host key checking against the key pinned at `up`.
// batch: no prompts (BatchMode), for commands run without a person. Throws CommandError
// (kExitFailed) when there is no SSH endpoint or no pinned host key to check against.
std::vector<std::string> sshArgs(const TestbedState& state, bool batch);

}  // namespace bnet::cli
