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

// What `down` keeps of a state file for the run's last step (`bnet-e2e redact --state`):
// the environment file and the secret values, mode 0600, next to the state file.
std::filesystem::path redactionFileFor(const std::filesystem::path& state_file);

// Registers with the process's Redactor the secrets a run may have left in its files: the
// state's (or, once it is down, its redaction file's) and those of the environment it names.
// Returns notes on what could not be read (never a value).
std::vector<std::string> registerRunSecrets(const std::filesystem::path& state_file);
// The same for a state already read (`down` reads it before the holder, stopping, removes
// the file).
std::vector<std::string> registerRunSecrets(const TestbedState& state);

// Registers with the process's Redactor the secrets of the environment env_option names
// (else $BNET_E2E_ENV, else local). Returns a note when it cannot be loaded (never a value).
std::vector<std::string> registerEnvironmentSecrets(const std::string& env_option);

// The testbed states in a folder (<build>/e2e-state): each *.json, and each state that is down
// but whose redaction file (*.json.redact) the run's last step has not taken yet.
std::vector<std::filesystem::path> stateFilesIn(const std::filesystem::path& dir);

// Redacts every text file under each path with the process's Redactor (e2e::redactTree)
// and prints one line per path under `who`: files looked at, rewritten, left alone as
// binary, and each problem. Never prints a value.
void redactAndReport(const std::vector<std::filesystem::path>& paths, const std::string& who);

// The system ssh client's arguments (argv[0] "ssh") for the builder VM: the project's key,
// the state's port and user, and strict host key checking against the key pinned at `up`.
// batch: no prompts (BatchMode), for commands run without a person. Throws CommandError
// (kExitFailed) when there is no SSH endpoint or no pinned host key to check against.
std::vector<std::string> sshArgs(const TestbedState& state, bool batch);

}  // namespace bnet::cli
