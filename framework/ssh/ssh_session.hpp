#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "framework/ssh/ssh_error.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "framework/wait/deadline.hpp"

namespace e2e {

// How a server's host key is trusted.
enum class HostKeyPolicy {
  // Trust the key seen on first contact and record it in pin_file; later connections must
  // present the same key. For a machine the framework booted itself: a machine restarted
  // with a new host key is a new instance and needs a new pin file.
  kPinOnFirstUse,
  // The key must already be in known_hosts_file (given by the environment); an unknown or
  // different key is refused.
  kStrict,
};

// Receives one line per connection, command, result and file transfer. Called from the
// thread that uses the session; a logger shared by several sessions must be thread-safe.
using SshLogger = std::function<void(std::string_view line)>;

struct SshClientConfig {
  std::string host = "127.0.0.1";
  int port = 22;
  std::string user;                     // required
  std::filesystem::path identity_file;  // empty: the framework's key, ensureSshKey()
  // One connection attempt: TCP connect, banner, key exchange and authentication.
  std::chrono::milliseconds connect_timeout{10000};
  HostKeyPolicy host_key_policy = HostKeyPolicy::kPinOnFirstUse;
  std::filesystem::path pin_file;          // kPinOnFirstUse (required): known_hosts format
  std::filesystem::path known_hosts_file;  // kStrict (required): OpenSSH known_hosts
  // Lines are redacted (e2e::Redactor) first. With neither set, they go to
  // ssh-<host>-<port>.log in the artifacts folder of the test running at construction.
  SshLogger log;                           // optional
  std::filesystem::path log_path;          // optional: the same lines appended to this file

  // "user@host:port", for messages.
  std::string target() const;
};

// What a remote command did. Output is complete and binary-safe.
struct SshResult {
  int exit_status = -1;     // -1 when killed by a signal or when the server sent no status
  std::string exit_signal;  // "KILL", "TERM", ... when killed by a signal, else empty
  std::string out;          // stdout
  std::string err;          // stderr
  bool success() const { return exit_status == 0; }
  // "exited with status 3", "killed by signal KILL", "ended without an exit status".
  std::string describe() const;
};

// One SSH connection to one server, opened lazily and reopened after it drops: the call
// that sees the drop throws SshConnectionLost, the next call reconnects (one attempt).
// Every command, file transfer and connection goes to the configured log.
//
// Thread-safety: calls on one session are serialized by an internal mutex, so a session
// may be shared, but its commands then run one at a time. For parallel commands give
// each thread its own session (SshClient::makeSession()).
class SshSession {
 public:
  // Checks the config and loads the identity; does not connect. Throws SshError naming
  // the missing field or unreadable key.
  explicit SshSession(SshClientConfig config);
  ~SshSession();
  SshSession(SshSession&& other) noexcept;
  SshSession& operator=(SshSession&& other) noexcept;
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  const SshClientConfig& config() const;
  std::string target() const { return config().target(); }
  bool connected() const;
  // SHA256 fingerprint of the server's host key from the last successful connection.
  std::string hostKeyFingerprint() const;

  // One connection attempt bounded by connect_timeout and the deadline. Throws
  // SshConnectError (retryable), SshHostKeyError or SshAuthError.
  void connect(const Deadline& deadline);
  // Retries connect() (connection refused, no banner, reset) until it succeeds or the
  // deadline passes: WaitTimeout naming the target and the last error. Host key and
  // authentication errors are thrown at once.
  void waitUntilReachable(const Deadline& deadline);
  // Closes the connection (if any); never throws.
  void disconnect();

  // Runs command through the user's login shell; blocks until it ends or timeout passes
  // (connecting first if needed counts against it). Throws SshTimeout naming the command
  // and the wait (the remote process is sent SIGKILL and the channel closed),
  // SshConnectionLost if the connection drops, SshError otherwise. A non-zero exit is a
  // result, not an error.
  SshResult run(std::string_view command,
                Clock::duration timeout = std::chrono::seconds(60));
  // Reads a whole remote file over SFTP. Throws SshError naming the path (missing,
  // permission), SshTimeout, SshConnectionLost.
  std::string read(const std::string& remote_path,
                   Clock::duration timeout = std::chrono::seconds(60));
  // Creates or replaces a remote file over SFTP and sets its mode exactly (no umask).
  // Throws like read().
  void write(const std::string& remote_path, std::string_view bytes, int mode = 0644,
             Clock::duration timeout = std::chrono::seconds(60));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes sessions for one server from one config. Copyable and thread-safe.
class SshClient {
 public:
  explicit SshClient(SshClientConfig config) : config_(std::move(config)) {}
  const SshClientConfig& config() const { return config_; }
  // An unconnected session (it connects on first use).
  SshSession makeSession() const { return SshSession(config_); }
  // A connected session: waitUntilReachable(deadline).
  SshSession connect(const Deadline& deadline) const;

 private:
  SshClientConfig config_;
};

}  // namespace e2e
