// Fault injection without a VM: an SSH connection dropped or frozen mid-command, anvil
// killed under a block wait, the relay down under its observer, the artifacts disk full, and
// a test binary with a devnet killed like a power cut, then `bnet-e2e down --all`. Each test
// records its time to detection (property time_to_detection_s) and checks that nothing it
// started is left running.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/l1/relay.hpp"
#include "framework/http/http_client.hpp"
#include "framework/process/child_process.hpp"
#include "framework/process/registry.hpp"
#include "framework/ssh/ssh_error.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "framework/ssh/ssh_session.hpp"
#include "framework/wait/eventually.hpp"
#include "tests/faults/fault_proxy.hpp"
#include "tests/faults/faults_support.hpp"
#include "tests/ssh/sshd_server.hpp"
#include "tests/support/files.hpp"
#include "framework/fs/fs.hpp"

namespace e2e::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------
// SSH: a real sshd on loopback behind a fault proxy the test controls.

std::string currentUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

class SshFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen"}) {
      if (!fs::exists(program)) GTEST_SKIP() << program << " is missing (Debian packages openssh-server, openssh-client)";
    }
    key_ = ensureSshKey(dir_.path() / "key" / "id_ed25519");
    server_.emplace(SshdServer::start({.dir = dir_.path() / "sshd", .authorized_key = key_.public_key_openssh}));
    proxy_ = FaultProxy::start({.name = "ssh-fault-proxy", .upstream_port = static_cast<std::uint16_t>(server_->port())});
  }
  void TearDown() override {
    if (proxy_) proxy_->stop();
    if (server_) server_->stop();
    server_.reset();
    EXPECT_TRUE(nothingLeftRunning());
  }
  SshClientConfig config() {
    return {.host = "127.0.0.1",
            .port = proxy_->port(),
            .user = currentUser(),
            .identity_file = key_.private_key,
            .connect_timeout = 5s,
            .pin_file = dir_.path() / "pins" / "known_hosts"};
  }
  // Blocks until the remote `sleep` of a command runs under sshd.
  void waitForRemoteSleep() {
    eventually("remote sleep running under sshd", 20s, [&] {
      std::string seen;
      for (pid_t p : SshdServer::descendants(server_->pid())) {
        std::ifstream comm(fmt::format("/proc/{}/comm", p));
        std::string name;
        std::getline(comm, name);
        seen += name + " ";
      }
      return Attempt::check(seen.find("sleep ") != std::string::npos, "processes under sshd: " + seen);
    });
  }

  TempDir dir_{"bnet-e2e-faults-ssh"};
  SshKeyPair key_;
  std::optional<SshdServer> server_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(SshFaults, ConnectionDroppedMidCommandThrowsNamingTheHostAtOnce) {
  SshSession ssh(config());
  ssh.connect(Deadline::after(10s));
  constexpr auto kTimeout = 60s;
  Clock::time_point dropped{};
  std::string dropper_error;
  std::thread dropper([&] {
    try {
      waitForRemoteSleep();
    } catch (const std::exception& e) {
      dropper_error = e.what();
    }
    dropped = Clock::now();
    proxy_->dropAll();
  });
  try {
    ssh.run("sleep 30", kTimeout);
    ADD_FAILURE() << "run returned although its connection was dropped";
  } catch (const SshConnectionLost& e) {
    const double detection = secondsSince(dropped);
    recordDetection(detection);
    recordReport(e.what());
    EXPECT_THAT(e.what(), AllOf(HasSubstr(fmt::format("127.0.0.1:{}", proxy_->port())), HasSubstr("`sleep 30`"),
                                HasSubstr("connection lost")));
    EXPECT_LT(detection, std::chrono::duration<double>(kTimeout).count()) << "within the command's timeout";
  }
  dropper.join();
  EXPECT_EQ(dropper_error, "");
  EXPECT_FALSE(ssh.connected());
}

TEST_F(SshFaults, FrozenConnectionTimesOutNamingTheHostAndTheCommand) {
  SshSession ssh(config());
  ssh.connect(Deadline::after(10s));
  constexpr auto kTimeout = 5s;
  proxy_->freeze();  // a black hole: no reset, no FIN, nothing
  const auto start = Clock::now();
  try {
    ssh.run("echo unreachable", kTimeout);
    ADD_FAILURE() << "run returned over a frozen connection";
  } catch (const SshError& e) {
    const double detection = secondsSince(start);
    recordDetection(detection);
    recordReport(e.what());
    EXPECT_THAT(e.what(), AllOf(HasSubstr(fmt::format("127.0.0.1:{}", proxy_->port())), HasSubstr("echo unreachable")));
    // The contract: the command's timeout plus a small margin, never a hang.
    EXPECT_LT(detection, std::chrono::duration<double>(kTimeout + 10s).count());
  }
}

// ---------------------------------------------------------------------------------------
// The local L1: bnet-devnet (anvil, slot clock, relay and beacon stand-ins).

using bnet::L1Devnet;
using bnet::L1DevnetConfig;

L1DevnetConfig devnetConfig() { return L1DevnetConfig{.mode = bnet::L1Mode::kLocal, .slot_seconds = 2}; }

// The pid of the registry record named `name` whose owner is `owner`, or 0.
pid_t recordedChild(pid_t owner, const std::string& name) {
  for (const auto& r : ProcessRegistry::list()) {
    if (r.owner_pid == owner && r.name == name) return r.pid;
  }
  return 0;
}

std::uint16_t portOf(const std::string& url) {
  std::smatch m;
  if (!std::regex_search(url, m, std::regex(":([0-9]+)(/|$)"))) throw std::invalid_argument("no port in " + url);
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

TEST(L1Faults, AnvilKilledFailsABlockWaitAtOnceNamingAnvilAndItsLog) {
  if (auto why = L1Devnet::unavailableReason(devnetConfig())) GTEST_SKIP() << *why;
  pid_t anvil = 0;
  {
    auto devnet = L1Devnet::start(devnetConfig());
    const pid_t devnet_pid = recordedChild(::getpid(), "bnet-devnet");
    ASSERT_NE(devnet_pid, 0) << "bnet-devnet is not in the process registry";
    anvil = recordedChild(devnet_pid, "anvil");
    ASSERT_NE(anvil, 0) << "bnet-devnet's anvil is not in the process registry";
    const auto head = devnet.execution().blockNumber();
    const auto budget = 120s;
    ASSERT_EQ(::kill(anvil, SIGKILL), 0);
    const auto killed = Clock::now();
    try {
      devnet.waitForBlock(head + 1000, Deadline::after(budget));
      ADD_FAILURE() << "block " << head + 1000 << " arrived from a killed anvil";
    } catch (const WaitFailed& e) {
      const double detection = secondsSince(killed);
      recordDetection(detection);
      recordReport(e.what());
      EXPECT_THAT(e.what(), AllOf(HasSubstr("anvil"), HasSubstr("anvil.log"), HasSubstr("bnet-devnet")));
      EXPECT_LT(detection, std::chrono::duration<double>(budget).count()) << "failed fast, not at the deadline";
    } catch (const WaitTimeout& e) {
      ADD_FAILURE() << "the wait ran to its deadline instead of failing fast: " << e.what();
    }
  }
  EXPECT_TRUE(processGone(anvil));
  EXPECT_TRUE(nothingLeftRunning());
}

TEST(RelayFaults, RelayDownMakesTheObserverNameTheRelayAndItsUrl) {
  if (auto why = L1Devnet::unavailableReason(devnetConfig())) GTEST_SKIP() << *why;
  {
    auto devnet = L1Devnet::start(devnetConfig());
    auto proxy = FaultProxy::start({.name = "relay-fault-proxy", .upstream_port = portOf(devnet.endpoints().relay_url)});
    bnet::Relay relay({.url = proxy->url()});
    ASSERT_TRUE(relay.statusOk()) << "the relay answers through the proxy before the fault";
    proxy->stop();  // the relay is down: its port refuses connections
    auto start = Clock::now();
    try {
      relay.bidsReceived({.slot = 1});
      ADD_FAILURE() << "a down relay answered";
    } catch (const HttpError& e) {
      recordDetection(secondsSince(start));
      recordReport(e.what());
      EXPECT_THAT(e.what(), ::testing::StartsWith("relay " + proxy->url() + ": "));
      EXPECT_THAT(e.what(), HasSubstr(proxy->url() + "/relay/v1/data/bidtraces/builder_blocks_received"));
    }
    // A wait on the relay keeps trying (a relay may come back) and ends at its deadline with
    // the relay's URL and the last error.
    const auto budget = 5s;
    start = Clock::now();
    try {
      relay.waitForBidReceived({.slot = 1}, Deadline::after(budget));
      ADD_FAILURE() << "a down relay received a bid";
    } catch (const WaitTimeout& e) {
      const double waited = secondsSince(start);
      RecordProperty("wait_ended_after_s", fmt::format("{:.2f}", waited));
      EXPECT_THAT(e.what(), HasSubstr("relay " + proxy->url()));
      EXPECT_THAT(e.last(), ::testing::ContainsRegex("[Cc]onnect|refused"));
      EXPECT_LT(waited, std::chrono::duration<double>(budget + 5s).count());
    }
  }
  EXPECT_TRUE(nothingLeftRunning());
}

// ---------------------------------------------------------------------------------------
// The artifacts folder on a full disk: a 64 KiB tmpfs under a child test binary.

class Tmpfs {
 public:
  // Mounts a tmpfs of `size` at dir; nullopt with the reason when mount(8) refuses.
  static std::optional<Tmpfs> mount(const fs::path& dir, const std::string& size, std::string& why) {
    fs::create_directories(dir);
    auto result = runCommand({.name = "mount-tmpfs", .executable = "mount",
                              .args = {"-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.string()},
                              .log_path = dir.parent_path() / "mount.log"},
                             Deadline::after(20s));
    if (!result.status.success()) {
      why = fmt::format("cannot mount a tmpfs at {} ({}): {}", dir.string(), result.status.describe(), result.output);
      return std::nullopt;
    }
    return Tmpfs(dir);
  }
  Tmpfs(Tmpfs&& other) noexcept : dir_(std::exchange(other.dir_, {})) {}
  Tmpfs& operator=(Tmpfs&&) = delete;
  ~Tmpfs() {
    if (dir_.empty()) return;
    try {
      runCommand({.name = "umount-tmpfs", .executable = "umount", .args = {dir_.string()},
                  .log_path = dir_.parent_path() / "umount.log"},
                 Deadline::after(20s));
    } catch (const std::exception&) {
      // The folder is in a TempDir; a failed umount shows as a busy mount in that test's log.
    }
  }

 private:
  explicit Tmpfs(fs::path dir) : dir_(std::move(dir)) {}
  fs::path dir_;
};

TEST(ArtifactsFaults, DiskFullGivesAnErrorNamingTheFileAndKeepsTheTestResults) {
  TempDir dir("bnet-e2e-faults-disk");
  std::string why;
  auto tmpfs = Tmpfs::mount(dir.path() / "artifacts", "64k", why);
  if (!tmpfs) GTEST_SKIP() << why;
  const fs::path xml = dir.path() / "junit.xml";
  const auto start = Clock::now();
  auto run = runCommand({.name = "disk-full-child",
                         .executable = e2e::inBuildTree(FAULTS_DISK_FULL_CHILD),
                         .args = {"--gtest_output=xml:" + xml.string()},
                         .env = {{"BNET_E2E_ARTIFACTS", (dir.path() / "artifacts").string()},
                                 {"BNET_E2E_RUN_ID", "disk-full"},
                                 {"BNET_E2E_KEEP_ARTIFACTS", "1"}},
                         .log_path = dir.path() / "child-output.txt"},
                        Deadline::after(120s));
  recordDetection(secondsSince(start));
  // Failed tests, not a crash: GoogleTest's own exit code 1, after every test ran.
  EXPECT_EQ(run.status.describe(), "exited with code 1") << quoted(run.output);
  const fs::path big = dir.path() / "artifacts" / "disk-full" / "DiskFull.WritingABigArtifactFails" / "big.txt";
  EXPECT_THAT(quoted(run.output), HasSubstr(fmt::format("artifact {}: write failed: No space left on device", big.string())));
  EXPECT_THAT(quoted(run.output), HasSubstr("[  PASSED  ] 1 test"));
  EXPECT_THAT(quoted(run.output), HasSubstr("2 FAILED TESTS"));
  // The results are all there, the JUnit XML too (it lives outside the full disk).
  const std::string junit = readFile(xml);
  EXPECT_THAT(junit, HasSubstr(R"(tests="3")"));
  EXPECT_THAT(junit, HasSubstr(R"(failures="2")"));
  EXPECT_THAT(junit, HasSubstr("No space left on device"));
  EXPECT_TRUE(nothingLeftRunning());
}

// ---------------------------------------------------------------------------------------
// The reaper: a test binary holding a devnet dies with its guardian (a power cut); `bnet-e2e
// down --all` ends what it left. A private state folder keeps other runs' records out.

pid_t guardianOf(pid_t parent) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close = line.rfind(')');
    if (line.find("(e2e-guardian)") == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) return std::stoi(name);
  }
  return 0;
}

// No socket listens on 127.0.0.1:port (a server could bind it now). SO_REUSEADDR, as every
// server sets it: connections of the dead run lingering in TIME_WAIT hold nothing.
bool portFree(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

TEST(Reaper, PowerCutOfATestBinaryWithADevnetThenDownAllLeavesNoProcessAndNoPort) {
  if (auto why = L1Devnet::unavailableReason(devnetConfig())) GTEST_SKIP() << *why;
  TempDir dir("bnet-e2e-faults-reaper");
  const fs::path state_dir = dir.path() / "state";
  const fs::path info_file = dir.path() / "holder.json";
  auto holder = ChildProcess::start({.name = "devnet-holder",
                                     .executable = e2e::inBuildTree(FAULTS_DEVNET_HOLDER),
                                     .args = {info_file.string(), (dir.path() / "l1").string()},
                                     .env = {{"BNET_E2E_STATE_DIR", state_dir.string()}},
                                     .log_path = dir.path() / "holder.log"});
  nlohmann::json info;
  waitForReady(holder, "devnet-holder wrote its devnet's pids and ports", Deadline::after(90s), [&] {
    std::ifstream in(info_file);
    if (!in) return Attempt::retry("no info file yet");
    info = nlohmann::json::parse(in);
    return Attempt::done();
  });
  std::vector<pid_t> pids = info.at("pids").get<std::vector<pid_t>>();
  std::vector<std::uint16_t> ports = info.at("ports").get<std::vector<std::uint16_t>>();
  ASSERT_GE(pids.size(), 2u) << info.dump();
  ASSERT_GE(ports.size(), 3u) << info.dump();
  for (auto port : ports) EXPECT_FALSE(portFree(port)) << "port " << port << " is not held by the devnet";

  const pid_t guardian = guardianOf(holder.pid());
  ASSERT_NE(guardian, 0) << "the holder's guardian was not found";
  ::kill(guardian, SIGKILL);  // the power cut: the guardian cannot clean up either
  ::kill(holder.pid(), SIGKILL);
  EXPECT_EQ(holder.wait(Deadline::after(10s)).describe(), "killed by signal 9 (SIGKILL)");
  eventually("guardian gone", 10s, [&] { return Attempt::check(processGone(guardian), "alive"); });
  for (pid_t p : pids) ASSERT_FALSE(processGone(p)) << "pid " << p << " died with its parent: nothing left to reap";

  const auto start = Clock::now();
  auto down = runCommand({.name = "bnet-e2e-down-all",
                          .executable = e2e::inBuildTree(BNET_E2E_PROGRAM),
                          .args = {"down", "--all"},
                          .env = {{"BNET_E2E_STATE_DIR", state_dir.string()}},
                          .unset_env = {"BNET_E2E_STATE"},
                          .log_path = dir.path() / "down.log"},
                         Deadline::after(60s));
  ASSERT_TRUE(down.status.success()) << down.output;
  eventually("every process of the crashed run gone", 20s, [&] {
    std::string alive;
    for (pid_t p : pids) {
      if (!processGone(p)) alive += std::to_string(p) + " ";
    }
    return Attempt::check(alive.empty(), "alive: " + alive);
  });
  eventually("every port of the crashed run free", 20s, [&] {
    std::string held;
    for (auto port : ports) {
      if (!portFree(port)) held += std::to_string(port) + " ";
    }
    return Attempt::check(held.empty(), "held: " + held);
  });
  recordDetection(secondsSince(start));
  EXPECT_THAT(down.output, HasSubstr("process(es) killed"));
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(state_dir / "processes", ec)) << "records left in " << (state_dir / "processes");
  EXPECT_TRUE(nothingLeftRunning());
}

}  // namespace
}  // namespace e2e::testing
