#include "framework/process/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Boost 1.81 quirks: with BOOST_PROCESS_USE_STD_FS, process/v2 uses boost::optional,
// boost::is_constructible and boost::remove_pointer without including them. (Its
// process_environment is not usable header-only in 1.81 either: ChildSetup sets the env.)
#include <boost/optional.hpp>
#include <boost/type_traits/is_constructible.hpp>
#include <boost/type_traits/remove_pointer.hpp>
//
#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "framework/artifacts/artifacts.hpp"
#include "framework/process/guardian.hpp"
#include "framework/process/registry.hpp"

namespace bp = boost::process::v2;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

extern char** environ;

namespace e2e {

std::string ExitStatus::describe() const {
  if (kind == Kind::kExited) return fmt::format("exited with code {}", code);
  const char* abbrev = sigabbrev_np(signal);
  if (abbrev) return fmt::format("killed by signal {} (SIG{})", signal, abbrev);
  return fmt::format("killed by signal {}", signal);
}

ExitStatus ExitStatus::fromWaitStatus(int wait_status) {
  if (WIFSIGNALED(wait_status)) return {.kind = Kind::kSignaled, .signal = WTERMSIG(wait_status)};
  return {.kind = Kind::kExited, .code = WEXITSTATUS(wait_status)};
}

std::optional<fs::path> findProgram(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    fs::path p(name);
    if (::access(p.c_str(), X_OK) == 0) return p;
    return std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  while (!path.empty()) {
    auto colon = path.find(':');
    auto dir = path.substr(0, colon);
    if (!dir.empty()) {
      fs::path candidate = fs::path(dir) / name;
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

namespace {

// Runs in the child between fork and exec (async-signal-safe calls only): own process group,
// registration with the guardian (before exec, so the guardian always sees it), a clean
// signal mask and default dispositions for the signals the test process may have changed.
struct ChildSetup {
  int guardian_fd;
  const char* const* envp;  // NULL-terminated "K=V" array, alive until the launch returns
  template <class Launcher>
  bp::error_code on_setup(Launcher& launcher, const fs::path&, const char* const*) {
    launcher.env = envp;
    return {};
  }
  template <class Launcher>
  bp::error_code on_exec_setup(Launcher& launcher, const fs::path&, const char* const*) {
    if (::setpgid(0, 0) != 0) return bp::error_code(errno, bp::system_category());
    Guardian::registerFromChild(guardian_fd, ::getpid());
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
    closeInheritedDescriptors(launcher.fd_whitelist);
    return {};
  }

  // Boost 1.81's close_all skips the descriptors between stderr and the launcher's own error
  // pipe (it compares each whitelist entry with itself), so a listening socket of the test
  // could leak into the child and outlive the test. Close all but the whitelist here; this
  // runs after process_stdio has dup'ed the log onto 1 and 2. No allocation after fork.
  template <class Whitelist>
  static void closeInheritedDescriptors(const Whitelist& whitelist) {
    unsigned lo = 3;
    for (;;) {
      unsigned next = ~0U;
      for (int w : whitelist) {
        if (w >= 0 && static_cast<unsigned>(w) >= lo && static_cast<unsigned>(w) < next) next = static_cast<unsigned>(w);
      }
      if (next == ~0U) {
        ::syscall(SYS_close_range, lo, ~0U, 0U);
        return;
      }
      if (next > lo) ::syscall(SYS_close_range, lo, next - 1, 0U);
      lo = next + 1;
    }
  }
};

boost::asio::io_context& launchContext() {
  static boost::asio::io_context ctx;
  return ctx;
}

// The running test's artifacts folder, registered with the listener (so a failing test
// prints its tail): <name>.log, or <name>-2.log, ... when that name is taken.
fs::path defaultLogPath(const std::string& name) {
  auto& artifacts = Artifacts::instance();
  std::string base = name.empty() ? "child" : name;
  for (int n = 1;; ++n) {
    auto file = n == 1 ? base + ".log" : fmt::format("{}-{}.log", base, n);
    std::error_code ec;
    if (!fs::exists(artifacts.path(file), ec)) return artifacts.logPath(file, base);
  }
}

std::vector<std::string> buildEnvironment(const ChildProcessConfig& config) {
  std::map<std::string, std::string> merged;
  if (config.inherit_env) {
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      merged[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
  }
  for (const auto& key : config.unset_env) merged.erase(key);
  for (const auto& [k, v] : config.env) merged[k] = v;
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [k, v] : merged) out.push_back(k + "=" + v);
  return out;
}

// waitid without reaping: true when the child has exited (it stays a zombie, so its pid and
// process group id cannot be reused until we reap it).
bool hasExited(pid_t pid) {
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return errno == ECHILD;
  return info.si_pid == pid;
}

// Blocks up to `d` for the child to exit (pidfd + poll where available, else short sleeps).
bool waitExited(pid_t pid, Clock::duration d) {
  auto until = Clock::now() + d;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  while (!hasExited(pid)) {
    auto left = until - Clock::now();
    if (left <= Clock::duration::zero()) {
      if (pidfd >= 0) ::close(pidfd);
      return false;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
    if (pidfd >= 0) {
      pollfd p{.fd = pidfd, .events = POLLIN, .revents = 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(ms + 1, 1000)));
    } else {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(std::chrono::milliseconds(ms + 1), 10ms));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return true;
}

std::string readTail(const fs::path& path, std::size_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  const std::streamoff window = 64 * 1024;
  std::streamoff from = size > window ? size - window : 0;
  in.seekg(from);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::deque<std::string_view> lines;
  std::string_view rest(data);
  if (from > 0) {  // drop the partial first line
    auto nl = rest.find('\n');
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (lines.size() > max_lines) lines.pop_front();
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  std::string out;
  for (auto l : lines) {
    out.append(l);
    out.push_back('\n');
  }
  return out;
}

// Writes the registry entry a later run's reaper uses if this run crashes. Never pass
// secrets as arguments: the command line is recorded (and visible in ps anyway).
fs::path recordChild(pid_t pid, const ChildProcessConfig& config) {
  static const std::uint64_t owner_start = processStartTicks(::getpid());
  std::string command = config.executable.string();
  for (const auto& a : config.args) command += " " + a;
  if (command.size() > 300) command = command.substr(0, 300) + "...";
  try {
    return ProcessRegistry::add({.run_id = currentRunId(),
                                 .owner_pid = ::getpid(),
                                 .owner_start_ticks = owner_start,
                                 .pid = pid,
                                 .start_ticks = processStartTicks(pid),
                                 .name = config.name,
                                 .command = command,
                                 .owned_paths = config.owned_paths});
  } catch (const std::exception&) {
    return {};  // the guardian still covers this run; only crash recovery by a later run is lost
  }
}

}  // namespace

ChildProcess ChildProcess::start(ChildProcessConfig config) {
  if (config.name.empty()) config.name = config.executable.filename().string();
  auto resolved = findProgram(config.executable.string());
  if (!resolved) {
    throw ProcessError(fmt::format("{}: program '{}' not found (PATH={})", config.name,
                                   config.executable.string(),
                                   std::getenv("PATH") ? std::getenv("PATH") : ""));
  }
  config.executable = *resolved;
  if (config.log_path.empty()) config.log_path = defaultLogPath(config.name);
  std::error_code ec;
  fs::create_directories(config.log_path.parent_path(), ec);
  int log_fd = ::open(config.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    throw ProcessError(fmt::format("{}: cannot open log file {}: {}", config.name,
                                   config.log_path.string(), std::strerror(errno)));
  }

  auto env = buildEnvironment(config);
  int guardian_fd = Guardian::instance().writeFd();
  ChildProcess child;
  try {
    std::vector<const char*> envp;
    for (const auto& kv : env) envp.push_back(kv.c_str());
    envp.push_back(nullptr);
    bp::process_stdio stdio{nullptr, log_fd, log_fd};
    ChildSetup setup{guardian_fd, envp.data()};
    if (config.working_dir.empty()) {
      bp::process proc(launchContext(), config.executable, config.args, stdio, setup);
      child.pid_ = proc.id();
      proc.detach();
    } else {
      bp::process proc(launchContext(), config.executable, config.args, stdio,
                       bp::process_start_dir(config.working_dir), setup);
      child.pid_ = proc.id();
      proc.detach();
    }
  } catch (const std::exception& e) {
    ::close(log_fd);
    throw ProcessError(fmt::format("{}: cannot start {}: {} (log {})", config.name,
                                   config.executable.string(), e.what(), config.log_path.string()));
  }
  ::close(log_fd);
  // The child already set its group; doing it here too closes the race with signal().
  ::setpgid(child.pid_, child.pid_);
  child.group_released_ = false;
  child.config_ = std::move(config);
  child.record_ = recordChild(child.pid_, child.config_);
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : config_(std::move(other.config_)),
      pid_(std::exchange(other.pid_, -1)),
      status_(std::move(other.status_)),
      group_released_(std::exchange(other.group_released_, true)),
      record_(std::move(other.record_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    config_ = std::move(other.config_);
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::move(other.status_);
    group_released_ = std::exchange(other.group_released_, true);
    record_ = std::move(other.record_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { stop(); }

void ChildProcess::reapGroup() {
  // The leader is a zombie here, so its pgid cannot have been reused: kill what is left of
  // the group (daemons it forked), then reap the leader and tell the guardian.
  ::kill(-pid_, SIGKILL);
  int wait_status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &wait_status, 0);
  } while (rc < 0 && errno == EINTR);
  status_ = rc == pid_ ? ExitStatus::fromWaitStatus(wait_status)
                       : ExitStatus{.kind = ExitStatus::Kind::kSignaled, .signal = SIGKILL};
  Guardian::instance().release(pid_);
  group_released_ = true;
  for (const auto& path : config_.owned_paths) {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  if (!record_.empty()) ProcessRegistry::remove(record_);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  if (!hasExited(pid_)) return true;
  reapGroup();
  return false;
}

std::optional<ExitStatus> ChildProcess::exitStatus() {
  running();
  return status_;
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

ExitStatus ChildProcess::stop() { return stop(config_.stop_grace); }

ExitStatus ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_.value_or(ExitStatus{});
  if (status_) return *status_;
  if (!hasExited(pid_)) {
    ::kill(-pid_, config_.stop_signal);
    if (!waitExited(pid_, grace)) {
      ::kill(-pid_, SIGKILL);
      waitExited(pid_, 10s);
    }
  }
  reapGroup();
  return *status_;
}

ExitStatus ChildProcess::wait(const Deadline& deadline) {
  eventually(
      fmt::format("{} (pid {}) to exit", name(), pid_), deadline,
      [&] { return Attempt::check(!running(), "still running"); },
      {.first_interval = 5ms, .max_interval = 100ms});
  return *status_;
}

std::string ChildProcess::logTail(std::size_t max_lines) const {
  return Redactor::instance().redact(readTail(config_.log_path, max_lines));
}

std::string ChildProcess::logText() const {
  std::ifstream in(config_.log_path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

CommandResult runCommand(ChildProcessConfig config, const Deadline& deadline) {
  auto child = ChildProcess::start(std::move(config));
  try {
    auto status = child.wait(deadline);
    return {status, child.logText()};
  } catch (const WaitTimeout&) {
    child.stop(1000ms);
    throw WaitTimeout(fmt::format("{}: did not finish within {}; killed. log {}:\n{}", child.name(),
                                  formatDuration(deadline.budget()), child.logPath().string(),
                                  child.logTail(20)),
                      child.name(), deadline.elapsed(), 1, child.logTail(5));
  }
}

void waitForReady(ChildProcess& child, std::string_view what, const Deadline& deadline,
                  const std::function<Attempt()>& probe, const ReadyOptions& options) {
  std::size_t scanned = 0;
  eventually(
      what, deadline,
      [&]() -> Attempt {
        if (!child.running()) {
          return Attempt::fail(fmt::format("{} {} before it was ready; log {}:\n{}", child.name(),
                                           child.exitStatus()->describe(), child.logPath().string(),
                                           child.logTail(20)));
        }
        if (!options.fatal_log_patterns.empty()) {
          std::string text = child.logText();
          // Look a little before the last scan position so a line split across reads is seen.
          std::size_t from = scanned > 256 ? scanned - 256 : 0;
          for (const auto& pattern : options.fatal_log_patterns) {
            auto at = text.find(pattern, from);
            if (at != std::string::npos) {
              auto begin = text.rfind('\n', at);
              auto end = text.find('\n', at);
              std::string line = text.substr(begin == std::string::npos ? 0 : begin + 1,
                                             end == std::string::npos ? std::string::npos
                                                                      : end - (begin == std::string::npos ? 0 : begin + 1));
              return Attempt::fail(fmt::format("{} logged a fatal line: \"{}\" (log {})", child.name(),
                                               line, child.logPath().string()));
            }
          }
          scanned = text.size();
        }
        return probe();
      },
      options.wait);
}

}  // namespace e2e
