// Unit tests of the systemd output parsers on recorded output (see recorded/README.md).
#include "fixtures/ssh/systemd.hpp"
#include "framework/fs/fs.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace bnet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string recorded(const std::string& name) {
  std::string dir = e2e::inSourceTree("tests/ssh/recorded").string() + "/";
  std::ifstream in(dir + name, std::ios::binary);
  if (!in) throw std::runtime_error("recorded file missing: " + dir + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SystemctlShow, ParsesARunningService) {
  auto s = parseSystemctlShow("ssh", recorded("systemctl_show_ssh_active.txt"));
  EXPECT_EQ(s.unit, "ssh");
  EXPECT_EQ(s.id, "ssh.service");
  EXPECT_EQ(s.load_state, "loaded");
  EXPECT_EQ(s.active_state, "active");
  EXPECT_EQ(s.sub_state, "running");
  EXPECT_EQ(s.result, "success");
  EXPECT_EQ(s.active_enter_monotonic_usec, 4512093u);
  EXPECT_EQ(s.inactive_enter_monotonic_usec, 0u);
  EXPECT_EQ(s.exec_main_pid, 312);
  EXPECT_EQ(s.exec_main_code, 0);
  EXPECT_EQ(s.describe(), "ssh.service: active/running, result success");
}

TEST(SystemctlShow, ParsesAFailedOneshotWithItsExitStatus) {
  auto s = parseSystemctlShow("render-config.service", recorded("systemctl_show_render_config_failed.txt"));
  EXPECT_EQ(s.active_state, "failed");
  EXPECT_EQ(s.sub_state, "failed");
  EXPECT_EQ(s.result, "exit-code");
  EXPECT_EQ(s.exec_main_code, 1);
  EXPECT_EQ(s.exec_main_status, 22);
  EXPECT_EQ(s.active_enter_monotonic_usec, 0u) << "never became active";
  EXPECT_EQ(s.describe(),
            "render-config.service: failed/failed, result exit-code, main process exited with status 22");
}

TEST(SystemctlShow, DescribesAKilledServiceWaitingToRestart) {
  auto s = parseSystemctlShow("rbuilder-operator.service", recorded("systemctl_show_rbuilder_auto_restart.txt"));
  EXPECT_EQ(s.active_state, "activating");
  EXPECT_EQ(s.sub_state, "auto-restart");
  EXPECT_EQ(s.n_restarts, 2u);
  EXPECT_EQ(s.describe(),
            "rbuilder-operator.service: activating/auto-restart, result signal, main process killed "
            "by signal 9 (SIGKILL), restarted 2 times");
}

TEST(SystemctlShow, ReportsAnUnknownUnitAsNotFound) {
  auto s = parseSystemctlShow("no-such.service", recorded("systemctl_show_not_found.txt"));
  EXPECT_EQ(s.load_state, "not-found");
  EXPECT_EQ(s.active_state, "inactive");
  EXPECT_THAT(s.describe(), HasSubstr("load state not-found"));
}

TEST(SystemctlShow, TimerHasNoMainProcess) {
  auto s = parseSystemctlShow("config-watchdog.timer", recorded("systemctl_show_timer.txt"));
  EXPECT_EQ(s.active_state, "active");
  EXPECT_EQ(s.sub_state, "waiting");
  EXPECT_FALSE(s.exec_main_code.has_value());
  EXPECT_FALSE(s.exec_main_status.has_value());
  EXPECT_EQ(s.describe(), "config-watchdog.timer: active/waiting, result success");
}

TEST(SystemctlShow, FullOutputKeepsEveryPropertyAndValuesWithEqualSigns) {
  auto s = parseSystemctlShow("ssh.service", recorded("systemctl_show_ssh_full_excerpt.txt"));
  EXPECT_EQ(s.active_state, "active");
  EXPECT_EQ(s.properties.at("Names"), "ssh.service sshd.service");
  EXPECT_EQ(s.properties.at("ExecStart"),
            "{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $SSHD_OPTS ; ignore_errors=no ; "
            "start_time=[Tue 2024-05-21 09:11:58 UTC] ; stop_time=[n/a] ; pid=312 ; code=(null) ; "
            "status=0/0 }");
  EXPECT_EQ(s.properties.at("Environment"), "");
  EXPECT_EQ(s.properties.at("ActiveEnterTimestamp"), "Tue 2024-05-21 09:11:58 UTC");
}

TEST(SystemctlShow, BadInputNamesTheUnitAndLine) {
  try {
    parseSystemctlShow("x.service", "ActiveState=active\nthis is not a property\n");
    FAIL() << "garbage accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("systemctl show x.service: line 2 is not KEY=VALUE"));
  }
  EXPECT_THROW(parseSystemctlShow("x.service", "ExecMainStatus=abc\n"), std::runtime_error);
  EXPECT_EQ(parseSystemctlShow("x.service", "").active_state, "");
}

TEST(JournalJson, ParsesAFailedUnitsStory) {
  auto entries = parseJournalJson(recorded("journal_render_config_failed.jsonl"));
  ASSERT_EQ(entries.size(), 7u);
  std::vector<std::string> messages;
  for (const auto& e : entries) messages.push_back(e.message);
  EXPECT_THAT(messages, ElementsAre("Starting render-config.service - Render configuration from BuilderHub...",
                                    "Fetching configuration...",
                                    "curl: (22) The requested URL returned error: 403",
                                    "Failed to fetch configuration.",
                                    "render-config.service: Main process exited, code=exited, status=22/n/a",
                                    "render-config.service: Failed with result 'exit-code'.",
                                    "Failed to start render-config.service - Render configuration from BuilderHub."));
  const auto& fetching = entries[1];
  EXPECT_EQ(fetching.unit, "render-config.service");
  EXPECT_EQ(fetching.identifier, "render-config");
  EXPECT_EQ(fetching.pid, 401);
  EXPECT_EQ(fetching.priority, 6);
  EXPECT_EQ(fetching.realtime_usec, 1716282718041000u);
  EXPECT_EQ(fetching.monotonic_usec, 4141000u);
  EXPECT_EQ(fetching.boot_id, "5f2c1d0a9b8e4c7da3e1f6b2c4d8a0e1");
  EXPECT_THAT(fetching.cursor, ::testing::StartsWith("s=a1b2c3d4e5f60718293a4b5c6d7e8f90;i=1a02;"));

  const auto& failed = entries[6];
  EXPECT_EQ(failed.unit, "init.scope") << "systemd itself logs lines about units";
  EXPECT_EQ(failed.about_unit, "render-config.service");
  EXPECT_EQ(failed.priority, 3);
  EXPECT_EQ(failed.field("JOB_RESULT"), "failed");
  EXPECT_EQ(failed.field("MESSAGE_ID"), "be02cf6855d2428ba40df7e9d022f03d");
  EXPECT_EQ(failed.field("_SELINUX_CONTEXT"), "unconfined\n");
  EXPECT_EQ(failed.field("NO_SUCH_FIELD"), "");
}

TEST(JournalJson, DecodesByteArraysRepeatedFieldsAndNulls) {
  auto entries = parseJournalJson(recorded("journal_odd_values.jsonl"));
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].message,
            "\x1b[2m2024-05-21T09:12:03.123Z\x1b[0m \x1b[32m INFO\x1b[0m "
            "\x1b[2mrbuilder::live_builder\x1b[0m\x1b[2m:\x1b[0m Builder started");
  EXPECT_EQ(entries[1].message, "peer name caf\xe9 not UTF-8");
  EXPECT_EQ(entries[2].message, "bid submitted\n  slot 123\n  value 0.01 ETH");
  EXPECT_THAT(entries[2].fields.at("TAG"), ElementsAre("relay", "bid", std::string("\0raw", 4)));
  EXPECT_EQ(entries[2].field("TAG"), "relay");
  EXPECT_EQ(entries[3].message, "") << "a field journalctl left out (null) is absent";
  EXPECT_EQ(entries[3].fields.count("MESSAGE"), 0u);
  EXPECT_EQ(entries[3].priority, 3);
  EXPECT_EQ(entries[4].message, "Ünïcödé ✓ line");
  EXPECT_EQ(entries[0].unit, "rbuilder-operator.service");
}

TEST(JournalJson, EmptyOutputAndInformationalLinesGiveNoEntries) {
  EXPECT_TRUE(parseJournalJson("").empty());
  EXPECT_TRUE(parseJournalJson("-- No entries --\n").empty());
}

TEST(JournalJson, BadInputNamesTheLine) {
  try {
    parseJournalJson("{\"MESSAGE\":\"ok\"}\n{\"MESSAGE\": truncated\n");
    FAIL() << "bad JSON accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("journalctl -o json line 2 is not JSON"));
  }
  EXPECT_THROW(parseJournalJson("[1,2,3]\n"), std::runtime_error);
  EXPECT_THROW(parseJournalJson("{\"MESSAGE\":[300]}\n"), std::runtime_error);
  EXPECT_THROW(parseJournalJson("{\"__REALTIME_TIMESTAMP\":\"soon\"}\n"), std::runtime_error);
}

TEST(JournalJson, FormatsATailForFailureMessages) {
  auto entries = parseJournalJson(recorded("journal_render_config_failed.jsonl"));
  std::string text = formatJournal({entries[1], entries[0]});
  EXPECT_EQ(text,
            "  render-config[401]: Fetching configuration...\n"
            "  systemd[1]: Starting render-config.service - Render configuration from BuilderHub...");
  auto odd = parseJournalJson(recorded("journal_odd_values.jsonl"));
  EXPECT_THAT(formatJournal({odd[0]}), HasSubstr("\\x1b[32m INFO"));
}

TEST(ListUnits, ParsesPlainAndMarkedRows) {
  auto plain = parseListUnits(recorded("list_units_failed_plain.txt"));
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].unit, "persistent-setup.service");
  EXPECT_EQ(plain[0].load_state, "loaded");
  EXPECT_EQ(plain[0].active_state, "failed");
  EXPECT_EQ(plain[0].sub_state, "failed");
  EXPECT_EQ(plain[0].description, "Set up the encrypted persistent disk");
  EXPECT_EQ(plain[1].unit, "render-config.service");
  EXPECT_EQ(plain[1].description, "Render configuration from BuilderHub");

  auto marked = parseListUnits(recorded("list_units_failed_marked.txt"));
  ASSERT_EQ(marked.size(), 2u);
  EXPECT_EQ(marked[0].unit, "render-config.service");
  EXPECT_EQ(marked[1].unit, "ssh.socket");
  EXPECT_EQ(marked[1].description, "OpenBSD Secure Shell server socket");

  EXPECT_TRUE(parseListUnits("").empty());
  EXPECT_THROW(parseListUnits("half-a-row loaded\n"), std::runtime_error);
}

}  // namespace
}  // namespace bnet
