#include "tests/ssh/sshd_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "framework/wait/eventually.hpp"
#include "tests/support/files.hpp"

namespace e2e::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kSshKeygen = "/usr/bin/ssh-keygen";

bool reaped(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

// True when pid is gone or a zombie.
bool gone(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

std::string runProgram(const std::vector<std::string>& argv) {
  static std::atomic<int> runs{0};
  ChildProcessConfig config{.name = fmt::format("{}-{}", fs::path(argv.at(0)).filename().string(), ++runs),
                            .executable = argv.at(0),
                            .args = std::vector<std::string>(argv.begin() + 1, argv.end())};
  auto result = runCommand(std::move(config), Deadline::after(30s));
  if (!result.status.success()) {
    throw std::runtime_error(fmt::format("{} {}: {}", argv[0], result.status.describe(), result.output));
  }
  return result.output;
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/{}-XXXXXX", tmp != nullptr && *tmp ? tmp : "/tmp", prefix);
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(fmt::format("mkdtemp {}: {}", pattern, std::strerror(errno)));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void SshdServer::makeHostKey(const fs::path& dir) {
  fs::path key = dir / "ssh_host_ed25519_key";
  fs::remove(key);
  fs::remove(fs::path(key.string() + ".pub"));
  runProgram({kSshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "bnet-e2e-test-host", "-f", key.string()});
}

int SshdServer::freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("no free loopback port: {}", std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::set<pid_t> SshdServer::descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid;
    if (rest >> state >> ppid) children.emplace(ppid, std::stoi(name));
  }
  std::set<pid_t> found;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto [begin, end] = children.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      if (found.insert(it->second).second) todo.push_back(it->second);
    }
  }
  return found;
}

std::set<pid_t> SshdServer::startedThroughPort(int port) {
  // sshd puts SSH_CONNECTION="<client ip> <client port> <server ip> <server port>" into
  // every session's environment, and children inherit it.
  std::string suffix = fmt::format(" 127.0.0.1 {}", port);
  std::set<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string environ = readFile(entry.path() / "environ");
    std::size_t at = 0;
    while (at < environ.size()) {
      std::size_t end = environ.find('\0', at);
      if (end == std::string::npos) end = environ.size();
      std::string_view var(environ.data() + at, end - at);
      if (var.starts_with("SSH_CONNECTION=") && var.ends_with(suffix)) {
        found.insert(std::stoi(name));
        break;
      }
      at = end + 1;
    }
  }
  return found;
}

SshdServer SshdServer::start(SshdConfig config) {
  if (config.dir.empty()) throw std::runtime_error("SshdServer: config.dir is required");
  fs::create_directories(config.dir);
  // Privilege separation (always on since OpenSSH 7.5; the old UsePrivilegeSeparation
  // option is gone) chroots the pre-auth child into /run/sshd when sshd runs as root.
  if (::geteuid() == 0) {
    std::error_code ec;
    fs::create_directories("/run/sshd", ec);
    ::chmod("/run/sshd", 0755);
  }
  // Orphans of sshd (connection children of a killed listener) are re-parented to this
  // process, so stop() can reap them and no zombie outlives the test.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  if (!fs::exists(config.dir / "ssh_host_ed25519_key")) makeHostKey(config.dir);
  if (config.port == 0) config.port = freePort();
  {
    std::ofstream keys(config.dir / "authorized_keys", std::ios::trunc);
    keys << config.authorized_key << "\n";
  }
  fs::path cfg = config.dir / "sshd_config";
  {
    std::ofstream out(cfg, std::ios::trunc);
    out << "ListenAddress 127.0.0.1\n"
        << "Port " << config.port << "\n"
        << "HostKey " << (config.dir / "ssh_host_ed25519_key").string() << "\n"
        << "AuthorizedKeysFile " << (config.dir / "authorized_keys").string() << "\n"
        << "PidFile " << (config.dir / "sshd.pid").string() << "\n"
        << "StrictModes no\n"
        << "UsePAM no\n"
        << "PermitRootLogin prohibit-password\n"
        << "PubkeyAuthentication yes\n"
        << "PasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\n"
        << "MaxStartups 100\n"
        << "Subsystem sftp internal-sftp\n"
        << "LogLevel VERBOSE\n";
    // Each session runs in the user's login shell (root's is bash here), and bash started by
    // sshd reads ~/.bashrc unless SHLVL says it is nested. The host's rc files must not reach
    // the tests: on the development machine root's ~/.bashrc runs `pyenv init`, whose rehash
    // lock, left behind by a killed shell, made every session wait 60 s (four self-test
    // failures in one run). sshd uses the first SetEnv line only, so extra SetEnv words join it.
    std::string set_env = "SetEnv SHLVL=1";
    for (const auto& line : config.extra_config) {
      if (line.rfind("SetEnv ", 0) == 0) set_env += line.substr(6);
    }
    out << set_env << "\n";
    for (const auto& line : config.extra_config) {
      if (line.rfind("SetEnv ", 0) != 0) out << line << "\n";
    }
  }

  // A log per start, so a restart on the same port is not mistaken for ready by the
  // previous run's "Server listening" line.
  static std::atomic<int> starts{0};
  ChildProcessConfig child{.name = fmt::format("sshd-{}-{}", config.port, ++starts),
                           .executable = kSshd,
                           .args = {"-D", "-e", "-f", cfg.string()},
                           .log_path = config.dir / fmt::format("sshd-{}-{}.log", config.port, starts.load())};
  if (config.start_delay.count() > 0) {
    // exec replaces the shell, so sshd keeps the pid (and group) ChildProcess owns.
    child.args = {"-c", fmt::format("sleep {:.3f}; exec {} -D -e -f '{}'",
                                    config.start_delay.count() / 1000.0, kSshd, cfg.string())};
    child.executable = "/bin/sh";
  }
  SshdServer server(config, ChildProcess::start(std::move(child)));
  if (config.start_delay.count() == 0) server.waitForListening(Deadline::after(config.ready_timeout));
  return server;
}

SshdServer::~SshdServer() { stop(); }

std::string SshdServer::logText() const { return process_.logText(); }

std::string SshdServer::hostKeyFingerprint() const {
  std::string out = runProgram({kSshKeygen, "-l", "-f", hostKeyPath().string() + ".pub"});
  std::istringstream in(out);
  std::string bits, fp;
  in >> bits >> fp;
  return fp;
}

void SshdServer::waitForListening(const Deadline& deadline) {
  std::string needle = fmt::format("Server listening on 127.0.0.1 port {}.", config_.port);
  waitForReady(process_, fmt::format("sshd on 127.0.0.1:{} listening", config_.port), deadline, [&] {
    std::string text = logText();
    return Attempt::check(text.find(needle) != std::string::npos,
                          text.empty() ? "log is empty" : "log: " + text.substr(0, 500));
  });
}

void SshdServer::killTree(bool kill_listener) {
  if (process_.pid() <= 0 || !process_.running()) {
    process_.stop();
    return;
  }
  std::set<pid_t> all;
  // Connection children live in sessions of their own, so a group signal misses them, and
  // a command sshd no longer waits for may have left the tree: signal both sets, again
  // until nothing new appears (a child may fork meanwhile).
  for (int round = 0; round < 20; ++round) {
    auto now = descendants(process_.pid());
    auto started = startedThroughPort(config_.port);
    now.insert(started.begin(), started.end());
    bool fresh = false;
    for (pid_t p : now) {
      if (all.insert(p).second) fresh = true;
      ::kill(p, SIGKILL);
    }
    if (!fresh) break;
  }
  if (kill_listener) process_.signal(SIGKILL);
  process_.stop(3s);
  // Orphans came to us (subreaper); reap each, bounded.
  auto until = Clock::now() + 3s;
  for (pid_t p : all) {
    while (!reaped(p) && !gone(p) && Clock::now() < until) std::this_thread::sleep_for(5ms);
  }
}

void SshdServer::killAll() { killTree(true); }

void SshdServer::stop() { killTree(false); }

std::vector<std::string> livingDescendants() {
  std::vector<std::string> alive;
  for (pid_t p : SshdServer::descendants(::getpid())) {
    std::ifstream stat(fmt::format("/proc/{}/stat", p));
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') continue;
    std::string who = line.substr(0, close + 1);
    if (who.ends_with("(e2e-guardian)")) continue;
    alive.push_back(who);
  }
  return alive;
}

}  // namespace e2e::testing
