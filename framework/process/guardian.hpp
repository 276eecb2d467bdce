#pragma once
#include <sys/types.h>

namespace e2e {

// One small process per test process that kills every live child process group when the
// test process dies, however it dies (SIGKILL included): it waits for EOF on a socket whose
// only writer is the test process. Children register themselves between fork and exec, so
// there is no window in which a child exists unregistered. Internal to ChildProcess.
class Guardian {
 public:
  static Guardian& instance();  // forks the guardian on first use
  int writeFd() const { return fd_; }
  // Async-signal-safe: called in the child after fork, before exec.
  static void registerFromChild(int fd, pid_t pgid);
  // The group's leader has been reaped: forget it.
  void release(pid_t pgid);
  pid_t pid() const { return pid_; }

 private:
  Guardian();
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace e2e
