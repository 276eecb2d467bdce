// bnet-e2e up / status / down --env playground-buildernet end to end against the project's
// builder-playground impersonation (tests/l1/builder-playground): generate, start
// playground.yaml, the register hook at the hub stand-in, the lifecycle hooks booting the
// twin in place of the image (bnet-playground-twin, TCG), the framework attaching to it
// and waiting for /readyz, the suites that apply run attached to the session, then down
// leaving no process of the run and no port behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fixtures/common/programs.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "fixtures/testbed/testbed.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Live processes whose command line mentions `needle` (a run folder): what a run left.
std::vector<std::string> processesMentioning(const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == ::getpid()) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    std::ifstream stat(entry.path() / "stat");
    std::string s;
    std::getline(stat, s);
    auto close = s.rfind(')');
    if (close != std::string::npos && s.size() > close + 2 && s[close + 2] == 'Z') continue;
    if (cmdline.find(needle) != std::string::npos) out.push_back(fmt::format("{}: {}", name, cmdline.substr(0, 200)));
  }
  return out;
}

// The environment the impersonation runs: environments/playground-buildernet.json with what
// the impersonation replaces declared, each for its reason: the twin boots in place of the
// image (so the builder is checked against the twin's profile), and the L1 is bnet-devnet,
// whose blocks carry neither the builder's extraData nor its bid's block hash (as in local).
fs::path impersonatedEnvironment(const fs::path& dir) {
  auto doc = nlohmann::ordered_json::parse(e2e::readFile(e2e::inSourceTree("environments/playground-buildernet.json")));
  doc["image_profile"] = "twin";
  doc["expect"]["extra_data_on_chain"] = false;
  doc["expect"]["bid_hashes_on_chain"] = false;
  const fs::path path = dir / "environments" / "playground-buildernet.json";
  e2e::writeFileAtomic(path, doc.dump(2));
  return path;
}

// The "[  SKIPPED ] Suite.Test (N ms)" lines of a GoogleTest run, as Suite.Test.
std::set<std::string> skippedTests(const std::string& output) {
  std::set<std::string> out;
  static const std::regex kSkipped(R"(\[  SKIPPED \] (\w+\.\w+) \()");
  for (std::sregex_iterator it(output.begin(), output.end(), kSkipped), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

bool portListens(int port) {
  for (const auto* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos && std::stoi(local.substr(colon + 1), nullptr, 16) == port) return true;
    }
  }
  return false;
}

class CliPlayground : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!findTwinImage(why)) GTEST_SKIP() << why;
    auto anvil = findAnvil();
    if (!anvil) GTEST_SKIP() << "anvil not found: run tools/setup.sh or set BNET_ANVIL";
    cli_ = findProjectProgram("bnet-e2e", {}, "BNET_E2E_CLI");
    dir_ = e2e::Artifacts::instance().testDir();
    state_ = dir_ / "state" / "env-playground-buildernet.json";
    fs::create_directories(state_.parent_path());
    const fs::path l1_tests = e2e::inSourceTree("tests/l1");
    std::ofstream(dir_ / "image.qcow2") << "the twin boots in place of this image";
    offset_ = 20000 + (::getpid() % 5000);
    const char* path = std::getenv("PATH");
    env_ = {{"BNET_E2E_ENV", impersonatedEnvironment(dir_).string()},
            {"BNET_E2E_STATE_DIR", (dir_ / "state").string()},
            {"BNET_E2E_ARTIFACTS", (dir_ / "runs").string()},
            {"BNET_E2E_RUN_ID", "cli-playground"},
            {"BNET_E2E_PLAYGROUND", (l1_tests / "builder-playground").string()},
            {"BNET_E2E_PLAYGROUND_LOCK", (dir_ / "vm.lock").string()},
            {"BNET_E2E_PLAYGROUND_VM_MIB", "1024"},
            {"BNET_E2E_PLAYGROUND_VM_CPUS", "2"},
            {"BUILDERNET_IMAGE", (dir_ / "image.qcow2").string()},
            {"QEMU_ACCEL", "tcg"},
            {"VM_DATA_DISK_SIZE", "1G"},
            {"PATH", (l1_tests / "fake-docker").string() + ":" + (path ? path : "")},
            {"BNET_DEVNET", findProjectProgram("bnet-devnet", {}, "BNET_DEVNET").string()},
            {"BNET_HUB_STANDIN", findProjectProgram("bnet-hub-standin", {}, "BNET_HUB_STANDIN").string()},
            {"BNET_PLAYGROUND_TWIN", findProjectProgram("bnet-playground-twin", {}, "BNET_PLAYGROUND_TWIN").string()},
            {"BNET_ANVIL", anvil->string()},
            {"STANDIN_SESSIONS_DIR", (dir_ / "sessions").string()},
            {"STANDIN_VM_PORT_OFFSET", std::to_string(offset_)}};
  }
  void TearDown() override {
    std::error_code ec;
    if (!cli_.empty() && fs::exists(state_, ec)) run({"down", "--state", state_.string()}, 300s);
  }
  e2e::CommandResult run(std::vector<std::string> args, e2e::Clock::duration budget = 120s) {
    return e2e::runCommand({.name = "bnet-e2e", .executable = cli_, .args = std::move(args), .env = env_,
                            .unset_env = {"BNET_E2E_STATE"}, .log_path = dir_ / fmt::format("cli-{}.log", runs_++)},
                           e2e::Deadline::after(budget));
  }

  fs::path cli_, dir_, state_;
  std::map<std::string, std::string> env_;
  int offset_ = 0;
  int runs_ = 0;
};

TEST_F(CliPlayground, UpAttachesToTheRecipesVmThenDownLeavesNothing) {
  auto up = run({"up", "--state", state_.string(), "--timeout", "1500"}, 1600s);
  ASSERT_TRUE(up.status.success()) << up.output;
  EXPECT_THAT(up.output, HasSubstr("/environments/playground-buildernet.json is up (holder pid "));
  // The endpoints it attached to: the VM's forwards as the generated start.sh has them.
  EXPECT_THAT(up.output, HasSubstr(fmt::format("builder HTTPS    https://localhost:{}", 10443 + offset_)));
  EXPECT_THAT(up.output, HasSubstr(fmt::format("builder RPC      http://127.0.0.1:{}", 18645 + offset_)));
  EXPECT_THAT(up.output, ::testing::ContainsRegex("BuilderHub       http://127\\.0\\.0\\.1:[0-9]+ \\(admin http://localhost:[0-9]+\\)"));
  const auto state = TestbedState::read(state_);
  ASSERT_EQ(state.unavailable, "");
  const fs::path run_dir = dir_ / "runs" / "cli-playground" / "testbed" / "playground";
  EXPECT_TRUE(fs::exists(run_dir / "playground.yaml"));
  EXPECT_TRUE(fs::exists(run_dir / "output" / "logs" / "builder.log"));
  auto sections = parseLifecycleLog([&] {
    std::ifstream in(run_dir / "output" / "logs" / "builder.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }(), "builder.log");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[1].command, "./scripts/start.sh");
  EXPECT_TRUE(portListens(10443 + offset_));
  EXPECT_FALSE(processesMentioning(run_dir.string()).empty()) << "the session's processes run while up";

  auto second = run({"up", "--state", (dir_ / "state" / "second.json").string(), "--timeout", "120"}, 200s);
  EXPECT_FALSE(second.status.success()) << "a second session on the same host came up";
  EXPECT_THAT(second.output, HasSubstr("refusing a second buildernet/mkosi session"));

  auto status = run({"status", "--state", state_.string()});
  ASSERT_TRUE(status.status.success()) << status.output;
  EXPECT_THAT(status.output, HasSubstr("builder /readyz: 200"));

  // The suites that apply, attached to the recipe's session: every test passes, and the only
  // skips are the two this environment cannot run, each for its reason. (relay_bids is not
  // run: the playground's relay keeps no submissions, and bids read from its log carry no
  // block number, so "a bid since the builder was ready" cannot be judged; PLAYGROUND.md.)
  const std::map<std::string, std::set<std::string>> expected_skips = {
      {"boot_sequence", {}},
      {"config_download",
       {"ConfigDownload.RenderedFilesCarryTheServedValues",  // the environment lists no expect.rendered_values
        "ConfigDownload.UnknownMeasurementGetsNoConfigurationAndTheBuilderNeverStarts"}},  // a second VM needs vm mode twin
      {"block_building", {}},
      {"orderflow", {}}};
  for (const auto& [suite, skips] : expected_skips) {
    auto env = env_;
    env["BNET_E2E_STATE"] = state_.string();
    auto result = e2e::runCommand({.name = suite + "_suite",
                                   .executable = e2e::inBuildTree("suites/" + suite + "_suite"),
                                   .env = env,
                                   .log_path = dir_ / (suite + "_suite.log")},
                                  e2e::Deadline::after(900s));
    EXPECT_THAT(result.output, ::testing::Not(HasSubstr("[  FAILED  ]"))) << suite << ":\n" << result.output;
    EXPECT_THAT(result.status.describe(), ::testing::AnyOf("exited with code 0", "exited with code 77"))
        << suite << ":\n" << result.output;
    EXPECT_EQ(skippedTests(result.output), skips) << suite << ":\n" << result.output;
  }

  auto down = run({"down", "--state", state_.string()}, 300s);
  ASSERT_TRUE(down.status.success()) << down.output;
  // The janitor (which would clean after a crashed holder) sees the stop within a second.
  std::vector<std::string> left;
  try {
    e2e::eventually("the session's processes to end", 10s, [&] {
      left = processesMentioning(run_dir.string());
      return e2e::Attempt::check(left.empty(), fmt::format("{} left", left.size()));
    }, {.first_interval = 200ms});
  } catch (const e2e::WaitTimeout&) {
    // `left` names them below.
  }
  EXPECT_THAT(left, ::testing::IsEmpty()) << "a process of the session outlived down";
  EXPECT_THAT(processesMentioning((dir_ / "sessions").string()), ::testing::IsEmpty());
  EXPECT_FALSE(portListens(10443 + offset_)) << "the VM's forward is released";
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(dir_ / "sessions", ec) || fs::is_empty(dir_ / "sessions", ec)) << "builder-playground clean ran";
}

}  // namespace
}  // namespace bnet
