#include "framework/ssh/ssh_session.hpp"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <sstream>
#include <vector>

#include "framework/artifacts/artifacts.hpp"
#include "framework/artifacts/log_writer.hpp"
#include "framework/artifacts/redactor.hpp"
#include "framework/ssh/libssh_util.h"
#include "framework/wait/eventually.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr std::size_t kChunk = 32 * 1024;  // SFTP request size every server accepts
constexpr std::size_t kStderrTail = 300;
constexpr milliseconds kMinTimeout{10};

// Printable form of arbitrary bytes for a log line: control bytes as \n, \xNN.
std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string tail(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return "..." + std::string(text.substr(text.size() - max));
}

std::string describeSftpError(int code) {
  switch (code) {
    case SSH_FX_EOF: return "end of file";
    case SSH_FX_NO_SUCH_FILE: return "no such file";
    case SSH_FX_PERMISSION_DENIED: return "permission denied";
    case SSH_FX_FAILURE: return "failure";
    case SSH_FX_BAD_MESSAGE: return "bad message";
    case SSH_FX_NO_CONNECTION: return "no connection";
    case SSH_FX_CONNECTION_LOST: return "connection lost";
    case SSH_FX_OP_UNSUPPORTED: return "operation unsupported";
    case SSH_FX_INVALID_HANDLE: return "invalid handle";
    case SSH_FX_NO_SUCH_PATH: return "no such path";
    case SSH_FX_FILE_ALREADY_EXISTS: return "file already exists";
    case SSH_FX_WRITE_PROTECT: return "write-protected";
    case SSH_FX_NO_MEDIA: return "no media";
    default: return fmt::format("sftp error {}", code);
  }
}

// The host name as OpenSSH writes it in known_hosts.
std::string knownHostsName(const std::string& host, int port) {
  return port == 22 ? host : fmt::format("[{}]:{}", host, port);
}

struct ExitInfo {
  bool have_status = false;
  int status = -1;
  std::string signal;
};

void onExitStatus(ssh_session, ssh_channel, int exit_status, void* userdata) {
  auto* info = static_cast<ExitInfo*>(userdata);
  info->have_status = true;
  info->status = exit_status;
}

void onExitSignal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                  void* userdata) {
  auto* info = static_cast<ExitInfo*>(userdata);
  info->signal = signal != nullptr && *signal != '\0' ? signal : "?";
}

}  // namespace

std::string SshClientConfig::target() const { return fmt::format("{}@{}:{}", user, host, port); }

std::string SshResult::describe() const {
  if (!exit_signal.empty()) return fmt::format("killed by signal {}", exit_signal);
  if (exit_status < 0) return "ended without an exit status";
  return fmt::format("exited with status {}", exit_status);
}

struct SshSession::Impl {
  SshClientConfig config_;
  std::string target_;
  detail::SshKeyPtr identity_;
  std::string identity_fingerprint_;
  std::string host_key_fingerprint_;
  ssh_session session_ = nullptr;
  // Set when an operation saw the connection fail; the libssh session is freed only by
  // the next connect, after every channel and SFTP handle of the failed call is gone.
  bool lost_ = false;
  std::shared_ptr<RedactingLogWriter> log_file_;
  mutable std::mutex mu_;

  explicit Impl(SshClientConfig c) : config_(std::move(c)), target_(config_.target()) {}
  ~Impl() { drop(); }

  // ---- logging -------------------------------------------------------------------------

  // Every line is redacted (registered secrets masked) before it reaches the logger or the
  // file. The file is written a whole line at a time, so sessions sharing it do not mix.
  void log(const std::string& line) {
    if (config_.log) config_.log(Redactor::instance().redact(line));
    if (!config_.log_path.empty()) {
      try {
        if (!log_file_) log_file_ = RedactingLogWriter::open(config_.log_path);
        log_file_->line(line);
      } catch (const std::exception&) {
        // A log that cannot be written must not fail the command it describes.
      }
    }
  }

  // ---- connection ----------------------------------------------------------------------

  void drop() {
    if (session_ != nullptr) {
      if (ssh_is_connected(session_)) ssh_disconnect(session_);
      ssh_free(session_);
      session_ = nullptr;
    }
    lost_ = false;
  }

  bool alive() const {
    return session_ != nullptr && !lost_ && ssh_is_connected(session_) != 0 &&
           (ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0;
  }

  std::string libsshError() const {
    const char* e = session_ != nullptr ? ssh_get_error(session_) : nullptr;
    return e != nullptr && *e != '\0' ? e : "unknown libssh error";
  }

  // Bounds every blocking libssh call that follows by what is left of the deadline.
  void setTimeout(ssh_session s, Clock::duration left) {
    auto ms = std::max(duration_cast<milliseconds>(left), kMinTimeout);
    long sec = static_cast<long>(ms.count() / 1000);
    long usec = static_cast<long>((ms.count() % 1000) * 1000);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &sec);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec);
  }

  const fs::path& hostKeyFile() const {
    return config_.host_key_policy == HostKeyPolicy::kPinOnFirstUse ? config_.pin_file
                                                                   : config_.known_hosts_file;
  }

  void connectOnce(const Deadline& deadline) {
    drop();
    ssh_session s = ssh_new();
    if (s == nullptr) throw SshError(fmt::format("ssh {}: libssh could not make a session", target_));
    // Owned by a local until everything succeeded, so a failed attempt leaves nothing open.
    std::unique_ptr<std::remove_pointer_t<ssh_session>, void (*)(ssh_session)> owner(
        s, [](ssh_session x) {
          if (ssh_is_connected(x)) ssh_disconnect(x);
          ssh_free(x);
        });
    int verbosity = SSH_LOG_NOLOG;
    bool process_config = false;  // never read ~/.ssh/config or /etc/ssh/ssh_config
    unsigned int port = static_cast<unsigned int>(config_.port);
    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
    ssh_options_set(s, SSH_OPTIONS_HOST, config_.host.c_str());
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, config_.user.c_str());
    // libssh prefers the host key types recorded in this file, so a server with several
    // host keys presents the one that was pinned. Our own check is in verifyHostKey().
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, hostKeyFile().c_str());
    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    setTimeout(s, std::min<Clock::duration>(config_.connect_timeout, deadline.remaining()));

    if (ssh_connect(s) != SSH_OK) {
      throw SshConnectError(fmt::format("ssh {}: cannot connect: {}", target_, ssh_get_error(s)));
    }
    verifyHostKey(s);
    int rc = ssh_userauth_publickey(s, nullptr, identity_.get());
    if (rc != SSH_AUTH_SUCCESS) {
      if (rc == SSH_AUTH_ERROR) {
        throw SshConnectError(
            fmt::format("ssh {}: connection failed during authentication: {}", target_, ssh_get_error(s)));
      }
      throw SshAuthError(fmt::format(
          "ssh {}: the server refused public key {} ({}) for user '{}'{}; is it in that user's "
          "authorized_keys?",
          target_, identity_fingerprint_, config_.identity_file.string(), config_.user,
          rc == SSH_AUTH_PARTIAL ? " (it asks for further authentication methods)" : ""));
    }
    session_ = owner.release();
    log(fmt::format("ssh {}: connected, host key {}", target_, host_key_fingerprint_));
  }

  // Checks the server's key against the pin file or known_hosts file. A pin file is read,
  // checked and appended to under an exclusive lock, so concurrent first contacts by
  // several processes record the key once.
  void verifyHostKey(ssh_session s) {
    ssh_key raw = nullptr;
    if (ssh_get_server_publickey(s, &raw) != SSH_OK) {
      throw SshConnectError(fmt::format("ssh {}: no host key from the server: {}", target_, ssh_get_error(s)));
    }
    detail::SshKeyPtr server_key(raw);
    std::string got = detail::fingerprint(server_key.get());
    std::string got_type = ssh_key_type_to_char(ssh_key_type(server_key.get()));
    std::string host_port = fmt::format("{}:{}", config_.host, config_.port);
    std::string name = knownHostsName(config_.host, config_.port);
    const fs::path& file = hostKeyFile();
    bool pin = config_.host_key_policy == HostKeyPolicy::kPinOnFirstUse;

    int fd = -1;
    if (pin) {
      std::error_code ec;
      if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
      fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    } else {
      fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
      throw SshHostKeyError(fmt::format("ssh {}: cannot open {} file {}: {}", target_,
                                        pin ? "host key pin" : "known_hosts", file.string(),
                                        std::strerror(errno)));
    }
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};
    if (pin) ::flock(fd, LOCK_EX);

    std::string content;
    char buf[4096];
    ssize_t n;
    while ((n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(content.size()))) > 0) {
      content.append(buf, static_cast<std::size_t>(n));
    }

    bool match = false;
    std::vector<std::string> recorded;
    std::istringstream lines(content);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] == '#') continue;
      struct ssh_knownhosts_entry* entry = nullptr;
      if (ssh_known_hosts_parse_line(name.c_str(), line.c_str(), &entry) != SSH_OK || entry == nullptr) {
        continue;  // another host, or a line libssh cannot read
      }
      if (entry->publickey != nullptr) {
        if (ssh_key_cmp(entry->publickey, server_key.get(), SSH_KEY_CMP_PUBLIC) == 0) {
          match = true;
        } else {
          recorded.push_back(fmt::format("{} ({})", detail::fingerprint(entry->publickey),
                                         ssh_key_type_to_char(ssh_key_type(entry->publickey))));
        }
      }
      ssh_knownhosts_entry_free(entry);
    }

    if (match) {
      host_key_fingerprint_ = got;
      return;
    }
    if (!recorded.empty()) {
      std::string expected;
      for (const auto& r : recorded) expected += (expected.empty() ? "" : ", ") + r;
      throw SshHostKeyError(fmt::format(
          "ssh {}: host key mismatch for {}: the server presented {} ({}) but {} records {}; "
          "refusing to connect{}",
          target_, host_port, got, got_type, file.string(), expected,
          pin ? " (a machine restarted with a new host key is a new instance: give it a new pin file)"
              : ""));
    }
    if (!pin) {
      throw SshHostKeyError(fmt::format(
          "ssh {}: unknown host key for {}: the server presented {} ({}) and known_hosts file {} "
          "has no entry for {}; refusing to connect",
          target_, host_port, got, got_type, file.string(), name));
    }
    char* entry_line = nullptr;
    if (ssh_session_export_known_hosts_entry(s, &entry_line) != SSH_OK || entry_line == nullptr) {
      throw SshHostKeyError(fmt::format("ssh {}: cannot format the host key for {}", target_, file.string()));
    }
    std::string record(entry_line);
    ssh_string_free_char(entry_line);
    if (record.empty() || record.back() != '\n') record += '\n';
    if (!content.empty() && content.back() != '\n') record.insert(0, "\n");  // a hand-edited last line
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
      throw SshHostKeyError(fmt::format("ssh {}: cannot record the host key in {}: {}", target_,
                                        file.string(), std::strerror(errno)));
    }
    host_key_fingerprint_ = got;
    log(fmt::format("ssh {}: first contact, pinned host key {} ({}) in {}", target_, got, got_type,
                    file.string()));
  }

  // Connects if there is no live connection (one attempt, within the deadline).
  void ensureConnected(const Deadline& deadline) {
    if (alive()) return;
    if (session_ != nullptr) {
      log(fmt::format("ssh {}: reconnecting (the previous connection was lost)", target_));
    }
    connectOnce(deadline);
  }

  // Turns a failed libssh call into the right error and forgets a dead connection.
  [[noreturn]] void fail(const std::string& doing, const Deadline& deadline) {
    std::string why = libsshError();
    if (!alive()) {
      lost_ = true;
      std::string message = fmt::format("ssh {}: connection lost while {} after {}: {}", target_, doing,
                                        formatDuration(deadline.elapsed()), why);
      log(message);
      throw SshConnectionLost(message);
    }
    if (deadline.expired()) {
      std::string message = fmt::format("ssh {}: timed out after {} while {}", target_,
                                        formatDuration(deadline.budget()), doing);
      log(message);
      throw SshTimeout(message);
    }
    std::string message = fmt::format("ssh {}: failed while {}: {}", target_, doing, why);
    log(message);
    throw SshError(message);
  }

  // ---- commands ------------------------------------------------------------------------

  struct ChannelOwner {
    ssh_channel ch = nullptr;
    explicit ChannelOwner(ssh_channel c) : ch(c) {}
    ChannelOwner(const ChannelOwner&) = delete;
    ChannelOwner& operator=(const ChannelOwner&) = delete;
    ~ChannelOwner() {
      if (ch == nullptr) return;
      if (ssh_channel_is_open(ch)) ssh_channel_close(ch);
      ssh_channel_free(ch);
    }
  };

  // Opens a session channel. A connection found dead here (a server restarted since the
  // last call) is reopened once: nothing was sent yet, so nothing runs twice.
  ssh_channel openChannel(const std::string& doing, const Deadline& deadline) {
    for (int attempt = 0;; ++attempt) {
      ssh_channel ch = ssh_channel_new(session_);
      if (ch != nullptr && ssh_channel_open_session(ch) == SSH_OK) return ch;
      if (ch != nullptr) ssh_channel_free(ch);
      if (attempt == 0 && !alive() && !deadline.expired()) {
        log(fmt::format("ssh {}: the connection was found closed; reconnecting", target_));
        connectOnce(deadline);
        setTimeout(session_, deadline.remaining());
        continue;
      }
      fail(doing + " (opening a channel)", deadline);
    }
  }

  // libssh takes commands and paths as C strings: a NUL would silently cut them short.
  void checkNoNul(std::string_view what, std::string_view text) {
    if (text.find('\0') != std::string_view::npos) {
      throw SshError(fmt::format("ssh {}: the {} contains a NUL byte: {}", target_, what, printable(text)));
    }
  }

  SshResult run(std::string_view command, Clock::duration timeout) {
    checkNoNul("command", command);
    Deadline deadline = Deadline::after(timeout);
    std::string cmd(command);
    std::string doing = fmt::format("running `{}`", printable(cmd));
    ensureConnected(deadline);
    log(fmt::format("ssh {} $ {}", target_, printable(cmd)));
    setTimeout(session_, deadline.remaining());

    ExitInfo info;
    struct ssh_channel_callbacks_struct callbacks {};
    ssh_callbacks_init(&callbacks);
    callbacks.userdata = &info;
    callbacks.channel_exit_status_function = onExitStatus;
    callbacks.channel_exit_signal_function = onExitSignal;

    ChannelOwner owner{openChannel(doing, deadline)};
    ssh_channel channel = owner.ch;
    ssh_set_channel_callbacks(channel, &callbacks);
    if (ssh_channel_request_exec(channel, cmd.c_str()) != SSH_OK) fail(doing, deadline);
    // The command gets an empty stdin, so one that reads it does not wait for us.
    ssh_channel_send_eof(channel);

    SshResult result;
    std::vector<char> buf(64 * 1024);
    while (true) {
      int n_out = ssh_channel_read_nonblocking(channel, buf.data(), static_cast<uint32_t>(buf.size()), 0);
      if (n_out > 0) result.out.append(buf.data(), static_cast<std::size_t>(n_out));
      int n_err = ssh_channel_read_nonblocking(channel, buf.data(), static_cast<uint32_t>(buf.size()), 1);
      if (n_err > 0) result.err.append(buf.data(), static_cast<std::size_t>(n_err));
      if (n_out == SSH_ERROR || n_err == SSH_ERROR || !alive()) fail(doing, deadline);
      if (n_out > 0 || n_err > 0) continue;

      if (ssh_channel_is_eof(channel)) {
        if (info.have_status || !info.signal.empty() || ssh_channel_is_closed(channel)) break;
        // Output is complete; the exit status or signal follows in a packet that only a
        // blocking call processes (bounded by the session timeout).
        setTimeout(session_, deadline.remaining());
        ssh_channel_get_exit_status(channel);
        if (info.have_status || !info.signal.empty() || ssh_channel_is_closed(channel)) break;
        if (!alive()) fail(doing, deadline);
      }
      if (deadline.expired()) timeOut(channel, cmd, deadline, result);
      waitForSocket(deadline);
    }
    result.exit_status = info.signal.empty() ? info.status : -1;
    result.exit_signal = info.signal;

    std::string line = fmt::format("ssh {}: {} after {}; stdout {} bytes, stderr {} bytes", target_,
                                   result.describe(), formatDuration(deadline.elapsed()),
                                   result.out.size(), result.err.size());
    if (!result.err.empty()) line += fmt::format("; stderr tail: {}", printable(tail(result.err, kStderrTail)));
    log(line);
    return result;
  }

  // Waits until the socket has something to read, for at most what is left (capped, so
  // the loop also notices the deadline).
  void waitForSocket(const Deadline& deadline) {
    int fd = ssh_get_fd(session_);
    if (fd < 0) return;
    auto left = duration_cast<milliseconds>(deadline.remaining());
    int ms = static_cast<int>(std::clamp<milliseconds::rep>(left.count(), 1, 200));
    struct pollfd pfd {fd, POLLIN, 0};
    ::poll(&pfd, 1, ms);
  }

  [[noreturn]] void timeOut(ssh_channel channel, const std::string& cmd, const Deadline& deadline,
                            const SshResult& partial) {
    // Best effort: OpenSSH sends the signal to the command's process group, but only for
    // logins with privilege separation (not root: sshd logs "session signalling requires
    // privilege separation"). The caller's ChannelOwner closes the channel either way.
    ssh_channel_request_send_signal(channel, "KILL");
    std::string message = fmt::format(
        "ssh {}: `{}` did not finish within {} (SIGKILL requested, channel closed; stdout so "
        "far {} bytes, stderr so far {} bytes{})",
        target_, printable(cmd), formatDuration(deadline.budget()), partial.out.size(),
        partial.err.size(),
        partial.err.empty() ? "" : ": " + printable(tail(partial.err, kStderrTail)));
    log(message);
    throw SshTimeout(message);
  }

  // ---- SFTP ----------------------------------------------------------------------------

  struct Sftp {
    sftp_session sftp = nullptr;
    ~Sftp() {
      if (sftp != nullptr) sftp_free(sftp);
    }
  };

  [[noreturn]] void failSftp(sftp_session sftp, const std::string& doing, const Deadline& deadline) {
    if (!alive() || deadline.expired() || sftp == nullptr) {
      // After a timeout the SFTP channel may still expect replies: start afresh next time.
      if (deadline.expired() && alive()) {
        std::string message = fmt::format("ssh {}: timed out after {} while {}", target_,
                                          formatDuration(deadline.budget()), doing);
        lost_ = true;
        log(message);
        throw SshTimeout(message);
      }
      fail(doing, deadline);
    }
    std::string message =
        fmt::format("ssh {}: {}: {}", target_, doing, describeSftpError(sftp_get_error(sftp)));
    log(message);
    throw SshError(message);
  }

  // Starts the SFTP subsystem; reopens a connection found dead once, like openChannel().
  void openSftp(Sftp& s, const std::string& doing, const Deadline& deadline) {
    for (int attempt = 0;; ++attempt) {
      setTimeout(session_, deadline.remaining());
      s.sftp = sftp_new(session_);
      if (s.sftp != nullptr && sftp_init(s.sftp) == SSH_OK) return;
      if (s.sftp != nullptr) {
        sftp_free(s.sftp);
        s.sftp = nullptr;
      }
      if (attempt == 0 && !alive() && !deadline.expired()) {
        log(fmt::format("ssh {}: the connection was found closed; reconnecting", target_));
        connectOnce(deadline);
        continue;
      }
      fail(doing + " (starting SFTP)", deadline);
    }
  }

  std::string read(const std::string& path, Clock::duration timeout) {
    checkNoNul("remote path", path);
    Deadline deadline = Deadline::after(timeout);
    std::string doing = fmt::format("sftp read {}", path);
    ensureConnected(deadline);
    Sftp s;
    openSftp(s, doing, deadline);
    sftp_file file = sftp_open(s.sftp, path.c_str(), O_RDONLY, 0);
    if (file == nullptr) failSftp(s.sftp, doing, deadline);
    std::string data;
    std::vector<char> buf(kChunk);
    while (true) {
      if (deadline.expired()) {
        sftp_close(file);
        failSftp(s.sftp, doing, deadline);
      }
      setTimeout(session_, deadline.remaining());
      ssize_t n = sftp_read(file, buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        sftp_close(file);
        failSftp(s.sftp, doing, deadline);
      }
      data.append(buf.data(), static_cast<std::size_t>(n));
    }
    sftp_close(file);
    log(fmt::format("ssh {}: {}: {} bytes in {}", target_, doing, data.size(),
                    formatDuration(deadline.elapsed())));
    return data;
  }

  void write(const std::string& path, std::string_view bytes, int mode, Clock::duration timeout) {
    checkNoNul("remote path", path);
    if (mode < 0 || mode > 07777) {
      throw SshError(fmt::format("ssh {}: sftp write {}: mode {:o} is not a file mode", target_, path, mode));
    }
    Deadline deadline = Deadline::after(timeout);
    std::string doing = fmt::format("sftp write {} ({} bytes, mode {:04o})", path, bytes.size(), mode);
    ensureConnected(deadline);
    Sftp s;
    openSftp(s, doing, deadline);
    sftp_file file = sftp_open(s.sftp, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, static_cast<mode_t>(mode));
    if (file == nullptr) failSftp(s.sftp, doing, deadline);
    std::size_t done = 0;
    while (done < bytes.size()) {
      if (deadline.expired()) {
        sftp_close(file);
        failSftp(s.sftp, doing, deadline);
      }
      setTimeout(session_, deadline.remaining());
      std::size_t len = std::min(kChunk, bytes.size() - done);
      ssize_t n = sftp_write(file, bytes.data() + done, len);
      if (n <= 0) {
        sftp_close(file);
        failSftp(s.sftp, doing, deadline);
      }
      done += static_cast<std::size_t>(n);
    }
    if (sftp_close(file) != SSH_OK) failSftp(s.sftp, doing + " (closing)", deadline);
    // The mode given to open() applies only to a new file and passes the server's umask.
    if (sftp_chmod(s.sftp, path.c_str(), static_cast<mode_t>(mode)) != SSH_OK) {
      failSftp(s.sftp, doing + " (setting the mode)", deadline);
    }
    log(fmt::format("ssh {}: {}: done in {}", target_, doing, formatDuration(deadline.elapsed())));
  }
};

SshSession::SshSession(SshClientConfig config_) : impl_(std::make_unique<Impl>(std::move(config_))) {
  auto& c = impl_->config_;
  std::string where = fmt::format("ssh {}", impl_->target_);
  if (c.user.empty()) throw SshError(where + ": config.user is empty; set the login user");
  if (c.host.empty()) throw SshError(where + ": config.host is empty");
  if (c.port <= 0 || c.port > 65535) {
    throw SshError(fmt::format("{}: config.port {} is not a TCP port", where, c.port));
  }
  if (c.connect_timeout <= std::chrono::milliseconds::zero()) {
    throw SshError(where + ": config.connect_timeout must be positive");
  }
  if (c.host_key_policy == HostKeyPolicy::kPinOnFirstUse && c.pin_file.empty()) {
    throw SshError(where +
                   ": host key policy kPinOnFirstUse needs config.pin_file (one file per machine "
                   "instance, e.g. in the machine's run folder)");
  }
  if (c.host_key_policy == HostKeyPolicy::kStrict && c.known_hosts_file.empty()) {
    throw SshError(where + ": host key policy kStrict needs config.known_hosts_file");
  }
  if (!c.log && c.log_path.empty()) {
    // Like a child process's log: in the running test's artifacts folder.
    std::string name = fmt::format("ssh-{}-{}", c.host, c.port);
    std::replace_if(name.begin(), name.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-'; }, '_');
    c.log_path = Artifacts::instance().logPath(name + ".log", name);
  }
  if (c.identity_file.empty()) c.identity_file = ensureSshKey().private_key;
  impl_->identity_ = detail::loadPrivateKey(c.identity_file);
  impl_->identity_fingerprint_ = detail::fingerprint(impl_->identity_.get());
}

SshSession::~SshSession() = default;
SshSession::SshSession(SshSession&& other) noexcept = default;
SshSession& SshSession::operator=(SshSession&& other) noexcept = default;

const SshClientConfig& SshSession::config() const { return impl_->config_; }

bool SshSession::connected() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->alive();
}

std::string SshSession::hostKeyFingerprint() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->host_key_fingerprint_;
}

void SshSession::connect(const Deadline& deadline) {
  std::lock_guard lock(impl_->mu_);
  impl_->connectOnce(deadline);
}

void SshSession::waitUntilReachable(const Deadline& deadline) {
  std::lock_guard lock(impl_->mu_);
  if (impl_->alive()) return;
  eventually(
      fmt::format("ssh {} reachable", impl_->target_), deadline,
      [&] {
        try {
          impl_->connectOnce(deadline);
          return Attempt::done();
        } catch (const SshConnectError& e) {
          return Attempt::retry(e.what());
        }
      },
      WaitOptions{.first_interval = std::chrono::milliseconds(100),
                  .max_interval = std::chrono::seconds(1)});
}

void SshSession::disconnect() {
  std::lock_guard lock(impl_->mu_);
  impl_->drop();
}

SshResult SshSession::run(std::string_view command, Clock::duration timeout) {
  std::lock_guard lock(impl_->mu_);
  return impl_->run(command, timeout);
}

std::string SshSession::read(const std::string& remote_path, Clock::duration timeout) {
  std::lock_guard lock(impl_->mu_);
  return impl_->read(remote_path, timeout);
}

void SshSession::write(const std::string& remote_path, std::string_view bytes, int mode,
                       Clock::duration timeout) {
  std::lock_guard lock(impl_->mu_);
  impl_->write(remote_path, bytes, mode, timeout);
}

SshSession SshClient::connect(const Deadline& deadline) const {
  SshSession session(config_);
  session.waitUntilReachable(deadline);
  return session;
}

}  // namespace e2e
