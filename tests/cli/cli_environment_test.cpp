// bnet-e2e end to end against `local`: up, status, ssh, logs, console, a suite attaching
// without starting anything, then down leaving no process of that environment behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <set>
#include <thread>

#include "fixtures/common/programs.hpp"
#include "fixtures/testbed/testbed.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/fs/fs.hpp"
#include "framework/process/child_process.hpp"
#include "framework/process/registry.hpp"
#include "framework/wait/eventually.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

struct ProcInfo {
  pid_t pid = 0;
  std::string comm;
  pid_t session = 0;
  pid_t ppid = 0;
};

// Every live process, with its name (comm), parent and session id (/proc/<pid>/stat fields
// 2, 4, 6).
std::vector<ProcInfo> listProcesses() {
  std::vector<ProcInfo> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0, pgrp = 0, session = 0;
    rest >> state >> ppid >> pgrp >> session;
    if (state == "Z") continue;
    out.push_back({std::stoi(name), stat.substr(open + 1, close - open - 1), session, ppid});
  }
  return out;
}

// The project's programs: QEMU, anvil and our own bnet-* binaries.
bool isProjectProgram(const std::string& comm) {
  return comm.starts_with("qemu-system") || comm == "anvil" || comm.starts_with("bnet-");
}

// The project's programs that descend from `ancestor` (by their parents' chain), outside
// the session `except` (the holder's): what a process this test started started in turn.
// Not the session of the test: ctest runs other tests in it, VM tests among them.
std::set<std::string> projectProgramsBelow(pid_t ancestor, pid_t except) {
  const auto all = listProcesses();
  std::map<pid_t, pid_t> parent;
  for (const auto& p : all) parent[p.pid] = p.ppid;
  std::set<std::string> names;
  for (const auto& p : all) {
    if (p.session == except || !isProjectProgram(p.comm)) continue;
    for (pid_t up = p.ppid, hops = 0; up > 1 && hops < 64; up = parent.count(up) ? parent[up] : 0, ++hops) {
      if (up == ancestor) {
        names.insert(p.comm);
        break;
      }
    }
  }
  return names;
}

std::set<std::string> projectProgramsInSession(pid_t session) {
  std::set<std::string> names;
  for (const auto& p : listProcesses()) {
    if (p.session == session && isProjectProgram(p.comm)) names.insert(fmt::format("{} (pid {})", p.comm, p.pid));
  }
  return names;
}

// Waits until the holder and every project program in its session have exited.
void waitUntilTheEnvironmentIsGone(pid_t holder, const std::string& what, e2e::Clock::duration budget) {
  e2e::eventually(what, budget, [&] {
    auto left = projectProgramsInSession(holder);
    return e2e::Attempt::check(left.empty() && e2e::processStartTicks(holder) == 0,
                               fmt::format("left: {}{}", fmt::join(left, ", "),
                                           e2e::processStartTicks(holder) ? "; the holder still runs" : ""));
  });
}

// The listening TCP sockets' ports (/proc/net/tcp and tcp6, state 0A). Sockets left in
// TIME_WAIT by closed connections are not listeners: the port is free for a new server.
std::set<int> listeningPorts() {
  std::set<int> ports;
  for (const auto* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos) ports.insert(std::stoi(local.substr(colon + 1), nullptr, 16));
    }
  }
  return ports;
}

std::vector<int> portsOf(const TestbedState& s) {
  std::vector<int> ports;
  static const std::regex kPort(R"(^\w+://(?:127\.0\.0\.1|localhost|\[::1\]):(\d+))");
  for (const auto& url : {s.l1.el_url, s.l1.beacon_url, s.l1.relay_url, s.hub_instance_url, s.hub_admin_url,
                          s.hub_internal_url, s.https_url, s.rpc_url}) {
    std::smatch m;
    if (std::regex_search(url, m, kPort)) ports.push_back(std::stoi(m[1]));
  }
  if (s.ssh_port > 0) ports.push_back(s.ssh_port);
  return ports;
}

class CliEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!findTwinImage(why)) GTEST_SKIP() << why;
    if (!e2e::findProgram("ssh")) GTEST_SKIP() << "the OpenSSH client (ssh) is not on PATH (apt-get install openssh-client)";
    cli_ = findProjectProgram("bnet-e2e", {}, "BNET_E2E_CLI");
    dir_ = e2e::Artifacts::instance().testDir();
    state_ = dir_ / "state" / "env-local.json";
    fs::create_directories(state_.parent_path());
    env_ = {{"BNET_E2E_ENV", "local"},
            {"BNET_E2E_STATE_DIR", (dir_ / "state").string()},
            {"BNET_E2E_ARTIFACTS", (dir_ / "runs").string()},
            {"BNET_E2E_RUN_ID", "cli-environment"}};
  }
  void TearDown() override {
    std::error_code ec;
    if (!cli_.empty() && fs::exists(state_, ec)) run({"down", "--state", state_.string()}, 300s);
  }
  e2e::CommandResult run(std::vector<std::string> args, e2e::Clock::duration budget = 120s,
                         std::map<std::string, std::string> extra_env = {}) {
    auto env = env_;
    env.insert(extra_env.begin(), extra_env.end());
    return e2e::runCommand({.name = "bnet-e2e", .executable = cli_, .args = std::move(args), .env = std::move(env),
                            .unset_env = {"BNET_E2E_STATE"}, .log_path = dir_ / fmt::format("cli-{}.log", runs_++)},
                           e2e::Deadline::after(budget));
  }

  fs::path cli_, dir_, state_;
  std::map<std::string, std::string> env_;
  int runs_ = 0;
};

TEST_F(CliEnvironment, UpThenSshLogsConsoleAndAnAttachingSuiteThenDownLeavesNothing) {
  auto up = run({"up", "--state", state_.string()}, 1500s);
  ASSERT_TRUE(up.status.success()) << up.output;
  EXPECT_THAT(up.output, HasSubstr("/environments/local.json is up (holder pid "));
  EXPECT_THAT(up.output, HasSubstr("boot unit render-config up")) << "progress names the boot units as they come up";
  const auto state = TestbedState::read(state_);
  ASSERT_EQ(state.unavailable, "") << "the environment came up whole";
  const pid_t holder = state.holder_pid;
  const auto launched = projectProgramsInSession(holder);
  {
    const auto listening = listeningPorts();
    for (int port : portsOf(state)) EXPECT_TRUE(listening.count(port)) << "port " << port << " listens while up";
  }
  for (const auto* program : {"qemu-system", "anvil", "bnet-devnet", "bnet-hub-standi"}) {
    EXPECT_TRUE(std::any_of(launched.begin(), launched.end(), [&](const std::string& p) { return p.starts_with(program); }))
        << program << " runs in the holder's session; found: " << fmt::format("{}", fmt::join(launched, ", "));
  }

  auto status = run({"status", "--state", state_.string()});
  ASSERT_TRUE(status.status.success()) << status.output;
  for (const auto* line : {"EL JSON-RPC      http://127.0.0.1:", "BuilderHub       http://127.0.0.1:", "builder SSH      ssh -p ",
                           "builder /readyz: 200"}) {
    EXPECT_THAT(status.output, HasSubstr(line));
  }

  auto active = run({"ssh", "--state", state_.string(), "--", "systemctl", "is-active", "rbuilder-operator"});
  EXPECT_TRUE(active.status.success()) << active.output;
  EXPECT_EQ(active.output, "active\n");
  auto code = run({"ssh", "--state", state_.string(), "--", "exit", "7"});
  EXPECT_EQ(code.status.describe(), "exited with code 7") << "the remote exit code comes back";

  auto list = run({"logs", "--state", state_.string()});
  ASSERT_TRUE(list.status.success()) << list.output;
  for (const auto* c : {"holder", "l1", "anvil", "hub", "gateway", "builder", "console", "qemu"}) {
    EXPECT_THAT(list.output, HasSubstr(fmt::format("\n  {} ", c))) << list.output;
  }
  auto hub = run({"logs", "hub", "--state", state_.string()});
  ASSERT_TRUE(hub.status.success()) << hub.output;
  EXPECT_THAT(hub.output, HasSubstr("msg=\"starting builder-hub\" service=hub-standin"));
  auto builder = run({"logs", "builder", "--state", state_.string()});
  ASSERT_TRUE(builder.status.success()) << builder.output;
  EXPECT_THAT(builder.output, HasSubstr("All templates rendered successfully."));
  EXPECT_THAT(builder.output, HasSubstr("persistent-setup: Completed setup for"));
  for (const auto& secret : state.secrets) {
    if (secret.size() >= 4) {
      EXPECT_THAT(builder.output, ::testing::Not(HasSubstr(secret))) << "a secret in the journal output";
    }
  }
  {
    auto follow = e2e::ChildProcess::start({.name = "bnet-e2e-logs-builder",
                                            .executable = cli_,
                                            .args = {"logs", "builder", "-f", "-n", "5", "--state", state_.string()},
                                            .env = env_,
                                            .log_path = dir_ / "logs-builder-follow.log"});
    e2e::eventually("logs builder -f printed journal lines", 60s, [&] {
      return e2e::Attempt::check(!follow.logText().empty(), "nothing yet");
    });
    EXPECT_EQ(follow.stop().describe(), "exited with code 0") << "SIGTERM ends a follow cleanly";
    e2e::eventually("the VM's journalctl -f ended with the follow", 60s, [&] {
      auto left = run({"ssh", "--state", state_.string(), "--", "cat /proc/[0-9]*/comm 2>/dev/null | grep -cx journalctl"});
      return e2e::Attempt::check(left.output == "0\n", "journalctl processes in the VM: " + left.output);
    });
  }
  auto nosuch = run({"logs", "nosuch", "--state", state_.string()});
  EXPECT_EQ(nosuch.status.describe(), "exited with code 2");

  auto console = run({"console", "--no-follow", "--state", state_.string()});
  ASSERT_TRUE(console.status.success()) << console.output;
  EXPECT_THAT(console.output, HasSubstr("Linux version"));
  EXPECT_THAT(console.output, HasSubstr("render-config"));
  {
    auto follow = e2e::ChildProcess::start({.name = "bnet-e2e-console",
                                            .executable = cli_,
                                            .args = {"console", "-n", "20", "--state", state_.string()},
                                            .env = env_,
                                            .log_path = dir_ / "console-follow.log"});
    e2e::eventually("console printed the last lines", 30s, [&] {
      return e2e::Attempt::check(follow.logText().size() > 0, "nothing yet");
    });
    EXPECT_EQ(follow.stop().describe(), "exited with code 0") << "SIGTERM ends the console cleanly";
    EXPECT_TRUE(projectProgramsInSession(holder).size() >= launched.size()) << "the VM survives the console";
  }

  // The issue's check: a suite attaches to the running environment and starts nothing.
  fs::path suite = e2e::inBuildTree("suites/boot_sequence_suite");
  if (fs::exists(suite)) {
    std::atomic<bool> done{false};
    std::set<std::string> started_by_suite;
    std::mutex mu;
    std::thread watcher([&] {
      while (!done) {
        for (const auto& comm : projectProgramsBelow(::getpid(), holder)) {
          std::lock_guard lock(mu);
          started_by_suite.insert(comm);
        }
        std::this_thread::sleep_for(50ms);
      }
    });
    auto before = projectProgramsInSession(holder);
    auto env = env_;
    env["BNET_E2E_STATE"] = state_.string();
    auto result = e2e::runCommand({.name = "boot_sequence_suite",
                                   .executable = suite,
                                   .args = {"--gtest_filter=BootSequence.BuilderIsReadyWithinTheBootBudget"},
                                   .env = env,
                                   .log_path = dir_ / "boot_sequence_suite.log"},
                                  e2e::Deadline::after(600s));
    done = true;
    watcher.join();
    EXPECT_TRUE(result.status.success()) << result.output;
    EXPECT_THAT(result.output, HasSubstr("[  PASSED  ] 1 test"));
    EXPECT_TRUE(started_by_suite.empty()) << "the suite started " << fmt::format("{}", fmt::join(started_by_suite, ", "));
    EXPECT_EQ(projectProgramsInSession(holder), before) << "the environment's processes are the same ones";
    EXPECT_FALSE(fs::exists(dir_ / "runs" / "cli-environment" / "testbed" / "builder" / "console-2.log"));
  } else {
    ADD_FAILURE() << "no suite binary at " << suite << " (build boot_sequence_suite)";
  }

  auto down = run({"down", "--state", state_.string()}, 300s);
  ASSERT_TRUE(down.status.success()) << down.output;
  EXPECT_FALSE(fs::exists(state_)) << "down removes the state file";
  waitUntilTheEnvironmentIsGone(holder, "no process of the environment is left", 30s);
  auto ports = portsOf(state);
  EXPECT_GE(ports.size(), 7u) << "the state names the endpoints' ports";
  const auto listening = listeningPorts();
  for (int port : ports) EXPECT_FALSE(listening.count(port)) << "port " << port << " still has a listener after down";
}

// `up --stop-with-parent` (what the e2e_env fixture runs): the environment lives as long as
// the process that ran up. Here a shell runs up and then waits in place of ctest; it is
// killed with SIGKILL, as the CI's hard limit would kill ctest, so no `down` ever runs.
TEST_F(CliEnvironment, UpBoundToItsParentStopsEverythingWhenTheParentIsKilled) {
  auto env = env_;
  auto parent = e2e::ChildProcess::start(
      {.name = "up-parent",
       .executable = "/bin/sh",
       .args = {"-c", "\"$0\" up --stop-with-parent --state \"$1\" --timeout 1500 && echo UP-DONE && exec sleep 3600",
                cli_.string(), state_.string()},
       .env = env,
       .unset_env = {"BNET_E2E_STATE"},
       .log_path = dir_ / "up-parent.log"});
  e2e::eventually("up (run by the parent shell) to finish", 1600s, [&] {
    if (!parent.running()) return e2e::Attempt::fail("the parent shell exited: " + parent.logText());
    return e2e::Attempt::check(parent.logText().find("UP-DONE") != std::string::npos, "up still running");
  });
  const auto state = TestbedState::read(state_);
  ASSERT_EQ(state.unavailable, "") << "the environment came up whole";
  const pid_t holder = state.holder_pid;
  ASSERT_FALSE(projectProgramsInSession(holder).empty()) << "the environment's processes run";

  parent.signal(SIGKILL);
  waitUntilTheEnvironmentIsGone(holder, "the holder to stop everything after its parent was killed", 180s);
  EXPECT_FALSE(fs::exists(state_)) << "the holder removes the state file";
  const auto listening = listeningPorts();
  for (int port : portsOf(state)) EXPECT_FALSE(listening.count(port)) << "port " << port << " still has a listener";
  const std::string holder_log = e2e::readFile(state.holder_log);
  EXPECT_THAT(holder_log, ::testing::ContainsRegex("bnet-e2e hold: the process that ran `up` \\(pid [0-9]+\\) has "
                                                   "exited: stopping local"));
}

}  // namespace
}  // namespace bnet
