// Two local environments at once, as `ctest -L e2e -j2` with BNET_E2E_ENVIRONMENTS=2 brings
// them up: two `bnet-e2e up --state` in one run (one BNET_E2E_RUN_ID) must come up side by
// side with nothing in common (ports, folders, holders, VMs) and both be ready; both are
// taken down at the end, even when a check fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/testbed/testbed.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/http/http_client.hpp"
#include "framework/process/child_process.hpp"
#include "framework/fs/fs.hpp"

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ::testing::Ne;

// The pids of running qemu-system-x86_64 processes whose command line mentions `needle`.
std::vector<pid_t> qemuPidsMentioning(const std::string& needle) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find("qemu-system-x86_64") != std::string::npos && cmdline.find(needle) != std::string::npos) {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return pids;
}

// Removes a folder when it goes out of scope (after the environments using it are down).
struct RemoveDir {
  fs::path dir;
  ~RemoveDir() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

// Brings an environment down with its state file when it goes out of scope.
struct Down {
  fs::path state;
  fs::path log;
  ~Down() {
    try {
      e2e::runCommand({.name = "bnet-e2e-down", .executable = e2e::inBuildTree(BNET_E2E_CLI), .args = {"down", "--state", state.string()},
                       .log_path = log},
                      e2e::Deadline::after(300s));
    } catch (const std::exception&) {
    }
  }
};

TEST(ParallelEnvironments, TwoEnvironmentsUpAtOnceShareNoPortFolderOrVm) {
  if (auto why = bnet::BuilderVm::unavailableReason({})) GTEST_SKIP() << *why;
  std::string why;
  if (!bnet::findTwinImage(why)) GTEST_SKIP() << why;
  if (auto reason = bnet::L1Devnet::unavailableReason({})) GTEST_SKIP() << *reason;

  auto& artifacts = e2e::Artifacts::instance();
  const fs::path dir = artifacts.testDir();
  const std::map<std::string, std::string> env = {{"BNET_E2E_RUN_ID", artifacts.runId()},
                                                  {"BNET_E2E_ARTIFACTS", artifacts.config().root.string()},
                                                  {"BNET_E2E_ENV", "local"}};
  // State files hold the builders' secrets: outside the artifacts folder (0600 each).
  const fs::path state_dir = fs::temp_directory_path() / fmt::format("bnet-e2e-parallel-{}", ::getpid());
  fs::create_directories(state_dir);
  RemoveDir remove_state_dir{state_dir};
  std::vector<fs::path> states = {state_dir / "parallel-a.json", state_dir / "parallel-b.json"};
  std::vector<Down> downs;
  downs.reserve(states.size());
  std::vector<e2e::ChildProcess> ups;
  for (const auto& state : states) {
    downs.push_back({state, dir / (state.stem().string() + "-down.log")});
    ups.push_back(e2e::ChildProcess::start({.name = "up-" + state.stem().string(),
                                            .executable = e2e::inBuildTree(BNET_E2E_CLI),
                                            .args = {"up", "--state", state.string()},
                                            .env = env,
                                            .log_path = dir / (state.stem().string() + "-up.log")}));
  }
  const auto started = e2e::Clock::now();
  for (auto& up : ups) {
    auto status = up.wait(e2e::Deadline::after(1500s));
    ASSERT_TRUE(status.success()) << up.config().name << " " << status.describe() << ":\n" << up.logTail(30);
  }
  RecordProperty("both_up_seconds",
                 fmt::format("{:.1f}", std::chrono::duration<double>(e2e::Clock::now() - started).count()));

  std::vector<bnet::TestbedState> s;
  for (const auto& state : states) s.push_back(bnet::TestbedState::read(state));
  for (const auto& one : s) ASSERT_TRUE(one.unavailable.empty()) << one.unavailable;
  const auto& a = s[0];
  const auto& b = s[1];

  EXPECT_THAT(a.holder_pid, Ne(b.holder_pid));
  EXPECT_THAT(a.artifact_dir, Ne(b.artifact_dir));
  EXPECT_EQ(a.artifact_dir.parent_path(), b.artifact_dir.parent_path()) << "both in the one run folder";
  EXPECT_THAT(a.holder_log, Ne(b.holder_log));
  EXPECT_THAT(a.console_path, Ne(b.console_path));
  EXPECT_THAT(a.ssh_known_hosts, Ne(b.ssh_known_hosts));
  std::set<std::string> endpoints;
  for (const auto& one : s) {
    for (const std::string& url : {one.l1.el_url, one.l1.beacon_url, one.l1.relay_url, one.hub_instance_url,
                                   one.hub_admin_url, one.hub_internal_url, one.https_url, one.rpc_url,
                                   fmt::format("ssh:{}", one.ssh_port)}) {
      EXPECT_TRUE(endpoints.insert(url).second) << url << " is used by both environments";
    }
  }
  const auto vm_a = qemuPidsMentioning(a.console_path.string());
  const auto vm_b = qemuPidsMentioning(b.console_path.string());
  ASSERT_EQ(vm_a.size(), 1u) << "QEMU of environment a";
  ASSERT_EQ(vm_b.size(), 1u) << "QEMU of environment b";
  EXPECT_THAT(vm_a[0], Ne(vm_b[0]));

  for (const auto& one : s) {
    e2e::HttpClient https({.base_url = one.https_url, .timeout = 10000ms, .tls = {.verify = false}});
    EXPECT_EQ(https.get("/readyz").status, 200) << one.https_url << "/readyz";
  }
}

}  // namespace
