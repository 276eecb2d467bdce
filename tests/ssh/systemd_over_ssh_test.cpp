// The systemd helpers driven over a real SSH session. No systemd runs on the build host,
// so `systemctl` and `journalctl` on the server's PATH are stand-ins (tests/ssh/standins)
// that replay recorded output; what is tested is the helpers' commands, their waits and
// their messages. The twin VM integration step runs the same helpers against real systemd.
#include "fixtures/ssh/systemd.hpp"

#include <pwd.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "framework/ssh/ssh_key.hpp"
#include "framework/wait/eventually.hpp"
#include "tests/ssh/sshd_server.hpp"
#include "tests/support/files.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using e2e::testing::readFile;
using namespace std::chrono_literals;
using e2e::Clock;
using e2e::Deadline;
using e2e::testing::SshdServer;
using e2e::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

class SystemdOverSsh : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/sbin/sshd") || !fs::exists("/usr/bin/ssh-keygen")) {
      GTEST_SKIP() << "/usr/sbin/sshd or /usr/bin/ssh-keygen is missing (openssh-server, openssh-client)";
    }
    replay_ = dir_.path() / "replay";
    fs::create_directories(replay_);
    fs::copy_file(recorded("systemctl_show_not_found.txt"), replay_ / "not-found.show");
    fs::copy_file(recorded("list_units_failed_plain.txt"), replay_ / "failed.list");
    auto key = e2e::ensureSshKey(dir_.path() / "key" / "id_ed25519");
    server_.emplace(SshdServer::start(
        {.dir = dir_.path() / "sshd",
         .authorized_key = key.public_key_openssh,
         .extra_config = {fmt::format("SetEnv PATH={}:/usr/bin:/bin BNET_E2E_REPLAY_DIR={}",
                                      e2e::inSourceTree("tests/ssh/standins").string(), replay_.string())}}));
    struct passwd* pw = ::getpwuid(::geteuid());
    ssh_.emplace(e2e::SshClientConfig{.port = server_->port(),
                                      .user = pw != nullptr ? pw->pw_name : "root",
                                      .identity_file = key.private_key,
                                      .pin_file = dir_.path() / "pin"});
  }

  void TearDown() override {
    ssh_.reset();
    if (server_) server_->stop();
  }

  static fs::path recorded(const std::string& name) { return e2e::inSourceTree("tests/ssh/recorded") / name; }

  // The states systemctl show reports for unit, one per call (the last one sticks).
  void states(const std::string& unit, const std::vector<std::string>& recorded_files) {
    for (std::size_t i = 0; i < recorded_files.size(); ++i) {
      fs::copy_file(recorded(recorded_files[i]), replay_ / fmt::format("{}.{}", unit, i + 1));
    }
  }

  std::string calls() const { return readFile(replay_ / "calls.log"); }

  TempDir dir_{"bnet-e2e-systemd"};
  fs::path replay_;
  std::optional<SshdServer> server_;
  std::optional<e2e::SshSession> ssh_;
};

TEST_F(SystemdOverSsh, UnitStateAsksForItsPropertiesAndParsesThem) {
  states("ssh.service", {"systemctl_show_ssh_active.txt"});
  auto s = unitState(*ssh_, "ssh.service");
  EXPECT_EQ(s.active_state, "active");
  EXPECT_EQ(s.sub_state, "running");
  EXPECT_EQ(calls(),
            "systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,Result,"
            "ActiveEnterTimestampMonotonic,InactiveEnterTimestampMonotonic,"
            "StateChangeTimestampMonotonic,ExecMainCode,ExecMainStatus,ExecMainPID,NRestarts "
            "ssh.service\n");
  EXPECT_EQ(unitState(*ssh_, "nope.service").load_state, "not-found");
}

TEST_F(SystemdOverSsh, WaitForUnitReturnsOnceTheUnitIsActive) {
  states("rbuilder-operator.service", {"systemctl_show_rbuilder_auto_restart.txt",
                                       "systemctl_show_rbuilder_auto_restart.txt",
                                       "systemctl_show_ssh_active.txt"});
  auto s = waitForUnit(*ssh_, "rbuilder-operator.service", "active", Deadline::after(60s));
  EXPECT_EQ(s.active_state, "active");
  EXPECT_EQ(readFile(replay_ / "rbuilder-operator.service.count"), "3\n") << "polled three times";
}

TEST_F(SystemdOverSsh, WaitForUnitFailsAtOnceWhenTheUnitFailsWithAJournalTail) {
  states("render-config.service", {"systemctl_show_rbuilder_auto_restart.txt",
                                   "systemctl_show_render_config_failed.txt"});
  fs::copy_file(recorded("journal_render_config_failed.jsonl"), replay_ / "render-config.service.jsonl");
  auto start = Clock::now();
  try {
    waitForUnit(*ssh_, "render-config.service", "active", Deadline::after(120s));
    FAIL() << "waitForUnit returned for a failed unit";
  } catch (const e2e::WaitFailed& e) {
    EXPECT_THAT(e.what(),
                AllOf(HasSubstr("unit render-config.service active on"),
                      HasSubstr("render-config.service: failed/failed, result exit-code, main process "
                                "exited with status 22"),
                      HasSubstr("journal tail:\n"), HasSubstr("  render-config[401]: Failed to fetch configuration."),
                      HasSubstr("  systemd[1]: Failed to start render-config.service")));
  }
  EXPECT_LT(Clock::now() - start, 60s) << "a failed unit must not be waited on until the deadline";
  EXPECT_THAT(calls(), HasSubstr("journalctl --no-pager --quiet --all -o json -u render-config.service -n 20\n"));
}

TEST_F(SystemdOverSsh, WaitForUnitTimesOutWithTheLastStateSeen) {
  states("rbuilder-operator.service", {"systemctl_show_rbuilder_auto_restart.txt"});
  try {
    // Long enough for several polls on a loaded machine (one ssh round trip took over 1.5 s
    // there); the unit never becomes active, so the test always waits all of it.
    waitForUnit(*ssh_, "rbuilder-operator.service", "active", Deadline::after(6s));
    FAIL() << "waitForUnit returned for a unit that never became active";
  } catch (const e2e::WaitTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr("unit rbuilder-operator.service active on"));
    EXPECT_THAT(e.last(), HasSubstr("rbuilder-operator.service: activating/auto-restart"));
  }
}

TEST_F(SystemdOverSsh, WaitingForFailedIsAllowed) {
  states("render-config.service", {"systemctl_show_render_config_failed.txt"});
  EXPECT_EQ(waitForUnit(*ssh_, "render-config.service", "failed", Deadline::after(30s)).result, "exit-code");
}

TEST_F(SystemdOverSsh, JournalQueriesAUnitSinceATime) {
  fs::copy_file(recorded("journal_render_config_failed.jsonl"), replay_ / "render-config.service.jsonl");
  auto entries = journal(*ssh_, "render-config.service", "2024-05-21 09:00:00");
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_EQ(entries[3].message, "Failed to fetch configuration.");
  EXPECT_EQ(calls(),
            "journalctl --no-pager --quiet --all -o json -u render-config.service --since 2024-05-21 09:00:00\n");

  auto last_two = journal(*ssh_, JournalQuery{.unit = "render-config.service", .last = 2, .this_boot = true});
  ASSERT_EQ(last_two.size(), 2u);
  EXPECT_EQ(last_two[1].priority, 3);
  EXPECT_TRUE(journal(*ssh_, "other.service").empty());
}

TEST_F(SystemdOverSsh, JournalErrorsCarryJournalctlsMessage) {
  try {
    journal(*ssh_, "render-config.service", "yesterday-ish");
    FAIL() << "a bad --since was accepted";
  } catch (const e2e::SshError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("exited with status 1"), HasSubstr("Failed to parse timestamp: yesterday-ish")));
  }
}

TEST_F(SystemdOverSsh, FailedUnitsListsThem) {
  auto failed = failedUnits(*ssh_);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].unit, "persistent-setup.service");
  EXPECT_EQ(failed[1].unit, "render-config.service");
}

TEST_F(SystemdOverSsh, BadUnitNamesAreRefusedBeforeAnythingRuns) {
  EXPECT_THROW(unitState(*ssh_, "ssh.service; reboot"), std::invalid_argument);
  EXPECT_THROW(waitForUnit(*ssh_, "", "active", Deadline::after(1s)), std::invalid_argument);
  EXPECT_THROW(journal(*ssh_, "$(id)"), std::invalid_argument);
  EXPECT_FALSE(fs::exists(replay_ / "calls.log")) << "nothing may reach the host";
}

}  // namespace
}  // namespace bnet
