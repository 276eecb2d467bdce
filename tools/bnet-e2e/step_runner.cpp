#include "tools/bnet-e2e/step_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "tools/bnet-e2e/commands.hpp"

extern char** environ;

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<int> g_signal{0};
extern "C" void onStepSignal(int sig) { g_signal = sig; }

}  // namespace

e2e::ExitStatus runStep(const StepCommand& command, Progress& progress,
                        const std::function<void(std::string_view, bool)>& on_line) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw CommandError(kExitFailed, fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw CommandError(kExitFailed, fmt::format("pipe: {}", std::strerror(errno)));
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (command.env.count(std::string(kv.substr(0, kv.find('='))))) continue;
    env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : command.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!command.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, command.working_dir.c_str());

  struct sigaction sa {}, old_int{}, old_term{}, old_hup{};
  sa.sa_handler = onStepSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  ::sigaction(SIGHUP, &sa, &old_hup);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  auto restore = [&] {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    ::sigaction(SIGHUP, &old_hup, nullptr);
  };
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    restore();
    throw CommandError(kExitFailed, fmt::format("cannot run {}: {}", command.argv.at(0), std::strerror(rc)));
  }

  std::string partial[2];
  bool open[2] = {true, true};
  int fds[2] = {out_pipe[0], err_pipe[0]};
  bool forwarded = false;
  auto last_tick = std::chrono::steady_clock::now();
  char buf[8192];
  while (open[0] || open[1]) {
    if (int sig = g_signal.load(); sig != 0 && !forwarded) {
      forwarded = true;
      ::kill(pid, SIGTERM);
      progress.note(fmt::format("signal {}: stopping {}", sig, command.argv.at(0)));
    }
    pollfd p[2];
    nfds_t n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (!open[i]) continue;
      p[n] = {.fd = fds[i], .events = POLLIN, .revents = 0};
      which[n++] = i;
    }
    int ready = ::poll(p, n, 1000);
    if (std::chrono::steady_clock::now() - last_tick >= std::chrono::seconds(1)) {
      progress.tick();
      last_tick = std::chrono::steady_clock::now();
    }
    if (ready <= 0) continue;
    for (nfds_t k = 0; k < n; ++k) {
      if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = which[k];
      ssize_t got = ::read(fds[i], buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        open[i] = false;
        if (!partial[i].empty()) on_line(partial[i], i == 1);
        partial[i].clear();
        continue;
      }
      partial[i].append(buf, static_cast<std::size_t>(got));
      std::size_t start = 0;
      for (auto nl = partial[i].find('\n'); nl != std::string::npos; nl = partial[i].find('\n', start)) {
        on_line(std::string_view(partial[i]).substr(start, nl - start), i == 1);
        start = nl + 1;
      }
      partial[i].erase(0, start);
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    if (int sig = g_signal.load(); sig != 0 && !forwarded) {
      forwarded = true;
      ::kill(pid, SIGTERM);
    }
  }
  restore();
  return e2e::ExitStatus::fromWaitStatus(status);
}

}  // namespace bnet::cli
