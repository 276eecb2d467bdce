// A skip is never silent where the environment must run here (local): with the twin image
// impossible to build (a debootstrap that fails, first on PATH, and a cache without the
// image), tools/setup.sh and `bnet-e2e up` fail and say why, unless BNET_E2E_ALLOW_SKIPS=1;
// playground keeps skipping with the reason. Real processes: the script, the CLI, its
// holder, anvil and the stand-ins it starts before it finds no image.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "fixtures/common/programs.hpp"
#include "fixtures/testbed/testbed.hpp"
#include "framework/fs/fs.hpp"
#include "framework/process/child_process.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class MustRunHere : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("bnet-e2e-must-run-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    // A cache with the npm packages setup installed (no network needed) and no twin image.
    const auto npm = e2e::cacheDir() / "npm";
    ASSERT_TRUE(fs::exists(npm / "node_modules/.bin/anvil")) << "tools/setup.sh installs anvil into " << npm;
    fs::create_directories(dir_ / "cache");
    fs::create_directory_symlink(npm, dir_ / "cache" / "npm");
    // debootstrap that fails, as without a Debian mirror.
    fs::create_directories(dir_ / "bin");
    std::ofstream(dir_ / "bin" / "debootstrap") << "#!/bin/sh\necho 'E: no mirror reachable (a debootstrap made to fail)' >&2\nexit 1\n";
    fs::permissions(dir_ / "bin" / "debootstrap", fs::perms::owner_all);
    cli_ = findProjectProgram("bnet-e2e", {}, "BNET_E2E_CLI");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::map<std::string, std::string> env(std::map<std::string, std::string> more = {}) {
    more["BNET_E2E_CACHE"] = (dir_ / "cache").string();
    more["PATH"] = (dir_ / "bin").string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    more["BNET_E2E_ARTIFACTS"] = (dir_ / "artifacts").string();
    more["BNET_E2E_STATE_DIR"] = (dir_ / "state").string();
    more.try_emplace("BNET_E2E_RUN_ID", "must-run-here");
    return more;
  }
  e2e::CommandResult run(const fs::path& program, std::vector<std::string> args, std::map<std::string, std::string> more,
                         std::chrono::seconds budget) {
    return e2e::runCommand({.name = program.filename().string(),
                            .executable = program,
                            .args = std::move(args),
                            .env = env(std::move(more)),
                            .unset_env = {"BNET_E2E_ALLOW_SKIPS", "BNET_E2E_STATE", "BNET_E2E_ENV", "BNET_E2E_TWIN_DIR",
                                          "BNET_E2E_TWIN_IMAGE", "BNET_ANVIL"},
                            .log_path = dir_ / fmt::format("run-{}.log", runs_++)},
                           e2e::Deadline::after(budget));
  }
  // Process records left in the state folder the commands used: none when all was stopped.
  std::vector<std::string> recordsLeft() const {
    std::vector<std::string> left;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "state" / "processes", ec)) left.push_back(e.path().filename().string());
    return left;
  }

  fs::path dir_;
  fs::path cli_;
  int runs_ = 0;
};

const fs::path kSetup = e2e::inSourceTree("tools/setup.sh");

TEST_F(MustRunHere, SetupFailsWhenTheTwinImageCannotBeBuiltUnlessSkipsAreAllowed) {
  auto failed = run(kSetup, {"--no-build"}, {}, 600s);
  EXPECT_EQ(failed.status.describe(), "exited with code 1") << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("E: no mirror reachable (a debootstrap made to fail)")) << "the cause, shown";
  EXPECT_THAT(failed.output, HasSubstr("setup: FAILED: the twin image could not be built"));
  EXPECT_THAT(failed.output, HasSubstr("or set BNET_E2E_ALLOW_SKIPS=1 to let those tests skip"));

  auto allowed = run(kSetup, {"--no-build"}, {{"BNET_E2E_ALLOW_SKIPS", "1"}}, 600s);
  EXPECT_TRUE(allowed.status.success()) << allowed.output;
  EXPECT_THAT(allowed.output, HasSubstr("setup: BNET_E2E_ALLOW_SKIPS=1: tests may skip where a prerequisite is missing"));
  EXPECT_THAT(allowed.output, HasSubstr("the twin image could not be built (reason above); BNET_E2E_ALLOW_SKIPS=1"));

  auto bad = run(kSetup, {"--no-build"}, {{"BNET_E2E_ALLOW_SKIPS", "yes"}}, 600s);
  EXPECT_EQ(bad.status.describe(), "exited with code 2") << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("BNET_E2E_ALLOW_SKIPS='yes': use 1 (skips allowed) or 0"));
}

TEST_F(MustRunHere, UpOnLocalFailsAndNamesTheCauseUnlessSkipsAreAllowed) {
  const auto state = dir_ / "state.json";
  auto failed = run(cli_, {"up", "--env", "local", "--state", state.string()}, {}, 600s);
  EXPECT_EQ(failed.status.describe(), "exited with code 1") << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("environment local must run here (setup installs all it needs), but: "));
  EXPECT_THAT(failed.output, HasSubstr("twin image"));
  EXPECT_THAT(failed.output, HasSubstr("set BNET_E2E_ALLOW_SKIPS=1 to let its tests skip instead"));
  EXPECT_FALSE(fs::exists(state)) << "no state file: no suite may attach and skip";
  EXPECT_THAT(recordsLeft(), ::testing::IsEmpty()) << "the devnet and hub it started are stopped";

  auto allowed = run(cli_, {"up", "--env", "local", "--state", state.string()}, {{"BNET_E2E_ALLOW_SKIPS", "1"}}, 600s);
  EXPECT_TRUE(allowed.status.success()) << allowed.output;
  EXPECT_THAT(allowed.output, HasSubstr("local.json cannot run here: "));
  ASSERT_TRUE(fs::exists(state)) << allowed.output;
  EXPECT_THAT(TestbedState::read(state).unavailable, HasSubstr("twin image")) << "the suites skip with this reason";
  auto down = run(cli_, {"down", "--state", state.string()}, {}, 120s);
  EXPECT_TRUE(down.status.success()) << down.output;
  EXPECT_THAT(recordsLeft(), ::testing::IsEmpty());
}

TEST_F(MustRunHere, UpOnPlaygroundKeepsSkippingWithTheReason) {
  const auto state = dir_ / "playground.json";
  auto up = run(cli_, {"up", "--env", "playground", "--state", state.string()}, {}, 300s);
  EXPECT_TRUE(up.status.success()) << up.output;
  EXPECT_THAT(up.output, HasSubstr("playground.json cannot run here: "));
  ASSERT_TRUE(fs::exists(state)) << up.output;
  EXPECT_FALSE(TestbedState::read(state).unavailable.empty());
  auto down = run(cli_, {"down", "--state", state.string()}, {}, 120s);
  EXPECT_TRUE(down.status.success()) << down.output;
}

}  // namespace
}  // namespace bnet
