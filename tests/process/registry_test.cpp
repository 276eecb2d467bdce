#include "framework/process/registry.hpp"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "framework/process/child_process.hpp"
#include "framework/fs/fs.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace e2e {
namespace {

class ProcessRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bnet-e2e-registry-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("BNET_E2E_STATE_DIR", (dir_ / "state").c_str(), 1);
  }
  void TearDown() override {
    ProcessRegistry::reap(true);
    ::unsetenv("BNET_E2E_STATE_DIR");
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

pid_t findGuardianOf(pid_t parent) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    if (line.find("(e2e-guardian)") == std::string::npos) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

TEST_F(ProcessRegistryTest, ARunningChildIsRecordedAndForgottenWhenStopped) {
  auto owned = dir_ / "overlay.qcow2";
  std::ofstream(owned) << "x";
  auto child = ChildProcess::start({.name = "sleeper", .executable = "sleep", .args = {"100"},
                                    .log_path = dir_ / "sleeper.log", .owned_paths = {owned}});
  auto records = ProcessRegistry::list();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].pid, child.pid());
  EXPECT_EQ(records[0].owner_pid, ::getpid());
  EXPECT_EQ(records[0].name, "sleeper");
  EXPECT_EQ(records[0].start_ticks, processStartTicks(child.pid()));
  EXPECT_THAT(records[0].command, ::testing::EndsWith("sleep 100"));
  EXPECT_EQ(records[0].run_id, currentRunId());
  child.stop();
  EXPECT_TRUE(ProcessRegistry::list().empty());
  EXPECT_FALSE(fs::exists(owned)) << "owned paths go with their process";
}

TEST_F(ProcessRegistryTest, ReapEndsWhatACrashedRunLeftBehind) {
  // A power cut: the test process and its guardian die together, so only the records
  // remain to tell a later run what to clean up.
  auto owned = dir_ / "left-behind";
  fs::create_directories(owned);
  auto pid_file = dir_ / "pids";
  auto parent = ChildProcess::start({.name = "parent", .executable = e2e::inBuildTree(PROCESS_TEST_PARENT),
                                     .args = {pid_file.string(), owned.string()},
                                     .log_path = dir_ / "parent.log"});
  pid_t child = 0;
  pid_t grandchild = 0;
  eventually("parent wrote its child's pids", 20s, [&] {
    std::ifstream a(pid_file);
    std::ifstream b(pid_file.string() + ".grandchild");
    return Attempt::check(static_cast<bool>(a >> child) && static_cast<bool>(b >> grandchild), "not yet");
  });
  pid_t guardian = findGuardianOf(parent.pid());
  ASSERT_NE(guardian, 0) << "the parent's guardian was not found";
  ::kill(guardian, SIGKILL);
  ::kill(parent.pid(), SIGKILL);
  parent.wait(Deadline::after(5s));
  eventually("guardian gone", 5s, [&] { return Attempt::check(processStartTicks(guardian) == 0, "alive"); });
  ASSERT_NE(processStartTicks(child), 0u) << "without its guardian the orphan should still run";

  auto result = ProcessRegistry::reap();
  EXPECT_GE(result.killed, 2) << ::testing::PrintToString(result.notes);
  EXPECT_EQ(result.removed_paths, 1);
  eventually("orphans gone after reap", 5s, [&] {
    return Attempt::check(processStartTicks(child) == 0 && processStartTicks(grandchild) == 0,
                          "child or grandchild still alive");
  });
  EXPECT_FALSE(fs::exists(owned));
  EXPECT_TRUE(ProcessRegistry::list().empty());
}

TEST_F(ProcessRegistryTest, ReapLeavesLiveRunsAndReusedPidsAlone) {
  auto mine = ChildProcess::start({.name = "mine", .executable = "sleep", .args = {"100"},
                                   .log_path = dir_ / "mine.log"});
  // A record that names a live process but with another start time: a reused pid.
  auto bystander = ChildProcess::start({.name = "bystander", .executable = "sleep", .args = {"100"},
                                        .log_path = dir_ / "bystander.log"});
  ProcessRegistry::add({.run_id = "crashed-run", .owner_pid = 999999, .owner_start_ticks = 1,
                        .pid = bystander.pid(), .start_ticks = processStartTicks(bystander.pid()) + 1,
                        .name = "impostor", .command = "sleep 100"});
  auto result = ProcessRegistry::reap();
  EXPECT_EQ(result.killed, 0) << ::testing::PrintToString(result.notes);
  EXPECT_TRUE(mine.running()) << "a live run's processes are not reaped";
  EXPECT_TRUE(bystander.running()) << "a process whose start time differs is not the recorded one";

  auto all = ProcessRegistry::reap(true);
  EXPECT_GE(all.killed, 2);
  EXPECT_EQ(mine.wait(Deadline::after(5s)).describe(), "killed by signal 9 (SIGKILL)");
}

TEST_F(ProcessRegistryTest, UnreadableRecordsAreRemovedWithANote) {
  fs::create_directories(ProcessRegistry::directory());
  std::ofstream(ProcessRegistry::directory() / "1-2.json") << "{ not json";
  auto result = ProcessRegistry::reap();
  ASSERT_EQ(result.notes.size(), 1u);
  EXPECT_THAT(result.notes[0], ::testing::HasSubstr("removed unreadable record"));
  EXPECT_TRUE(ProcessRegistry::list().empty());
}

}  // namespace
}  // namespace e2e
