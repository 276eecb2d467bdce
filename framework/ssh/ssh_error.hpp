#pragma once
#include <stdexcept>
#include <string>

namespace e2e {

// Every SSH failure; what() names user@host:port and what was attempted.
class SshError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The TCP connection or the SSH handshake failed (refused, no banner, reset). Worth
// retrying while a machine boots; waitUntilReachable() does.
class SshConnectError : public SshError {
  using SshError::SshError;
};
// An established connection went away during an operation; the next call reconnects.
class SshConnectionLost : public SshError {
  using SshError::SshError;
};
// The server's host key is unknown (strict policy) or differs from the one recorded.
// Never retried.
class SshHostKeyError : public SshError {
  using SshError::SshError;
};
// The server refused our key. Never retried.
class SshAuthError : public SshError {
  using SshError::SshError;
};
// A command or a file transfer did not finish in time (the channel is closed).
class SshTimeout : public SshError {
  using SshError::SshError;
};

}  // namespace e2e
