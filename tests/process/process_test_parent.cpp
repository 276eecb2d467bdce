// A stand-in "test process" for ChildProcess tests: starts a child (which starts a
// grandchild in the same group) owning the folder argv[2] if given, writes both pids to the
// file named by argv[1], then sleeps until it is killed. The tests SIGKILL this process
// (and, to simulate a power cut, its guardian) and check what is left.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "framework/process/child_process.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string pid_file = argv[1];
  std::vector<std::filesystem::path> owned;
  if (argc > 2) owned.emplace_back(argv[2]);
  auto child = e2e::ChildProcess::start({
      .name = "sleeper",
      .executable = "sh",
      .args = {"-c", "sleep 300 & echo $! > " + pid_file + ".grandchild; wait"},
      .log_path = pid_file + ".log",
      .owned_paths = owned,
  });
  {
    std::ofstream out(pid_file + ".tmp");
    out << child.pid() << "\n";
  }
  ::rename((pid_file + ".tmp").c_str(), pid_file.c_str());
  std::this_thread::sleep_for(std::chrono::minutes(5));
  return 0;
}
