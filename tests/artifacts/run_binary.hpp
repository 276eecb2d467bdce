#pragma once
// Test helper: runs a test binary as a child with its output in a file, bounded by a
// deadline (killed and reaped when it passes). Used until e2e::runCommand is available.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "framework/wait/eventually.hpp"

extern char** environ;

namespace e2e::testing {

struct BinaryRun {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr interleaved
};

// env: set (value) or removed (nullopt) on top of this process's environment.
inline BinaryRun runBinary(const std::filesystem::path& program, const std::vector<std::string>& args,
                           const std::map<std::string, std::optional<std::string>>& env,
                           const std::filesystem::path& output_file, Clock::duration budget) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (env.count(key) == 0) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) {
    if (v) env_strings.push_back(k + "=" + *v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{program.string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(fmt::format("spawn {}: {}", program.string(), std::strerror(rc)));

  int status = 0;
  try {
    eventually(fmt::format("{} to exit", program.filename().string()), budget, [&] {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      return Attempt::check(r == pid, "still running");
    });
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    throw;
  }
  BinaryRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(output_file);
  std::stringstream ss;
  ss << in.rdbuf();
  run.output = ss.str();
  return run;
}

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh folder under the system temp dir, removed with its content when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bnet-e2e-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace e2e::testing
