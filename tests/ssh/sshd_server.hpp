#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "framework/process/child_process.hpp"
#include "framework/wait/deadline.hpp"

namespace e2e::testing {

// Runs a short program (argv[0] an absolute path) with e2e::runCommand and returns its
// output; throws std::runtime_error with the output when it exits non-zero.
std::string runProgram(const std::vector<std::string>& argv);

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A real OpenSSH server on a loopback port, with its own host key, sshd_config,
// authorized_keys and pid file in a folder of the test. Stopped (with every process it
// forked, including per-connection children that sshd puts in their own sessions) by
// stop() or the destructor.
struct SshdConfig {
  std::filesystem::path dir;                     // required; created if missing
  int port = 0;                                  // 0: a free loopback port
  std::string authorized_key;                    // an OpenSSH public key line
  std::chrono::milliseconds start_delay{0};      // exec sshd this much later (not waited for)
  std::chrono::milliseconds ready_timeout{10000};
  std::vector<std::string> extra_config;         // more sshd_config lines, e.g. "SetEnv ..."
};

class SshdServer {
 public:
  // Generates a host key in dir if there is none, writes the config and starts sshd; waits
  // for "Server listening" unless start_delay is set. Throws std::runtime_error with the log.
  static SshdServer start(SshdConfig config);

  SshdServer(SshdServer&& other) noexcept = default;
  SshdServer& operator=(SshdServer&&) = delete;
  SshdServer(const SshdServer&) = delete;
  ~SshdServer();

  int port() const { return config_.port; }
  pid_t pid() const { return process_.pid(); }
  const std::filesystem::path& logPath() const { return process_.logPath(); }
  std::filesystem::path hostKeyPath() const { return config_.dir / "ssh_host_ed25519_key"; }
  // "SHA256:..." of the host key, from ssh-keygen -l.
  std::string hostKeyFingerprint() const;
  std::string logText() const;

  // Blocks until the log says sshd listens; throws naming the log on exit or timeout.
  void waitForListening(const Deadline& deadline);
  // SIGKILL to sshd and every process under it (as if the machine died), then reaps.
  void killAll();
  // SIGTERM to the listener after SIGKILL to every connection it forked and every process
  // started through it (see startedThroughPort); reaps. Idempotent.
  void stop();

  // Replaces the host key in dir (the next start presents a new key).
  static void makeHostKey(const std::filesystem::path& dir);
  // A TCP port on 127.0.0.1 nobody listens on right now.
  static int freePort();
  // Every process under pid (children, grandchildren, ...), from /proc.
  static std::set<pid_t> descendants(pid_t pid);
  // Every process started through an sshd session on this loopback port (sshd sets
  // SSH_CONNECTION in the session environment), even after sshd let go of it.
  static std::set<pid_t> startedThroughPort(int port);

 private:
  SshdServer(SshdConfig config, ChildProcess process)
      : config_(std::move(config)), process_(std::move(process)) {}
  void killTree(bool kill_listener);
  SshdConfig config_;
  ChildProcess process_;
};

// Living (not zombie) processes under this test process as "pid (name)", the framework's
// guardian excepted (it lives as long as the test process).
std::vector<std::string> livingDescendants();

}  // namespace e2e::testing
