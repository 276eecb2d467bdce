// PlaygroundSession (the playground-buildernet environment's session) against the project's
// builder-playground impersonation (tests/l1/builder-playground): generate, base_args,
// `start playground.yaml`, ports from the lines / outputs / `port`, the VM forwards from the
// generated start.sh, the refusal of a second session, the known image incompatibility read
// from the console, evidence collected, and nothing left after. These cases never boot the
// VM (STANDIN_VM_CONSOLE stands in for its console); cli_playground_test boots the twin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fixtures/l1/playground_output.hpp"
#include "fixtures/l1/playground_session.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string readAll(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PlaygroundSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_dir_ = e2e::inSourceTree("tests/l1");
    auto anvil = findAnvil();
    if (!fs::exists(e2e::inBuildTree(BNET_DEVNET_PROGRAM))) GTEST_SKIP() << "bnet-devnet not built: " << e2e::inBuildTree(BNET_DEVNET_PROGRAM);
    if (!fs::exists(e2e::inBuildTree(BNET_HUB_STANDIN_PROGRAM))) GTEST_SKIP() << "bnet-hub-standin not built: " << e2e::inBuildTree(BNET_HUB_STANDIN_PROGRAM);
    if (!anvil) GTEST_SKIP() << "anvil not found: run tools/setup.sh or set BNET_ANVIL";
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    setenv("PATH", ((test_dir_ / "fake-docker").string() + ":" + old_path_).c_str(), 1);
    setenv("BNET_DEVNET", e2e::inBuildTree(BNET_DEVNET_PROGRAM).c_str(), 1);
    setenv("BNET_HUB_STANDIN", e2e::inBuildTree(BNET_HUB_STANDIN_PROGRAM).c_str(), 1);
    setenv("BNET_ANVIL", anvil->c_str(), 1);
    scratch_ = e2e::Artifacts::instance().testDir() / "scratch";
    fs::create_directories(scratch_);
    setenv("STANDIN_SESSIONS_DIR", (scratch_ / "sessions").c_str(), 1);
    setenv("STANDIN_RECORD", (scratch_ / "record.txt").c_str(), 1);
    // Forwards away from the real 2222/13535/...: this test shares the host.
    setenv("STANDIN_VM_PORT_OFFSET", std::to_string(20000 + (::getpid() % 5000)).c_str(), 1);
    image_ = scratch_ / "image.qcow2";
    std::ofstream(image_) << "not an image";
  }
  void TearDown() override {
    if (old_path_.empty()) return;
    setenv("PATH", old_path_.c_str(), 1);
    for (const char* v : {"BNET_DEVNET", "BNET_HUB_STANDIN", "BNET_ANVIL", "STANDIN_SESSIONS_DIR", "STANDIN_RECORD",
                          "STANDIN_VM_PORT_OFFSET", "STANDIN_VM_CONSOLE", "STANDIN_NO_PORT_LINES"}) {
      unsetenv(v);
    }
  }
  PlaygroundSessionConfig config(std::chrono::seconds ready) const {
    return PlaygroundSessionConfig{.program = test_dir_ / "builder-playground",
                                   .recipe_flags = {"--block-time", "2s"},
                                   .env = {{"BUILDERNET_IMAGE", image_.string()}, {"VM_DATA_DISK_SIZE", "1G"}},
                                   .work_dir = scratch_ / "run",
                                   .start_timeout = std::chrono::seconds(60),
                                   .ready_timeout = ready,
                                   .stop_timeout = std::chrono::seconds(30),
                                   .lock_file = scratch_ / "vm.lock"};
  }
  std::string console(const std::string& text) {
    auto file = scratch_ / "console.txt";
    std::ofstream(file) << text;
    setenv("STANDIN_VM_CONSOLE", file.c_str(), 1);
    return file;
  }
  bool sessionsLeft() const {
    std::error_code ec;
    return fs::exists(scratch_ / "sessions", ec) && !fs::is_empty(scratch_ / "sessions", ec);
  }

  fs::path test_dir_, scratch_, image_;
  std::string old_path_;
};

TEST_F(PlaygroundSessionTest, AKnownIncompatibilityIsNamedNotATimeout) {
  console("[  OK  ] Finished render-config.service\n"
          "persistent-setup[612]: persistent-setup: Waiting for device with serial persistent to appear...\n"
          "[FAILED] Failed to start persistent-setup.service - Persistent disk setup.\n");
  try {
    PlaygroundSession::start(config(std::chrono::seconds(120)));
    FAIL() << "the session came up";
  } catch (const PlaygroundSessionError& e) {
    std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("known image/builder-playground incompatibility"));
    EXPECT_THAT(what, HasSubstr("serial persistent"));
    EXPECT_THAT(what, ::testing::Not(HasSubstr("timed out")));
    EXPECT_THAT(what, HasSubstr("collected/console.log"));
  }
  auto run = scratch_ / "run";
  EXPECT_THAT(readAll(run / "collected" / "console.log"), HasSubstr("Waiting for device with serial persistent"));
  EXPECT_TRUE(fs::exists(run / "collected" / "builder.log"));
  // The operator API did not answer: said, not hidden.
  EXPECT_THAT(readAll(run / "collected" / "collect-errors.txt"), HasSubstr("/logs"));
  // Recipe flags went into the YAML, not onto the command line (start <yaml> rejects them).
  EXPECT_THAT(readAll(run / "playground.yaml"), HasSubstr("--block-time"));
  std::string record = readAll(scratch_ / "record.txt");
  EXPECT_THAT(record, HasSubstr("generate buildernet/mkosi"));
  EXPECT_THAT(record, HasSubstr("start playground.yaml --output"));
  EXPECT_THAT(record, ::testing::Not(HasSubstr("start playground.yaml --output " + (run / "output").string() + " --detached --block-time")));
  EXPECT_THAT(record, HasSubstr("clean brave-otter-"));
  EXPECT_FALSE(sessionsLeft());
}

TEST_F(PlaygroundSessionTest, AVmThatNeverGetsReadyTimesOutWithWhatItSawAndPortsFromPort) {
  console("Booting...\n");
  setenv("STANDIN_NO_PORT_LINES", "1", 1);  // el's ports only through `port`
  try {
    PlaygroundSession::start(config(std::chrono::seconds(12)));
    FAIL() << "the session came up";
  } catch (const PlaygroundSessionError& e) {
    std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("readyz: timed out"));
    EXPECT_THAT(what, HasSubstr("start.sh waiting"));
    EXPECT_THAT(what, ::testing::Not(HasSubstr("incompatibility")));
  }
  EXPECT_THAT(readAll(scratch_ / "record.txt"), ::testing::ContainsRegex("port brave-otter-[0-9]+ el http"));
  EXPECT_FALSE(sessionsLeft());
}

TEST_F(PlaygroundSessionTest, RefusesASecondSession) {
  int fd = ::open((scratch_ / "vm.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  try {
    PlaygroundSession::start(config(std::chrono::seconds(5)));
    FAIL() << "a second session started";
  } catch (const PlaygroundSessionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("refusing a second buildernet/mkosi session"));
    EXPECT_THAT(e.what(), HasSubstr("one per host"));
  }
  ::close(fd);
  EXPECT_FALSE(fs::exists(scratch_ / "run" / "playground.yaml"));  // refused before anything ran
}

TEST_F(PlaygroundSessionTest, RefusesWhenAVmForwardIsTaken) {
  // Someone else's VM on the HTTPS forward (the generated start.sh names the port).
  const int port = 10443 + 20000 + (::getpid() % 5000);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  try {
    PlaygroundSession::start(config(std::chrono::seconds(5)));
    FAIL() << "started next to a taken forward";
  } catch (const PlaygroundSessionError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("host port {}", port)));
    EXPECT_THAT(e.what(), HasSubstr("guest port 443"));
  }
  ::close(fd);
  EXPECT_FALSE(sessionsLeft());
}

TEST_F(PlaygroundSessionTest, SkipsWithTheReasonWithoutDocker) {
  auto empty = scratch_ / "empty-path";
  fs::create_directories(empty);
  setenv("PATH", empty.c_str(), 1);
  auto why = PlaygroundSession::unavailableReason(config(std::chrono::seconds(5)));
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("docker"));
  EXPECT_THROW(PlaygroundSession::start(config(std::chrono::seconds(5))), L1DevnetUnavailable);
}

}  // namespace
}  // namespace bnet
