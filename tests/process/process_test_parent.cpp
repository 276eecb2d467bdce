// A stand-in "test process" for ChildProcess tests: starts a child (which starts a
// grandchild in the same group), writes both pids to the file named by argv[1], then
// sleeps until it is killed. The test SIGKILLs this process and checks both are gone.
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "framework/process/child_process.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::string pid_file = argv[1];
  auto child = e2e::ChildProcess::start({
      .name = "sleeper",
      .executable = "sh",
      .args = {"-c", "sleep 300 & echo $! > " + pid_file + ".grandchild; wait"},
      .log_path = pid_file + ".log",
  });
  {
    std::ofstream out(pid_file + ".tmp");
    out << child.pid() << "\n";
  }
  ::rename((pid_file + ".tmp").c_str(), pid_file.c_str());
  std::this_thread::sleep_for(std::chrono::minutes(5));
  return 0;
}
