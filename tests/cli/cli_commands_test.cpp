// bnet-e2e run as a program: --help of every command, bad arguments, the real image build's
// dry run, and ssh/logs/console against a made-up running environment (a state file whose
// holder is this test process and whose logs are files written here).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "fixtures/common/programs.hpp"
#include "fixtures/testbed/testbed.hpp"
#include "framework/process/child_process.hpp"
#include "framework/process/registry.hpp"
#include "framework/wait/eventually.hpp"
#include "tests/support/files.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class CliCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("bnet-e2e-cli-commands-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cli_ = findProjectProgram("bnet-e2e", {}, "BNET_E2E_CLI");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& file, const std::string& text, std::ios::openmode mode = std::ios::trunc) {
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | mode);
    out << text;
  }
  e2e::CommandResult run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return e2e::runCommand({.name = "bnet-e2e", .executable = cli_, .args = std::move(args), .env = std::move(env),
                            .unset_env = {"BNET_E2E_STATE"}, .log_path = dir_ / fmt::format("cli-{}.log", runs_++)},
                           e2e::Deadline::after(60s));
  }
  // A state file of a "running" environment: held by this process, logs under dir_/artifacts.
  fs::path writeState(const std::string& secret = "") {
    TestbedState s;
    s.environment = "made-up";
    s.holder_pid = ::getpid();
    s.holder_start_ticks = e2e::processStartTicks(::getpid());
    s.holder_log = dir_ / "artifacts" / "holder.log";
    s.artifact_dir = dir_ / "artifacts";
    s.console_path = dir_ / "artifacts" / "builder" / "console.log";
    if (!secret.empty()) s.secrets = {secret};
    write(s.holder_log, "bnet-e2e hold: made-up is up\n");
    write(s.artifact_dir / "hub" / "hub-standin.log", "hub line 1\nhub line 2\nhub line 3\n");
    write(s.artifact_dir / "l1" / "bnet-devnet.log", "devnet started\n");
    write(s.console_path, "\x1b[0;32m  OK  \x1b[0m] Finished render-config.service\nlogin: ");
    auto file = dir_ / "state.json";
    s.write(file);
    return file;
  }

  fs::path dir_;
  fs::path cli_;
  int runs_ = 0;
};

TEST_F(CliCommands, HelpOfEveryCommandExitsZeroAndNamesItsOptions) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> commands = {
      {{"up"}, {"--env", "--state", "--timeout"}},
      {{"down"}, {"--all", "--state"}},
      {{"status"}, {"--env", "--state"}},
      {{"ssh"}, {"--state", "--env", "command"}},
      {{"logs"}, {"--follow", "--lines", "--state", "component"}},
      {{"console"}, {"--no-follow", "--lines", "--state", "read-only"}},
      {{"image", "build"}, {"--twin", "--real", "--image-repo", "--hub-url", "--ssh-key", "--dry-run"}},
      {{"run"}, {"--env", "suite", "ctest"}},
      {{"measure"}, {"--measurements-file"}},
      {{"hub", "allow"}, {"--measurement", "--builder", "--admin-url"}},
  };
  for (const auto& [command, options] : commands) {
    auto args = command;
    args.push_back("--help");
    auto r = run(args);
    std::string name = fmt::format("{}", fmt::join(command, " "));
    EXPECT_TRUE(r.status.success()) << name << " --help " << r.status.describe() << "\n" << r.output;
    for (const auto& option : options) EXPECT_THAT(r.output, HasSubstr(option)) << name << " --help";
    EXPECT_THAT(r.output, HasSubstr("Exit codes: 0 done; 1 failed")) << name << " --help has the exit codes footer";
  }
  auto top = run({"--help"});
  EXPECT_TRUE(top.status.success());
  for (const auto* command : {"up", "down", "status", "ssh", "logs", "console", "image", "run", "measure", "hub"}) {
    EXPECT_THAT(top.output, HasSubstr(fmt::format("\n  {} ", command))) << "the top help lists " << command;
  }
}

TEST_F(CliCommands, BadArgumentsExitTwoNamingTheProblem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"frobnicate"}, "A subcommand is required"},
      {{"logs", "--bogus"}, "--bogus"},
      {{"logs", "--lines", "-3"}, "--lines"},
      {{"image", "build"}, "give --twin or --real"},
      {{"image", "build", "--twin", "--real"}, "excludes"},
      {{"image", "build", "--image-repo", "x"}, "--real"},
      {{"image", "build", "--real", "--dry-run"}, "--image-repo"},
      {{"image", "build", "--real", "--image-repo", (dir_ / "nothing").string(), "--dry-run"}, "not a directory"},
      {{"run", "no-such-suite"}, "unknown suite 'no-such-suite'; the suites are: "},
  };
  for (const auto& [args, message] : cases) {
    auto r = run(args);
    std::string name = fmt::format("{}", fmt::join(args, " "));
    EXPECT_EQ(r.status.describe(), "exited with code 2") << name << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(message)) << name;
  }
}

TEST_F(CliCommands, RealImageBuildDryRunPrintsTheMkosiBuildWithTheDevnetChanges) {
  const auto repo = dir_ / "flashbots-images";
  write(repo / "buildernet.conf", "[Config]\n");
  fs::create_directories(repo / "mkosi.profiles" / "devtools");
  fs::create_directories(repo / "mkosi.profiles" / "playground");
  write(dir_ / "id.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3 tester\n");
  auto r = run({"image", "build", "--real", "--image-repo", repo.string(), "--ssh-key", (dir_ / "id.pub").string(), "--dry-run"});
  ASSERT_TRUE(r.status.success()) << r.output;
  EXPECT_THAT(lines(r.output),
              ElementsAre(fmt::format("cd {}", repo.string()), "umask 022",
                          fmt::format("export BUILDERNET_SSH_PUBLIC_KEY=\"$(cat {})\"", (dir_ / "id.pub").string()),
                          "mkosi --force --profile=devtools,playground --environment=BUILDERNET_BUILDERHUB_URL=10.0.2.2:7000 "
                          "--environment=BUILDERNET_SSH_PUBLIC_KEY -I buildernet.conf"));
  EXPECT_FALSE(fs::exists(repo / "mkosi.output")) << "a dry run writes nothing";
  EXPECT_EQ(run({"image", "build", "--real", "--image-repo", repo.string(), "--ssh-key", (dir_ / "id.pub").string(),
                 "--dry-run"})
                .output,
            r.output)
      << "deterministic";

  auto hub = run({"image", "build", "--real", "--image-repo", repo.string(), "--ssh-key", (dir_ / "id.pub").string(),
                  "--hub-url", "http://10.0.2.2:17000", "--dry-run"});
  ASSERT_TRUE(hub.status.success()) << hub.output;
  EXPECT_THAT(lines(hub.output).at(3), HasSubstr(" --environment=BUILDERNET_BUILDERHUB_URL=http://10.0.2.2:17000 "));

  write(dir_ / "private", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  auto private_key = run({"image", "build", "--real", "--image-repo", repo.string(), "--ssh-key", (dir_ / "private").string(),
                          "--dry-run"});
  EXPECT_EQ(private_key.status.describe(), "exited with code 2");
  EXPECT_THAT(private_key.output, HasSubstr("not an OpenSSH public key"));

  fs::remove_all(repo / "mkosi.profiles" / "playground");
  auto no_profile = run({"image", "build", "--real", "--image-repo", repo.string(), "--ssh-key", (dir_ / "id.pub").string(),
                         "--dry-run"});
  EXPECT_EQ(no_profile.status.describe(), "exited with code 2");
  EXPECT_THAT(no_profile.output, HasSubstr("no mkosi.profiles/playground"));
}

TEST_F(CliCommands, RealImageBuildWithoutMkosiFailsNamingIt) {
  const auto repo = dir_ / "flashbots-images";
  write(repo / "buildernet.conf", "[Config]\n");
  write(repo / ".mkosi_version", "a425313c5811d2ed840630dbfc45c6bc296bfd48\n");
  fs::create_directories(repo / "mkosi.profiles" / "devtools");
  fs::create_directories(repo / "mkosi.profiles" / "playground");
  write(dir_ / "id.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3 tester\n");
  fs::create_directories(dir_ / "empty-path");
  auto r = run({"image", "build", "--real", "--image-repo", repo.string(), "--ssh-key", (dir_ / "id.pub").string()},
               {{"PATH", (dir_ / "empty-path").string()}});
  EXPECT_EQ(r.status.describe(), "exited with code 1");
  EXPECT_THAT(r.output, HasSubstr("mkosi is not on PATH"));
  EXPECT_THAT(r.output, HasSubstr("git+https://github.com/systemd/mkosi.git@a425313c5811d2ed840630dbfc45c6bc296bfd48"));
}

TEST_F(CliCommands, TwinImageBuildDryRunNamesTheEnsureScript) {
  auto r = run({"image", "build", "--twin", "--dry-run"});
  ASSERT_TRUE(r.status.success()) << r.output;
  ASSERT_EQ(lines(r.output).size(), 1u) << r.output;
  EXPECT_TRUE(lines(r.output)[0].ends_with("/tools/twin-image/ensure.sh")) << r.output;
  EXPECT_TRUE(fs::exists(lines(r.output)[0])) << r.output;
}

TEST_F(CliCommands, LogsListsPrintsAndRefusesUnknownComponents) {
  auto state = writeState();
  auto list = run({"logs", "--state", state.string()});
  ASSERT_TRUE(list.status.success()) << list.output;
  for (const auto* c : {"holder", "l1", "hub", "console"}) EXPECT_THAT(list.output, HasSubstr(fmt::format("\n  {} ", c)));
  EXPECT_THAT(list.output, Not(HasSubstr("\n  builder "))) << "no SSH endpoint, no builder journal";
  EXPECT_THAT(list.output, Not(HasSubstr("\n  anvil "))) << "no anvil log here";

  auto hub = run({"logs", "hub", "--state", state.string()});
  ASSERT_TRUE(hub.status.success()) << hub.output;
  EXPECT_EQ(hub.output, "hub line 1\nhub line 2\nhub line 3\n");
  auto devnet = run({"logs", "devnet", "--state", state.string()});
  EXPECT_EQ(devnet.output, "devnet started\n") << "devnet names the l1 component too";
  auto last = run({"logs", "hub", "-n", "2", "--state", state.string()});
  EXPECT_EQ(last.output, "hub line 2\nhub line 3\n");

  auto unknown = run({"logs", "nosuch", "--state", state.string()});
  EXPECT_EQ(unknown.status.describe(), "exited with code 2");
  EXPECT_THAT(unknown.output, HasSubstr("unknown component 'nosuch'; this environment has: holder, l1, hub, console"));

  auto console = run({"console", "--no-follow", "--state", state.string()});
  ASSERT_TRUE(console.status.success()) << console.output;
  EXPECT_EQ(console.output, "  OK  ] Finished render-config.service\nlogin: \n") << "terminal codes stripped off a pipe";
}

TEST_F(CliCommands, LogsFollowPrintsWhatIsAppendedAndEndsCleanlyOnSigterm) {
  auto state = writeState("s3cr3t-disk-key");
  auto log = dir_ / "follow.log";
  auto follow = e2e::ChildProcess::start(
      {.name = "bnet-e2e-logs", .executable = cli_, .args = {"logs", "hub", "-f", "--state", state.string()}, .log_path = log});
  e2e::eventually("logs -f printed the file", 30s, [&] {
    return e2e::Attempt::check(follow.logText().find("hub line 3") != std::string::npos, "output: " + follow.logText());
  });
  write(dir_ / "artifacts" / "hub" / "hub-standin.log", "appended with s3cr3t-disk-key inside\n", std::ios::app);
  e2e::eventually("logs -f printed the appended line", 30s, [&] {
    return e2e::Attempt::check(follow.logText().find("appended with") != std::string::npos, "output: " + follow.logText());
  });
  EXPECT_THAT(follow.logText(), HasSubstr("appended with [REDACTED] inside"));
  EXPECT_THAT(follow.logText(), Not(HasSubstr("s3cr3t-disk-key")));
  EXPECT_EQ(follow.stop().describe(), "exited with code 0") << "SIGTERM ends a follow cleanly";
}

// A build folder of its own whose ctest knows four made-up tests: three e2e suites' and a
// unit test that `run` must leave out.
TEST_F(CliCommands, RunRunsTheE2eTestsOrTheSuitesNamedAndSummarizes) {
  if (!e2e::findProgram("ctest")) GTEST_SKIP() << "ctest is not on PATH";
  const auto build = dir_ / "build";
  write(build / "CTestTestfile.cmake", R"(add_test(Fake.Passes "/bin/sh" "-c" "echo ok")
set_tests_properties(Fake.Passes PROPERTIES LABELS "e2e;boot-sequence;staging-safe")
add_test(Fake.Fails "/bin/sh" "-c" "echo it broke with $BNET_E2E_LOCAL_HUB_PASSWORD; exit 1")
set_tests_properties(Fake.Fails PROPERTIES LABELS "e2e;relay-bids;mutating")
add_test(Fake.Skips "/bin/sh" "-c" "echo 'no KVM here'; exit 77")
set_tests_properties(Fake.Skips PROPERTIES LABELS "e2e;orderflow" SKIP_RETURN_CODE 77)
add_test(Fake.Unit "/bin/sh" "-c" "exit 1")
set_tests_properties(Fake.Unit PROPERTIES LABELS "unit")
)");
  // The environment's secret, printed by a test: ctest's JUnit and log keep it masked.
  const std::string password = "planted-run-password-0c7e4b19d2";
  std::map<std::string, std::string> env = {{"BNET_E2E_BINARY_DIR", build.string()},
                                            {"BNET_E2E_ARTIFACTS", (dir_ / "artifacts").string()},
                                            {"BNET_E2E_ENV", "local"},
                                            {"BNET_E2E_LOCAL_HUB_PASSWORD", password},
                                            {"BNET_E2E_ALLOW_SKIPS", ""}};

  auto all = run({"run"}, env);
  EXPECT_EQ(all.status.describe(), "exited with code 1") << all.output;
  EXPECT_THAT(all.output, HasSubstr("run: redacted " + (build / "e2e-junit.xml").string() + ": 1 text file(s), 1 rewritten"));
  for (const auto& file : {build / "e2e-junit.xml", build / "e2e-run.log", build / "Testing" / "Temporary" / "LastTest.log"}) {
    const std::string text = e2e::testing::readFile(file);
    EXPECT_THAT(text, HasSubstr("it broke with [REDACTED]")) << file;
    EXPECT_THAT(text, Not(HasSubstr(password))) << file;
  }
  EXPECT_THAT(all.output, HasSubstr("summary: 1 passed, 1 failed, 1 skipped"));
  EXPECT_THAT(all.output, HasSubstr("  FAILED  Fake.Fails"));
  EXPECT_THAT(all.output, HasSubstr("  SKIPPED Fake.Skips"));
  EXPECT_THAT(all.output, Not(HasSubstr("Fake.Unit"))) << "only e2e tests run";
  EXPECT_THAT(all.output, HasSubstr(" run e2e: ctest --output-on-failure")) << "plain, timestamped progress off a terminal";
  EXPECT_TRUE(fs::exists(build / "e2e-junit.xml"));

  auto one = run({"run", "boot_sequence"}, env);
  EXPECT_TRUE(one.status.success()) << one.output;
  EXPECT_THAT(one.output, HasSubstr("summary: 1 passed, 0 failed, 0 skipped"));
  EXPECT_THAT(one.output, HasSubstr("-L ^(boot-sequence)$"));

  auto passthrough = run({"run", "--", "-R", "Passes|Skips"}, env);
  EXPECT_EQ(passthrough.status.describe(), "exited with code 1") << "a skip fails a run of local:\n" << passthrough.output;
  EXPECT_THAT(passthrough.output, HasSubstr("summary: 1 passed, 0 failed, 1 skipped"));
  EXPECT_THAT(passthrough.output, HasSubstr("summary: FAILED: 1 test(s) skipped in environment local, which must run here"));

  env["BNET_E2E_ALLOW_SKIPS"] = "1";
  auto allowed = run({"run", "--", "-R", "Passes|Skips"}, env);
  EXPECT_TRUE(allowed.status.success()) << allowed.output;
  EXPECT_THAT(allowed.output, HasSubstr("summary: skips allowed (BNET_E2E_ALLOW_SKIPS=1): 1 skipped test(s) do not fail"));

  auto unknown = run({"run", "boot-sequence", "nosuch"}, env);
  EXPECT_EQ(unknown.status.describe(), "exited with code 2");
  EXPECT_THAT(unknown.output, HasSubstr("unknown suite 'nosuch'; the suites are: boot-sequence, orderflow, relay-bids"));
}

TEST_F(CliCommands, AttachCommandsSayWhenNothingIsUpOrTheHostKeyIsNotPinned) {
  auto none = run({"logs", "--state", (dir_ / "no-such-state.json").string()});
  EXPECT_EQ(none.status.describe(), "exited with code 1");
  EXPECT_THAT(none.output, HasSubstr("no environment is up"));

  auto state_file = writeState();
  auto state = TestbedState::read(state_file);
  state.ssh_host = "127.0.0.1";
  state.ssh_port = 40192;
  state.ssh_user = "bnet";
  state.ssh_known_hosts = dir_ / "empty_known_hosts";
  write(state.ssh_known_hosts, "");
  state.write(state_file);
  auto ssh = run({"ssh", "--state", state_file.string(), "--", "true"});
  EXPECT_EQ(ssh.status.describe(), "exited with code 1");
  EXPECT_THAT(ssh.output, HasSubstr("refusing to connect without host key checking"));

  state.holder_pid = 1;  // alive, but not the holder (its start time differs)
  state.write(state_file);
  auto gone = run({"logs", "--state", state_file.string()});
  EXPECT_EQ(gone.status.describe(), "exited with code 1");
  EXPECT_THAT(gone.output, HasSubstr("holder (pid 1) is gone"));
}

// Secrets on the main job's path (issue 15 item 7): `down` redacts the whole run folder (a
// holder that was killed or crashed never redacted its logs, a test that ctest's timeout
// killed never redacted its files) and, under a runner, keeps the secrets in a 0600 file
// beside the state for the run's last step, `bnet-e2e redact --state --forget`, which masks
// them and the environment's in ctest's JUnit and then removes that file. Binary files are
// left alone.
TEST_F(CliCommands, DownRedactsTheRunFolderAndRedactMasksTheJunitThenForgets) {
  const char* source = std::getenv("BNET_E2E_SOURCE_DIR");
  if (source == nullptr) GTEST_SKIP() << "BNET_E2E_SOURCE_DIR is not set (ctest sets it)";
  const std::string secret = "planted-testbed-secret-5d1e9c0b7a";
  const std::string password = "planted-env-password-a8c3e1f04b";
  // BNET_E2E_RUN_ID: under a runner, whose last step takes the kept secrets.
  const std::map<std::string, std::string> env = {
      {"BNET_E2E_LOCAL_HUB_PASSWORD", password}, {"BNET_E2E_ENV", "local"}, {"BNET_E2E_RUN_ID", "run-1"}};
  const fs::path run_dir = dir_ / "runs" / "run-1";
  TestbedState s;
  s.environment = (fs::path(source) / "environments" / "local.json").string();
  s.holder_pid = 0;  // the holder is gone without having redacted
  s.artifact_dir = run_dir / "testbed";
  s.secrets = {secret};
  write(s.artifact_dir / "builder" / "console.log", "key " + secret + "\n");
  write(s.artifact_dir / "hub" / "hub-standin.log", "admin password " + password + "\n");
  write(run_dir / "Suite.KilledByTimeout" / "chatty-client.log", "secret is " + secret + "\n");
  const std::string disk = std::string("LUKS\xba\xbe\0\x02", 8) + secret;
  write(s.artifact_dir / "builder" / "persistent.raw", disk);
  const fs::path state = dir_ / "e2e-state" / "environment.json";
  s.write(state);
  fs::path redaction = state;
  redaction += ".redact";

  auto down = run({"down", "--state", state.string()}, env);
  EXPECT_TRUE(down.status.success()) << down.output;
  EXPECT_THAT(down.output, HasSubstr("down: redacted " + run_dir.string() + ": 3 text file(s), 3 rewritten, 1 binary left alone"));
  EXPECT_EQ(e2e::testing::readFile(s.artifact_dir / "builder" / "console.log"), "key [REDACTED]\n");
  EXPECT_EQ(e2e::testing::readFile(s.artifact_dir / "hub" / "hub-standin.log"), "admin password [REDACTED]\n");
  EXPECT_EQ(e2e::testing::readFile(run_dir / "Suite.KilledByTimeout" / "chatty-client.log"), "secret is [REDACTED]\n");
  EXPECT_EQ(e2e::testing::readFile(s.artifact_dir / "builder" / "persistent.raw"), disk) << "a disk image is not text";
  EXPECT_FALSE(fs::exists(state));
  struct stat st{};
  ASSERT_EQ(::stat(redaction.c_str(), &st), 0) << "down keeps the secrets for the run's last step";
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // ctest writes its JUnit after down: the run's last step masks both kinds of secret there,
  // and in every PATH after the --state (tools/redact-run.sh passes several).
  const fs::path junit = dir_ / "e2e-junit.xml";
  write(junit, "<testsuite><system-out>" + secret + " and " + password + "</system-out></testsuite>\n");
  const fs::path later = dir_ / "later" / "written-after-down.log";
  write(later, "late " + secret + "\n");
  auto redact = run({"redact", "--forget", "--state", state.string(), junit.string(), later.parent_path().string()}, env);
  EXPECT_TRUE(redact.status.success()) << redact.output;
  EXPECT_EQ(e2e::testing::readFile(junit), "<testsuite><system-out>[REDACTED] and [REDACTED]</system-out></testsuite>\n");
  EXPECT_THAT(redact.output, HasSubstr("redact: redacted " + junit.string() + ": 1 text file(s), 1 rewritten"));
  EXPECT_EQ(e2e::testing::readFile(later), "late [REDACTED]\n");
  EXPECT_THAT(redact.output, Not(HasSubstr("could not be read")));
  EXPECT_FALSE(fs::exists(redaction)) << "--forget removes the kept secrets";
  for (const auto* output : {&down.output, &redact.output}) {
    EXPECT_THAT(*output, Not(HasSubstr(secret)));
    EXPECT_THAT(*output, Not(HasSubstr(password)));
  }
}

}  // namespace
}  // namespace bnet
