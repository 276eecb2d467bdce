#pragma once
// Test helpers: run a test binary as a child (e2e::runCommand, output in a file, killed at
// the deadline), read a file, and a temporary folder that cleans up after itself.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/process/child_process.hpp"
#include "tests/support/files.hpp"

namespace e2e::testing {

struct BinaryRun {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr interleaved
};

// env: set (value) or removed (nullopt) on top of this process's environment. The output
// file is replaced. Throws WaitTimeout (the child killed) when budget passes.
inline BinaryRun runBinary(const std::filesystem::path& program, const std::vector<std::string>& args,
                           const std::map<std::string, std::optional<std::string>>& env,
                           const std::filesystem::path& output_file, Clock::duration budget) {
  ChildProcessConfig config{.name = program.filename().string(), .executable = program, .args = args,
                            .log_path = output_file};
  for (const auto& [key, value] : env) {
    if (value) {
      config.env[key] = *value;
    } else {
      config.unset_env.push_back(key);
    }
  }
  std::error_code ec;
  std::filesystem::remove(output_file, ec);
  CommandResult result = runCommand(std::move(config), Deadline::after(budget));
  return {.exit_code = result.status.kind == ExitStatus::Kind::kExited ? result.status.code : -1,
          .output = std::move(result.output)};
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
