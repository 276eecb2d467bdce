// bnet-e2e ssh / logs / console: look into the environment `bnet-e2e up` left running,
// found through its state file. Nothing here starts or stops a component.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include "fixtures/environment/environment.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "framework/artifacts/redactor.hpp"
#include "framework/process/child_process.hpp"
#include "framework/qemu/console_reader.hpp"
#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/running_environment.hpp"

extern char** environ;

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::atomic<bool> g_stop{false};
extern "C" void onStopSignal(int) { g_stop = true; }

// Ctrl-C, SIGTERM and SIGHUP end a follow loop cleanly (no SA_RESTART: a blocked read or
// poll returns at once). A closed stdout (`| head`) ends it too.
void installStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

// Writes all of text to stdout; false when stdout is gone.
bool writeOut(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Complete lines go out redacted, without terminal codes unless stdout is a terminal; an
// unfinished line waits for its end (or for flush()).
class LineWriter {
 public:
  LineWriter() : terminal_(::isatty(STDOUT_FILENO) == 1) {}
  bool add(std::string_view chunk) {
    pending_.append(chunk);
    auto end = pending_.rfind('\n');
    if (end == std::string::npos) return true;
    bool ok = emit(pending_.substr(0, end + 1));
    pending_.erase(0, end + 1);
    return ok;
  }
  bool flush() {
    if (pending_.empty()) return true;
    bool ok = emit(pending_ + "\n");
    pending_.clear();
    return ok;
  }

 private:
  bool emit(const std::string& lines) {
    std::string text = e2e::Redactor::instance().redact(lines);
    if (!terminal_) {
      std::string clean;
      std::size_t start = 0;
      while (start < text.size()) {
        auto nl = text.find('\n', start);
        clean += e2e::stripTerminalCodes(std::string_view(text).substr(start, nl - start));
        clean += '\n';
        start = nl + 1;
      }
      text = std::move(clean);
    }
    return writeOut(text);
  }
  bool terminal_;
  std::string pending_;
};

std::string readFrom(const fs::path& file, std::uint64_t offset) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Where the last `lines` lines of text begin (0: all of it).
std::size_t tailStart(const std::string& text, int lines) {
  if (lines <= 0) return 0;
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  int count = 0;
  while (end > 0) {
    auto nl = text.rfind('\n', end - 1);
    if (nl == std::string::npos) return 0;
    if (++count == lines) return nl + 1;
    end = nl;
  }
  return 0;
}

// Prints a log file (its last `lines` lines when > 0), then with follow keeps printing what
// is appended until a stop signal, like `tail -f` (a truncated file is read from its start).
void printFile(const fs::path& file, int lines, bool follow) {
  std::error_code ec;
  if (!follow && !fs::exists(file, ec)) throw CommandError(kExitFailed, fmt::format("{} does not exist", file.string()));
  std::string text = readFrom(file, 0);
  std::uint64_t offset = text.size();
  const std::size_t start = tailStart(text, lines);
  LineWriter out;
  if (!out.add(std::string_view(text).substr(start))) return;
  if (!follow) {
    out.flush();
    return;
  }
  installStopHandlers();
  while (!g_stop) {
    std::this_thread::sleep_for(200ms);
    auto size = fs::file_size(file, ec);
    if (ec) continue;  // not there yet, or being replaced
    if (size < offset) offset = 0;
    if (size == offset) continue;
    std::string more = readFrom(file, offset);
    offset += more.size();
    if (!out.add(more)) return;
  }
  out.flush();
}

// Runs ssh with args, its output through LineWriter. With follow, stops it on a stop signal
// (and closes its stdin, which ends the remote side). Returns ssh's exit status.
e2e::ExitStatus runSsh(const std::vector<std::string>& args, bool follow) {
  int out_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw CommandError(kExitFailed, fmt::format("pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (follow) installStopHandlers();
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "ssh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(in_pipe[0]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(in_pipe[1]);
    throw CommandError(kExitFailed, fmt::format("cannot run ssh: {}", std::strerror(rc)));
  }
  LineWriter out;
  bool stopping = false;
  char buf[8192];
  for (;;) {
    if (g_stop && !stopping) {
      stopping = true;
      ::close(in_pipe[1]);
      in_pipe[1] = -1;
      ::kill(pid, SIGTERM);
    }
    pollfd p{.fd = out_pipe[0], .events = POLLIN, .revents = 0};
    int n = ::poll(&p, 1, 200);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) continue;
    ssize_t got = ::read(out_pipe[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (!out.add(std::string_view(buf, static_cast<std::size_t>(got))) && !stopping) g_stop = true;
  }
  out.flush();
  ::close(out_pipe[0]);
  if (in_pipe[1] >= 0) ::close(in_pipe[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (stopping || g_stop) return {};  // stopped on request (ssh may have had the signal too): a clean end
  return e2e::ExitStatus::fromWaitStatus(status);
}

// One thing whose log `logs` can show.
struct Component {
  std::string name;
  std::string what;
  fs::path file;  // empty: the builder's journal over SSH
};

std::vector<std::string> builderUnits(const TestbedState& state) {
  std::vector<std::string> units;
  try {
    units = Environment::load(state.environment).image().unitNames();
  } catch (const std::exception&) {
    // The environment file moved or needs credentials: the default boot units.
  }
  if (units.empty()) units = defaultBootUnits();
  for (auto& u : units) {
    if (u.find('.') == std::string::npos) u += ".service";
  }
  return units;
}

// The components this state file knows, in start order; those without a log are left out.
std::vector<Component> componentsOf(const TestbedState& s) {
  std::vector<Component> all;
  auto add = [&](std::string name, std::string what, const fs::path& file) {
    std::error_code ec;
    if (!file.empty() && fs::is_regular_file(file, ec)) all.push_back({std::move(name), std::move(what), file});
  };
  const fs::path dir = s.artifact_dir;
  add("holder", "the process that owns the launched environment (bnet-e2e hold)", s.holder_log);
  if (!dir.empty()) {
    add("l1", "the L1 devnet: slot clock, relay and beacon stand-ins (bnet-devnet)", dir / "l1" / "bnet-devnet.log");
    add("anvil", "the execution client (anvil)", dir / "l1" / "anvil.log");
  }
  add("relay", "the relay (mev-boost-relay)", s.l1.relay_log);
  if (!dir.empty()) {
    add("hub", "BuilderHub (the local stand-in)", dir / "hub" / "hub-standin.log");
    std::vector<fs::path> gateways;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir / "hub", ec)) {
      auto name = entry.path().filename().string();
      if (name.starts_with("attestation-gateway") && name.ends_with(".log")) gateways.push_back(entry.path());
    }
    std::sort(gateways.begin(), gateways.end());
    for (std::size_t i = 0; i < gateways.size(); ++i) {
      add(i == 0 ? "gateway" : fmt::format("gateway-{}", i + 1), "the attestation gateway in front of the hub", gateways[i]);
    }
  }
  if (s.ssh_port > 0) all.push_back({"builder", "the builder VM's boot units (journalctl over SSH)", {}});
  add("console", "the builder VM's serial console", s.console_path);
  if (!dir.empty()) add("qemu", "QEMU's own output", dir / "builder" / "qemu.log");
  return all;
}

struct LogsOptions {
  std::string state, env, component;
  bool follow = false;
  int lines = 0;
};

void logs(const LogsOptions& o) {
  auto running = findRunningEnvironment(o.state, o.env);
  auto components = componentsOf(running.state);
  if (o.component.empty()) {
    fmt::print("components of {} (bnet-e2e logs COMPONENT [-f]):\n", running.state.environment);
    for (const auto& c : components) {
      fmt::print("  {:<10} {} ({})\n", c.name, c.what, c.file.empty() ? "ssh" : c.file.string());
    }
    return;
  }
  const std::string wanted = o.component == "devnet" ? "l1" : o.component;  // the L1 devnet, by either name
  auto it = std::find_if(components.begin(), components.end(), [&](const Component& c) { return c.name == wanted; });
  if (it == components.end()) {
    std::string names;
    for (const auto& c : components) names += (names.empty() ? "" : ", ") + c.name;
    throw CommandError(kExitBadInput, fmt::format("unknown component '{}'; this environment has: {}", o.component, names));
  }
  std::fflush(stdout);
  if (!it->file.empty()) {
    printFile(it->file, o.lines, o.follow);
    return;
  }
  auto args = sshArgs(running.state, true);
  std::string journal = running.state.ssh_user == "root" ? "journalctl" : "sudo -n journalctl";
  journal += " -o cat --no-pager";
  if (o.lines > 0) journal += fmt::format(" -n {}", o.lines);
  for (const auto& unit : builderUnits(running.state)) journal += " -u " + unit;
  if (o.follow) {
    // The remote journalctl ends when this side goes: `cat` sees ssh's stdin close.
    args.push_back(fmt::format("{} -f & j=$!; cat >/dev/null; kill $j 2>/dev/null; wait $j 2>/dev/null; true", journal));
  } else {
    args.push_back(journal);
  }
  auto status = runSsh(args, o.follow);
  if (!status.success()) {
    throw CommandError(kExitFailed, fmt::format("journalctl on the builder over ssh {}", status.describe()));
  }
}

struct SshOptions {
  std::string state, env;
  std::vector<std::string> command;
};

[[noreturn]] void execSsh(const SshOptions& o) {
  auto running = findRunningEnvironment(o.state, o.env);
  auto args = sshArgs(running.state, !o.command.empty());
  if (!o.command.empty()) {
    args.push_back("--");
    args.insert(args.end(), o.command.begin(), o.command.end());
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execvp("ssh", argv.data());
  throw CommandError(kExitFailed, fmt::format("cannot run ssh (the OpenSSH client): {}", std::strerror(errno)));
}

}  // namespace

void addAttachCommands(CLI::App& app) {
  auto ssh_options = std::make_shared<SshOptions>();
  auto* ssh = app.add_subcommand(
      "ssh",
      "SSH into the running environment's builder VM with the system ssh client: a shell without COMMAND, else runs "
      "COMMAND there and exits with its exit code (255: ssh itself failed). The host key is checked strictly against "
      "the key pinned when the environment came up.");
  ssh->add_option("--state", ssh_options->state, "state file (default: $BNET_E2E_STATE or /tmp/bnet-e2e-state/env-<name>.json)");
  ssh->add_option("--env", ssh_options->env, "environment NAME or PATH whose state to use (default: $BNET_E2E_ENV or local)");
  ssh->add_option("command", ssh_options->command, "the command to run in the VM (after --)");
  ssh->callback([ssh_options] { execSsh(*ssh_options); });

  auto logs_options = std::make_shared<LogsOptions>();
  auto* logs_cmd = app.add_subcommand(
      "logs", "print a component's log; without COMPONENT, list the components the running environment has");
  logs_cmd->add_option("component", logs_options->component,
                       "holder, l1 (or devnet), anvil, relay, hub, gateway, builder (the VM's boot units' journal over SSH), "
                       "console, qemu: those the environment has");
  logs_cmd->add_flag("-f,--follow", logs_options->follow, "keep printing what is appended until Ctrl-C or SIGTERM");
  logs_cmd->add_option("-n,--lines", logs_options->lines, "only the last N lines (default: all)")->check(CLI::NonNegativeNumber);
  logs_cmd->add_option("--state", logs_options->state, "state file (default: $BNET_E2E_STATE or /tmp/bnet-e2e-state/env-<name>.json)");
  logs_cmd->add_option("--env", logs_options->env, "environment NAME or PATH whose state to use (default: $BNET_E2E_ENV or local)");
  logs_cmd->callback([logs_options] { logs(*logs_options); });

  auto console_options = std::make_shared<LogsOptions>();
  auto* console = app.add_subcommand(
      "console",
      "follow the builder VM's serial console (ttyS0), read-only: the VM writes it to a file (QEMU -serial file), so "
      "this shows it like tail -f and never takes input from, stops or steals the VM's console. Ctrl-C ends it.");
  console->add_flag_function("--no-follow", [console_options](std::int64_t) { console_options->follow = false; },
                    "print what is there and exit");
  console->add_option("-n,--lines", console_options->lines, "start with the last N lines (default: all)")->check(CLI::NonNegativeNumber);
  console->add_option("--state", console_options->state, "state file (default: $BNET_E2E_STATE or /tmp/bnet-e2e-state/env-<name>.json)");
  console->add_option("--env", console_options->env, "environment NAME or PATH whose state to use (default: $BNET_E2E_ENV or local)");
  console_options->follow = true;
  console->callback([console_options] {
    auto running = findRunningEnvironment(console_options->state, console_options->env);
    if (running.state.console_path.empty()) {
      throw CommandError(kExitFailed, "the running environment's builder has no serial console file (an attached VM)");
    }
    std::fflush(stdout);
    printFile(running.state.console_path, console_options->lines, console_options->follow);
  });
}

}  // namespace bnet::cli
