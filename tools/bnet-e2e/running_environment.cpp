#include "tools/bnet-e2e/running_environment.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "fixtures/environment/environment.hpp"
#include "framework/artifacts/redact_tree.hpp"
#include "framework/env/selection.hpp"
#include "framework/fs/fs.hpp"
#include "framework/process/registry.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "tools/bnet-e2e/commands.hpp"

namespace bnet::cli {

namespace fs = std::filesystem;

fs::path stateDir() {
  const char* dir = std::getenv("BNET_E2E_STATE_DIR");
  return dir && *dir ? fs::path(dir) : fs::path("/tmp/bnet-e2e-state");
}

fs::path stateFileFor(const std::string& state_option, const std::string& env_option) {
  if (!state_option.empty()) return fs::absolute(state_option);
  if (const char* s = std::getenv("BNET_E2E_STATE"); s && *s) return fs::absolute(s);
  std::string env = env_option;
  if (env.empty()) {
    const char* e = std::getenv("BNET_E2E_ENV");
    env = e && *e ? e : "local";
  }
  std::string name = env;
  if (env.find('/') != std::string::npos || env.ends_with(".json")) {
    try {
      name = Environment::load(e2e::resolveEnvironmentPath(env)).name;
    } catch (const std::exception& e) {
      throw CommandError(kExitBadInput, fmt::format("--env {}: {}", env, e.what()));
    }
  }
  return stateDir() / fmt::format("env-{}.json", name);
}

fs::path redactionFileFor(const fs::path& state_file) {
  fs::path file = state_file;
  file += ".redact";
  return file;
}

std::vector<std::string> registerRunSecrets(const fs::path& state_file) {
  std::vector<std::string> notes;
  std::string environment;
  std::vector<std::string> secrets;
  std::error_code ec;
  try {
    if (fs::exists(state_file, ec)) {
      auto state = TestbedState::read(state_file);
      environment = state.environment;
      secrets = state.secrets;
    } else if (fs::exists(redactionFileFor(state_file), ec)) {
      auto j = nlohmann::json::parse(e2e::readFile(redactionFileFor(state_file)));
      environment = j.at("environment").get<std::string>();
      secrets = j.at("secrets").get<std::vector<std::string>>();
    } else {
      notes.push_back(fmt::format("no state {} (nor {}): only the environment's secrets are known", state_file.string(),
                                  redactionFileFor(state_file).filename().string()));
    }
  } catch (const std::exception&) {
    // A parse error may quote the file: say where, not what.
    notes.push_back(fmt::format("the secrets of {} could not be read", state_file.string()));
  }
  TestbedState known;
  known.environment = environment;
  known.secrets = std::move(secrets);
  auto more = registerRunSecrets(known);
  notes.insert(notes.end(), more.begin(), more.end());
  return notes;
}

std::vector<std::string> registerRunSecrets(const TestbedState& state) {
  std::vector<std::string> notes;
  for (const auto& secret : state.secrets) e2e::Redactor::instance().registerSecret(secret);
  if (!state.environment.empty()) {
    try {
      Environment::load(state.environment);  // registers its secrets
    } catch (const std::exception& e) {
      notes.push_back(fmt::format("environment {} not loaded: {}", state.environment, e.what()));
    }
  }
  return notes;
}

std::vector<std::string> registerEnvironmentSecrets(const std::string& env_option) {
  std::string env = env_option;
  if (env.empty()) {
    const char* e = std::getenv("BNET_E2E_ENV");
    env = e && *e ? e : "local";
  }
  try {
    Environment::load(e2e::resolveEnvironmentPath(env));  // registers its secrets
    return {};
  } catch (const std::exception& e) {
    return {fmt::format("environment {} not loaded: {}", env, e.what())};
  }
}

std::vector<fs::path> stateFilesIn(const fs::path& dir) {
  std::set<fs::path> states;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".json")) states.insert(entry.path());
    if (name.ends_with(".json.redact")) states.insert(entry.path().parent_path() / name.substr(0, name.size() - 7));
  }
  return {states.begin(), states.end()};
}

void redactAndReport(const std::vector<fs::path>& paths, const std::string& who) {
  for (const auto& path : paths) {
    auto result = e2e::redactTree(path);
    fmt::print("{}: redacted {}: {} text file(s), {} rewritten, {} binary left alone\n", who, path.string(),
               result.text_files, result.changed, result.binary);
    for (const auto& error : result.errors) fmt::print("{}: could not redact {}\n", who, error);
  }
  std::fflush(stdout);
}

RunningEnvironment findRunningEnvironment(const std::string& state_option, const std::string& env_option) {
  RunningEnvironment running{.state_file = stateFileFor(state_option, env_option)};
  std::error_code ec;
  if (!fs::exists(running.state_file, ec)) {
    throw CommandError(kExitFailed, fmt::format("no environment is up (no state file {}); start one with `bnet-e2e up`",
                                                running.state_file.string()));
  }
  try {
    running.state = TestbedState::read(running.state_file);
  } catch (const std::exception& e) {
    throw CommandError(kExitFailed, e.what());
  }
  const auto& s = running.state;
  if (!s.unavailable.empty()) throw CommandError(kExitFailed, fmt::format("the environment cannot run here: {}", s.unavailable));
  if (s.holder_pid <= 0 || s.holder_start_ticks == 0 || e2e::processStartTicks(s.holder_pid) != s.holder_start_ticks) {
    throw CommandError(kExitFailed, fmt::format("the environment's holder (pid {}) is gone; run `bnet-e2e down` to clean up",
                                                s.holder_pid));
  }
  for (const auto& secret : s.secrets) e2e::Redactor::instance().registerSecret(secret);
  return running;
}

std::vector<std::string> sshArgs(const TestbedState& state, bool batch) {
  if (state.ssh_port <= 0 || state.ssh_host.empty()) {
    throw CommandError(kExitFailed, "the running environment has no SSH endpoint for its builder");
  }
  std::error_code ec;
  if (state.ssh_known_hosts.empty() || fs::file_size(state.ssh_known_hosts, ec) == 0 || ec) {
    throw CommandError(kExitFailed,
                       fmt::format("no pinned host key for the builder ({}): refusing to connect without host key checking",
                                   state.ssh_known_hosts.empty() ? "the state names no known_hosts file"
                                                                 : state.ssh_known_hosts.string() + " is missing or empty"));
  }
  fs::path identity = state.ssh_identity.empty() ? e2e::defaultSshKeyPath() : state.ssh_identity;
  if (!fs::exists(identity, ec)) throw CommandError(kExitFailed, fmt::format("the SSH key {} does not exist", identity.string()));
  std::vector<std::string> args = {"ssh",
                                   "-i", identity.string(),
                                   "-p", std::to_string(state.ssh_port),
                                   "-o", "IdentitiesOnly=yes",
                                   "-o", "UserKnownHostsFile=" + state.ssh_known_hosts.string(),
                                   "-o", "GlobalKnownHostsFile=/dev/null",
                                   "-o", "StrictHostKeyChecking=yes",
                                   "-o", "UpdateHostKeys=no",
                                   "-o", "LogLevel=ERROR"};
  if (batch) {
    args.insert(args.end(), {"-o", "BatchMode=yes", "-o", "ConnectTimeout=20"});
  }
  args.push_back(fmt::format("{}@{}", state.ssh_user.empty() ? "bnet" : state.ssh_user, state.ssh_host));
  return args;
}

}  // namespace bnet::cli
