// bnet-e2e up / down / status (and the hidden `hold` that up starts): an environment
// launched once and left running, so that test processes attach to it (BNET_E2E_STATE)
// instead of each booting its own builder.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include "fixtures/testbed/testbed.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/env/selection.hpp"
#include "framework/fs/fs.hpp"
#include "framework/http/http_client.hpp"
#include "framework/process/registry.hpp"
#include "framework/qemu/console_reader.hpp"
#include "framework/wait/eventually.hpp"
#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/progress.hpp"
#include "tools/bnet-e2e/running_environment.hpp"

extern char** environ;

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct EnvOptions {
  std::string env;    // NAME or PATH; empty: BNET_E2E_ENV or local
  std::string state;  // state file; empty: default for the environment
  int timeout_seconds = 0;
  bool all = false;
  // up --stop-with-parent: the environment lives only as long as the process that ran `up`
  // (ctest, in the e2e_env fixture). hold --owner PID:START_TICKS is how up passes it on.
  bool stop_with_parent = false;
  std::string owner;
};

// The owner of a holder ("PID:START_TICKS", see EnvOptions): pid 0 when there is none.
struct Owner {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;
};

Owner parseOwner(const std::string& text) {
  Owner owner;
  if (text.empty()) return owner;
  auto colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    owner.pid = static_cast<pid_t>(std::stol(text.substr(0, colon)));
    owner.start_ticks = std::stoull(text.substr(colon + 1));
  } catch (const std::exception&) {
    throw CommandError(kExitBadInput, fmt::format("--owner {}: expected PID:START_TICKS", text));
  }
  return owner;
}

// Blocks until one of the blocked stop signals arrives or the owner exits; says which.
std::string waitForStop(const sigset_t& stop_signals, const Owner& owner) {
  int owner_fd = -1;
  if (owner.pid > 0) {
    owner_fd = static_cast<int>(::syscall(SYS_pidfd_open, owner.pid, 0));
    // Gone already, or another process under that pid by now: the owner has exited.
    if (owner_fd < 0 || e2e::processStartTicks(owner.pid) != owner.start_ticks) {
      if (owner_fd >= 0) ::close(owner_fd);
      return fmt::format("the process that ran `up` (pid {}) has exited", owner.pid);
    }
  }
  const int signal_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    if (owner_fd >= 0) ::close(owner_fd);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    return fmt::format("signal {}", sig);
  }
  std::string why;
  while (why.empty()) {
    pollfd fds[2] = {{.fd = signal_fd, .events = POLLIN, .revents = 0}, {.fd = owner_fd, .events = POLLIN, .revents = 0}};
    if (::poll(fds, owner_fd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      why = fmt::format("poll failed ({})", std::strerror(errno));
    } else if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        why = fmt::format("signal {}", info.ssi_signo);
      }
    } else if (owner_fd >= 0 && fds[1].revents != 0) {
      why = fmt::format("the process that ran `up` (pid {}) has exited", owner.pid);
    }
  }
  ::close(signal_fd);
  if (owner_fd >= 0) ::close(owner_fd);
  return why;
}

const Environment& selectEnvironment(const EnvOptions& o) {
  if (!o.env.empty()) ::setenv("BNET_E2E_ENV", o.env.c_str(), 1);
  return Environment::current();
}

fs::path statePath(const EnvOptions& o, const std::string& env_name) {
  if (!o.state.empty()) return fs::absolute(o.state);
  if (const char* s = std::getenv("BNET_E2E_STATE"); s && *s) return fs::absolute(s);
  return stateDir() / fmt::format("env-{}.json", env_name);
}

// The run folder's subfolder for an environment: "testbed" for the default state files
// (the CTest fixture's environment.json, the CLI's env-<name>.json), "testbed-<stem>" for any
// other, so two environments brought up in one run (`up --state a.json`, `up --state
// b.json`, one BNET_E2E_RUN_ID) keep their logs, VM disks and holder logs apart.
std::string testbedFolder(const fs::path& state_file) {
  const std::string stem = state_file.stem().string();
  if (stem == "environment" || stem.rfind("env-", 0) == 0) return "testbed";
  return "testbed-" + stem;
}

bool holderAlive(const TestbedState& s) {
  return s.holder_pid > 0 && s.holder_start_ticks != 0 && e2e::processStartTicks(s.holder_pid) == s.holder_start_ticks;
}

void printEndpoints(const TestbedState& s, const fs::path& file) {
  if (!s.unavailable.empty()) {
    fmt::print("environment {} cannot run here: {}\n", s.environment, s.unavailable);
    return;
  }
  fmt::print("environment {} is up (holder pid {}{})\n", s.environment, s.holder_pid,
             s.ready_seconds ? fmt::format(", builder ready after {:.0f}s", *s.ready_seconds) : "");
  fmt::print("  EL JSON-RPC      {}\n  beacon           {}\n  relay            {}\n", s.l1.el_url, s.l1.beacon_url,
             s.l1.relay_url);
  fmt::print("  BuilderHub       {} (admin {})\n", s.hub_instance_url, s.hub_admin_url);
  fmt::print("  builder          {} ({}), coinbase {}\n", s.builder_name, s.instance_name, s.coinbase_address);
  fmt::print("  builder HTTPS    {}\n  builder RPC      {}\n  builder SSH      ssh -p {} {}@{}\n", s.https_url, s.rpc_url,
             s.ssh_port, s.ssh_user, s.ssh_host);
  fmt::print("  console          {}\n  logs             {}\n", s.console_path.string(), s.artifact_dir.string());
  fmt::print("attach with: export BNET_E2E_STATE={}\n", file.string());
}

// Which of the boot units the VM's serial console shows as started or finished so far.
// systemd's status lines shorten long names with "…" ("render-config.ser…ilderHub and ...");
// a shortened name counts when it is a prefix of the unit's (at least 8 characters of it).
class BootWatcher {
 public:
  BootWatcher(std::filesystem::path console, std::vector<std::string> units)
      : reader_(std::move(console)), units_(std::move(units)), up_(units_.size(), false) {}
  // Newly seen units since the last call, in boot order.
  std::vector<std::string> poll() {
    static const std::regex kStatus(R"((Started|Finished) (\S+))");
    std::vector<std::string> seen;
    auto lines = reader_.lines();
    for (; next_line_ < lines.size(); ++next_line_) {
      std::smatch m;
      const auto& line = lines[next_line_];
      if (!std::regex_search(line, m, kStatus)) continue;
      std::string token = m[2];
      static const std::string kEllipsis = "\xe2\x80\xa6";
      auto cut = token.find(kEllipsis);
      bool shortened = cut != std::string::npos;
      if (shortened) token.resize(cut);
      auto dot = token.find('.');
      for (std::size_t i = 0; i < units_.size(); ++i) {
        const std::string base = units_[i].substr(0, units_[i].find('.'));
        // "render-config.service", "render-config.ser…", "config-watchdog.ti…" (its timer),
        // "attested-tls-proxy…": the unit's name up to its type, or a long enough prefix.
        bool match = dot != std::string::npos ? token.substr(0, dot) == base
                                              : (shortened ? token.size() >= 8 && base.starts_with(token) : token == base);
        if (match && !up_[i]) {
          up_[i] = true;
          seen.push_back(units_[i]);
        }
      }
    }
    return seen;
  }
  bool started() { return std::filesystem::exists(reader_.path()); }
  std::size_t upCount() const { return static_cast<std::size_t>(std::count(up_.begin(), up_.end(), true)); }
  std::size_t total() const { return units_.size(); }

 private:
  e2e::ConsoleReader reader_;
  std::vector<std::string> units_;
  std::vector<bool> up_;
  std::size_t next_line_ = 0;
};

// The holder: launches the environment, writes the state, waits for SIGTERM/SIGINT, stops
// everything (builder first) and removes the state file.
int hold(const EnvOptions& o) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts
  const Owner owner = parseOwner(o.owner);  // before anything is launched

  const Environment* selected = nullptr;
  try {
    selected = &selectEnvironment(o);
  } catch (const std::exception& e) {
    // An environment that cannot even be loaded here (staging without its credentials):
    // the suites skip with this reason rather than fail.
    TestbedState unavailable;
    unavailable.environment = o.env;
    unavailable.unavailable = fmt::format("environment {} cannot be loaded: {}", o.env, e.what());
    unavailable.write(statePath(o, "unknown"));
    fmt::print(stderr, "bnet-e2e hold: {}\n", unavailable.unavailable);
    return 0;
  }
  const auto& env = *selected;
  auto file = statePath(o, env.name);
  const fs::path artifact_dir = e2e::Artifacts::instance().runDir() / testbedFolder(file);
  std::unique_ptr<Testbed> testbed;
  TestbedState state;
  try {
    testbed = Testbed::launch(env, artifact_dir);
    state = testbed->state();
  } catch (const e2e::Unavailable& e) {
    // An environment that must run here (local) fails; any other leaves the reason in its
    // state file, and the suites skip with it.
    if (auto failure = env.unavailableIsFailure(e.what())) {
      fmt::print(stderr, "bnet-e2e hold: {}\n", *failure);
      redactAndReport({artifact_dir}, "bnet-e2e hold");
      return kExitFailed;
    }
    state.environment = env.file.string();
    state.unavailable = e.what();
    state.write(file);
    fmt::print(stderr, "bnet-e2e hold: {} cannot run here: {}\n", env.name, e.what());
    redactAndReport({artifact_dir}, "bnet-e2e hold");
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bnet-e2e hold: starting {} failed: {}\n", env.name, e.what());
    redactAndReport({artifact_dir}, "bnet-e2e hold");
    return kExitFailed;
  }
  state.holder_pid = ::getpid();
  state.holder_start_ticks = e2e::processStartTicks(::getpid());
  state.artifact_dir = artifact_dir;
  if (const char* log = std::getenv("BNET_E2E_HOLDER_LOG"); log && *log) state.holder_log = log;
  state.write(file);
  fmt::print("bnet-e2e hold: {} is up; state {}\n", env.name, file.string());
  std::fflush(stdout);
  const std::string why = waitForStop(stop_signals, owner);
  fmt::print("bnet-e2e hold: {}: stopping {}\n", why, env.name);
  std::fflush(stdout);
  std::error_code ec;
  fs::remove(file, ec);
  testbed->stop();
  // Every log it owns (console, QEMU, swtpm, devnet, hub, gateway, its own), now that their
  // writers have stopped: the Redactor knows the environment's and the builder's secrets.
  redactAndReport({artifact_dir}, "bnet-e2e hold");
  return 0;
}

int up(const EnvOptions& o) {
  const Environment* selected = nullptr;
  try {
    selected = &selectEnvironment(o);
  } catch (const std::exception& e) {
    if (o.state.empty()) throw;
    // With an explicit state file (the CTest fixture), record why so the suites skip.
    TestbedState unavailable;
    unavailable.environment = o.env.empty() ? std::string(std::getenv("BNET_E2E_ENV") ? std::getenv("BNET_E2E_ENV") : "") : o.env;
    unavailable.unavailable = fmt::format("environment '{}' cannot be loaded here: {}", unavailable.environment, e.what());
    unavailable.write(statePath(o, "unknown"));
    fmt::print("{}\n", unavailable.unavailable);
    return 0;
  }
  const auto& env = *selected;
  auto file = statePath(o, env.name);
  std::error_code ec;
  if (fs::exists(file, ec)) {
    auto existing = TestbedState::read(file);
    if (existing.unavailable.empty() && holderAlive(existing)) {
      printEndpoints(existing, file);
      return 0;
    }
    fs::remove(file, ec);  // a crashed holder's file (its processes are reaped below)
  }
  fs::remove(redactionFileFor(file), ec);  // what an earlier run's last step did not take
  e2e::ProcessRegistry::reap();
  auto log = e2e::Artifacts::instance().runDir() / testbedFolder(file) / "holder.log";
  fs::create_directories(log.parent_path());
  std::vector<std::string> args = {"/proc/self/exe", "hold", "--env", env.file.string(), "--state", file.string()};
  if (o.stop_with_parent) {
    const pid_t parent = ::getppid();
    args.push_back("--owner");
    args.push_back(fmt::format("{}:{}", parent, e2e::processStartTicks(parent)));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("BNET_E2E_RUN_ID=" + e2e::Artifacts::instance().runId());
  env_strings.push_back("BNET_E2E_HOLDER_LOG=" + log.string());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own session: the holder outlives this command and the terminal's signals.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw CommandError(kExitFailed, fmt::format("cannot start the holder: {}", std::strerror(rc)));

  auto budget = o.timeout_seconds > 0 ? std::chrono::seconds(o.timeout_seconds)
                                      : std::chrono::seconds(env.expect.ready_wait_seconds + 300);
  Progress progress(fmt::format("up {}", env.name));
  progress.note(fmt::format("holder pid {}, log {}", pid, log.string()));
  progress.update("starting the L1 devnet and BuilderHub");
  BootWatcher boot(e2e::Artifacts::instance().runDir() / "testbed" / "builder" / "console.log",
                   env.image().unitNames());
  TestbedState state;
  try {
    e2e::eventually(fmt::format("environment {} up", env.name), budget, [&] {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        std::ifstream in(log);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.size() > 4000) text = "..." + text.substr(text.size() - 4000);
        if (fs::exists(file) && WIFEXITED(status) && WEXITSTATUS(status) == 0) return e2e::Attempt::done();
        // The holder names the cause on its last line ("bnet-e2e hold: ...") before its
        // redaction's counts; it comes first.
        std::string cause;
        for (auto at = text.rfind("bnet-e2e hold: "); at != std::string::npos && cause.empty();
             at = at == 0 ? std::string::npos : text.rfind("bnet-e2e hold: ", at - 1)) {
          auto line = text.substr(at, text.find('\n', at) - at);
          if (!line.starts_with("bnet-e2e hold: redacted ") && !line.starts_with("bnet-e2e hold: could not redact ")) {
            cause = line + "\n";
          }
        }
        return e2e::Attempt::fail(fmt::format("{}the holder {}; its log {}:\n{}", e2e::Redactor::instance().redact(cause),
                                              e2e::ExitStatus::fromWaitStatus(status).describe(), log.string(),
                                              e2e::Redactor::instance().redact(text)));
      }
      if (boot.started()) {
        auto seen = boot.poll();
        std::size_t count = boot.upCount() - seen.size();
        for (const auto& unit : seen) progress.note(fmt::format("boot unit {} up ({}/{})", unit, ++count, boot.total()));
        progress.update(boot.upCount() == boot.total()
                            ? std::string("builder booted; waiting for /readyz and SSH")
                            : fmt::format("builder VM booting: {}/{} boot units up", boot.upCount(), boot.total()));
      } else {
        progress.tick();
      }
      if (!fs::exists(file)) return e2e::Attempt::retry("starting (no state file yet)");
      return e2e::Attempt::done();
    }, {.first_interval = 200ms, .max_interval = 1s});
    state = TestbedState::read(file);
  } catch (const e2e::WaitError& e) {
    progress.finish("failed");
    ::kill(pid, SIGTERM);
    throw CommandError(kExitFailed, e.what());
  }
  progress.finish(state.unavailable.empty() ? "up" : "cannot run here");
  printEndpoints(state, file);
  return 0;
}

// What the run's last step needs of a state that is going away: its environment file and
// its secrets (mode 0600, outside the artifacts).
void writeRedactionFile(const fs::path& state_file, const TestbedState& state) {
  nlohmann::json j{{"environment", state.environment}, {"secrets", state.secrets}};
  e2e::writeFileAtomic(redactionFileFor(state_file), j.dump() + "\n", fs::perms::owner_read | fs::perms::owner_write);
}

int down(const EnvOptions& o) {
  std::vector<fs::path> files;
  if (o.all) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(stateDir(), ec)) {
      if (entry.path().filename().string().rfind("env-", 0) == 0) files.push_back(entry.path());
    }
    if (const char* s = std::getenv("BNET_E2E_STATE"); s && *s && fs::exists(s)) files.emplace_back(s);
  } else if (!o.state.empty() || std::getenv("BNET_E2E_STATE")) {
    files.push_back(statePath(o, ""));  // no need to load the environment to stop it
  } else {
    const auto& env = selectEnvironment(o);
    files.push_back(statePath(o, env.name));
  }
  for (const auto& file : files) {
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    TestbedState state;
    try {
      state = TestbedState::read(file);
    } catch (const std::exception& e) {
      fmt::print("removing unreadable state {}: {}\n", file.string(), e.what());
      fs::remove(file, ec);
      continue;
    }
    if (holderAlive(state)) {
      Progress progress(fmt::format("down {}", fs::path(state.environment).stem().string()));
      progress.update(fmt::format("stopping the environment (holder pid {})", state.holder_pid));
      ::kill(state.holder_pid, SIGTERM);
      try {
        e2e::eventually(fmt::format("holder {} to stop", state.holder_pid), 180s, [&] {
          progress.tick();
          return e2e::Attempt::check(!holderAlive(state), "still stopping the environment");
        }, {.first_interval = 100ms, .max_interval = 1s});
        progress.finish("stopped");
      } catch (const e2e::WaitTimeout& e) {
        progress.finish(fmt::format("{}; killing it", e.what()));
        ::kill(state.holder_pid, SIGKILL);
      }
    }
    if (state.unavailable.empty() && !state.artifact_dir.empty()) {
      // The holder redacts its logs when it stops, but not when it was killed or crashed, and
      // a test process killed by a ctest timeout never redacted its own: redact the whole run
      // folder. Under a runner (BNET_E2E_RUN_ID set: main-job.sh, `bnet-e2e run`) its last
      // step gets the secrets from the redaction file, for what is written after this
      // (ctest's JUnit), and removes it.
      // From the state read above: the holder removes the file when it stops.
      for (const auto& note : registerRunSecrets(state)) fmt::print("down: {}\n", note);
      if (const char* run_id = std::getenv("BNET_E2E_RUN_ID"); run_id && *run_id) writeRedactionFile(file, state);
      // The run folder is the one holding the testbed's ("testbed", "testbed-<stem>").
      const fs::path run_folder = state.artifact_dir.parent_path();
      const bool in_run_folder = state.artifact_dir.filename().string().starts_with("testbed") &&
                                 run_folder.has_relative_path();
      redactAndReport({in_run_folder ? run_folder : state.artifact_dir}, "down");
    }
    fs::remove(file, ec);
  }
  auto result = e2e::ProcessRegistry::reap(o.all);
  for (const auto& note : result.notes) fmt::print("{}\n", note);
  fmt::print("down: {} state file(s), {} process(es) killed, {} path(s) removed\n", files.size(), result.killed,
             result.removed_paths);
  return 0;
}

int status(const EnvOptions& o) {
  const auto& env = selectEnvironment(o);
  auto file = statePath(o, env.name);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fmt::print("{} is not up (no state file {})\n", env.name, file.string());
    return kExitFailed;
  }
  auto state = TestbedState::read(file);
  if (!state.unavailable.empty()) {
    printEndpoints(state, file);
    return 0;
  }
  if (!holderAlive(state)) {
    fmt::print("{}: the holder (pid {}) is gone; run `bnet-e2e down` to clean up\n", env.name, state.holder_pid);
    return kExitFailed;
  }
  printEndpoints(state, file);
  try {
    e2e::HttpClient https({.base_url = state.https_url, .timeout = 5000ms, .tls = {.verify = false}});
    fmt::print("builder /readyz: {}\n", https.get("/readyz").status);
  } catch (const std::exception& e) {
    fmt::print("builder /readyz: {}\n", e.what());
  }
  return 0;
}

void addEnvOptions(CLI::App* cmd, EnvOptions& o) {
  cmd->add_option("--env", o.env, "environment NAME or PATH (default: $BNET_E2E_ENV or local)");
  cmd->add_option("--state", o.state, "state file (default: $BNET_E2E_STATE or /tmp/bnet-e2e-state/env-<name>.json)");
}

}  // namespace

void addEnvironmentCommands(CLI::App& app) {
  auto options = std::make_shared<EnvOptions>();
  auto* up_cmd = app.add_subcommand("up", "launch an environment and leave it running; prints its endpoints");
  addEnvOptions(up_cmd, *options);
  up_cmd->add_option("--timeout", options->timeout_seconds, "seconds to wait for it (default: boot budget + 300)");
  up_cmd->add_flag("--stop-with-parent", options->stop_with_parent,
                   "stop the environment when the process that ran up exits, however it ends (the e2e_env "
                   "fixture: a killed ctest leaves nothing running); without it the environment runs until down");
  up_cmd->callback([options] {
    if (int rc = up(*options); rc != 0) throw CommandError(rc, "up failed");
  });
  auto* down_cmd = app.add_subcommand("down", "stop an environment started by up (and reap what crashed runs left)");
  addEnvOptions(down_cmd, *options);
  down_cmd->add_flag("--all", options->all, "every environment and every process any run of this project left");
  down_cmd->callback([options] { down(*options); });
  auto* status_cmd = app.add_subcommand("status", "show a running environment's endpoints and readiness");
  addEnvOptions(status_cmd, *options);
  status_cmd->callback([options] {
    if (int rc = status(*options); rc != 0) throw CommandError(rc, "not up");
  });
  auto* hold_cmd = app.add_subcommand("hold", "(internal) own a launched environment until SIGTERM");
  hold_cmd->group("");
  addEnvOptions(hold_cmd, *options);
  hold_cmd->add_option("--owner", options->owner, "PID:START_TICKS of the process whose exit stops the holder");
  hold_cmd->callback([options] {
    if (int rc = hold(*options); rc != 0) throw CommandError(rc, "hold failed");
  });
}

}  // namespace bnet::cli
