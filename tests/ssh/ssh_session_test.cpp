// Integration tests of e2e::SshSession against a real OpenSSH server on loopback.
#include "framework/ssh/ssh_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "framework/artifacts/artifacts.hpp"
#include "framework/artifacts/redactor.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "framework/wait/eventually.hpp"
#include "tests/ssh/sshd_server.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::livingDescendants;
using testing::SshdServer;
using testing::TempDir;

std::string currentUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

std::string readLocal(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string randomBytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

std::string seq(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += std::to_string(i) + "\n";
  return s;
}

class SshSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen"}) {
      if (!fs::exists(program)) {
        GTEST_SKIP() << program << " is missing (Debian packages openssh-server, openssh-client)";
      }
    }
    key_ = ensureSshKey(dir_.path() / "cache" / "id_ed25519");
    server_.emplace(SshdServer::start({.dir = dir_.path() / "sshd", .authorized_key = key_.public_key_openssh}));
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "ssh log:\n" << logText();
      if (server_) std::cerr << "sshd log " << server_->logPath() << ":\n" << server_->logText();
    }
    if (server_) server_->stop();
    server_.reset();
    EXPECT_THAT(livingDescendants(), IsEmpty()) << "processes left behind by the test";
  }

  SshClientConfig config() {
    return {.host = "127.0.0.1",
            .port = server_->port(),
            .user = currentUser(),
            .identity_file = key_.private_key,
            .connect_timeout = 5s,
            .pin_file = dir_.path() / "pins" / "vm-1.known_hosts",
            .log = [this](std::string_view line) { log_.emplace_back(line); }};
  }

  std::string logText() const {
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }

  TempDir dir_{"bnet-e2e-ssh"};
  SshKeyPair key_;
  std::optional<SshdServer> server_;
  std::vector<std::string> log_;
};

TEST_F(SshSessionTest, RunsCommandsAndReportsExitStatus) {
  SshSession ssh(config());
  auto ok = ssh.run("echo hello");
  EXPECT_EQ(ok.exit_status, 0);
  EXPECT_EQ(ok.out, "hello\n");
  EXPECT_TRUE(ok.success());
  EXPECT_EQ(ok.describe(), "exited with status 0");

  auto three = ssh.run("echo before; exit 3");
  EXPECT_EQ(three.exit_status, 3);
  EXPECT_EQ(three.out, "before\n");
  EXPECT_FALSE(three.success());
  EXPECT_EQ(three.describe(), "exited with status 3");
}

TEST_F(SshSessionTest, ReportsACommandKilledBySignal) {
  SshSession ssh(config());
  auto killed = ssh.run("echo dying; kill -KILL $$");
  EXPECT_EQ(killed.exit_status, -1);
  EXPECT_EQ(killed.exit_signal, "KILL");
  EXPECT_EQ(killed.out, "dying\n");
  EXPECT_EQ(killed.describe(), "killed by signal KILL");
}

TEST_F(SshSessionTest, SeparatesStdoutAndStderr) {
  SshSession ssh(config());
  auto r = ssh.run("echo to-out; echo to-err >&2; echo more-out; printf 'no newline' >&2");
  EXPECT_EQ(r.out, "to-out\nmore-out\n");
  EXPECT_EQ(r.err, "to-err\nno newline");
  EXPECT_EQ(r.exit_status, 0);
}

TEST_F(SshSessionTest, CommandGetsAnEmptyStdin) {
  SshSession ssh(config());
  auto r = ssh.run("cat; echo done", 20s);
  EXPECT_EQ(r.out, "done\n");
}

TEST_F(SshSessionTest, LargeOutputOnBothStreamsIsComplete) {
  SshSession ssh(config());
  // About 6.9 MB on stdout and 2 MB on stderr, written at the same time.
  auto r = ssh.run("seq 1 1000000 & seq 1 300000 >&2; wait", 120s);
  ASSERT_EQ(r.exit_status, 0) << r.err.substr(0, 200);
  EXPECT_EQ(r.out.size(), seq(1, 1000000).size());
  EXPECT_TRUE(r.out == seq(1, 1000000)) << "stdout differs from seq 1 1000000";
  EXPECT_TRUE(r.err == seq(1, 300000)) << "stderr differs from seq 1 300000";
}

TEST_F(SshSessionTest, BinaryStdoutIsByteExact) {
  SshSession ssh(config());
  std::string bytes = randomBytes(3 * 1024 * 1024, 7);
  fs::path local = dir_.path() / "random.bin";
  std::ofstream(local, std::ios::binary) << bytes;
  auto r = ssh.run("cat " + local.string(), 60s);
  ASSERT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out.size(), bytes.size());
  EXPECT_TRUE(r.out == bytes) << "cat of a binary file came back different";
}

TEST_F(SshSessionTest, CommandPastItsTimeoutFailsInTimeNamingIt) {
  SshSession ssh(config());
  ssh.connect(Deadline::after(10s));
  auto start = Clock::now();
  try {
    ssh.run("sleep 30", 1s);
    FAIL() << "run returned although the command outlived its timeout";
  } catch (const SshTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr("`sleep 30`"));
    EXPECT_THAT(e.what(), HasSubstr("did not finish within 1s"));
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("127.0.0.1:{}", server_->port())));
  }
  EXPECT_LT(Clock::now() - start, 15s) << "the timeout must end the wait long before sleep 30 ends";
  // The remote command is sent SIGKILL. OpenSSH honours that only for sessions with
  // privilege separation, i.e. not for root logins; there it logs why it refused, which
  // shows the request arrived.
  if (::geteuid() == 0) {
    eventually("sshd received the signal request", 10s, [&] {
      return Attempt::check(server_->logText().find("session_signal_req") != std::string::npos,
                            "sshd log has no session_signal_req line");
    });
  } else {
    eventually("the remote sleep 30 is gone", 10s, [&] {
      std::string seen;
      for (const auto& p : livingDescendants()) seen += p + " ";
      return Attempt::check(seen.find("(sleep)") == std::string::npos, "alive: " + seen);
    });
  }
  // The session is still usable.
  EXPECT_EQ(ssh.run("echo still-here").out, "still-here\n");
}

TEST_F(SshSessionTest, SftpWriteThenReadBackBinaryBothWays) {
  SshSession ssh(config());
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  std::string payload = std::string("a\0b\0\0c", 6) + all_bytes + randomBytes(1024 * 1024 + 17, 11);

  fs::path remote = dir_.path() / "remote" / "blob.bin";
  fs::create_directories(remote.parent_path());
  ssh.write(remote.string(), payload, 0600);
  // The server is on this machine: look at the file it wrote.
  EXPECT_TRUE(readLocal(remote) == payload) << "the file written over SFTP differs";
  EXPECT_EQ(fs::status(remote).permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(ssh.read(remote.string()) == payload) << "the file read back over SFTP differs";

  // Replacing it with something shorter truncates, and the new mode is applied.
  ssh.write(remote.string(), std::string("\0x", 2), 0755);
  EXPECT_EQ(readLocal(remote), std::string("\0x", 2));
  EXPECT_EQ(fs::status(remote).permissions() & fs::perms::mask,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                fs::perms::others_read | fs::perms::others_exec);

  // A file written locally reads the same over SFTP, and an empty file is empty.
  fs::path local = dir_.path() / "local.bin";
  std::ofstream(local, std::ios::binary) << all_bytes;
  EXPECT_TRUE(ssh.read(local.string()) == all_bytes);
  ssh.write((dir_.path() / "empty").string(), "", 0644);
  EXPECT_EQ(ssh.read((dir_.path() / "empty").string()), "");
}

TEST_F(SshSessionTest, SftpErrorsNameThePath) {
  SshSession ssh(config());
  std::string missing = (dir_.path() / "no-such-file").string();
  try {
    ssh.read(missing);
    FAIL() << "read of a missing file returned";
  } catch (const SshError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(missing), HasSubstr("no such file")));
  }
  std::string in_missing_dir = (dir_.path() / "no-dir" / "x").string();
  EXPECT_THROW(ssh.write(in_missing_dir, "x", 0644), SshError);
  // The session survives SFTP errors.
  EXPECT_EQ(ssh.run("echo fine").out, "fine\n");
}

TEST_F(SshSessionTest, PinOnFirstUseRecordsThenAccepts) {
  auto cfg = config();
  ASSERT_FALSE(fs::exists(cfg.pin_file));
  {
    SshSession first(cfg);
    first.connect(Deadline::after(10s));
    EXPECT_EQ(first.hostKeyFingerprint(), server_->hostKeyFingerprint());
  }
  std::string pinned = readLocal(cfg.pin_file);
  EXPECT_THAT(pinned, HasSubstr(fmt::format("[127.0.0.1]:{} ssh-ed25519 ", server_->port())));
  EXPECT_THAT(logText(), HasSubstr("first contact, pinned host key " + server_->hostKeyFingerprint()));

  SshSession second(cfg);
  EXPECT_EQ(second.run("echo again").out, "again\n");
  EXPECT_EQ(readLocal(cfg.pin_file), pinned) << "a known key must not be recorded twice";
}

TEST_F(SshSessionTest, FirstContactWaitsForAnotherProcessRecordingThePin) {
  // Another process holds the pin file's lock while it records the key; our first contact
  // must wait, then find the key recorded and not add it a second time.
  auto cfg = config();
  fs::create_directories(cfg.pin_file.parent_path());
  int fd = ::open(cfg.pin_file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  std::string error = "not finished";
  std::thread connecting([&] {
    try {
      SshSession(cfg).connect(Deadline::after(30s));
      error.clear();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  // /proc/locks lists a blocked flock request as "N: -> FLOCK ADVISORY WRITE <pid> <dev>:<inode> ...".
  std::string inode = fmt::format(":{} ", st.st_ino);
  std::string wait_error;
  try {
    eventually("first contact blocked on the pin file lock", 20s, [&] {
      std::string locks = readLocal("/proc/locks");
      bool waiting = false;
      std::istringstream lines(locks);
      for (std::string line; std::getline(lines, line);) {
        if (line.find("-> FLOCK") != std::string::npos && line.find(inode) != std::string::npos) waiting = true;
      }
      return Attempt::check(waiting, "no waiter on the pin file in /proc/locks");
    });
  } catch (const WaitError& e) {
    wait_error = e.what();
  }
  EXPECT_EQ(wait_error, "");
  std::string host_pub = readLocal(server_->hostKeyPath().string() + ".pub");
  std::string line = fmt::format("[127.0.0.1]:{} {}", server_->port(), host_pub);
  ASSERT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::flock(fd, LOCK_UN);
  ::close(fd);
  connecting.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(readLocal(cfg.pin_file), line) << "the key was recorded twice";
}

TEST_F(SshSessionTest, RestartedServerWithANewHostKeyIsRefused) {
  auto cfg = config();
  SshSession ssh(cfg);
  EXPECT_EQ(ssh.run("true").exit_status, 0);
  std::string old_fp = server_->hostKeyFingerprint();

  int port = server_->port();
  server_->stop();
  server_.reset();
  SshdServer::makeHostKey(dir_.path() / "sshd");
  server_.emplace(SshdServer::start(
      {.dir = dir_.path() / "sshd", .port = port, .authorized_key = key_.public_key_openssh}));
  std::string new_fp = server_->hostKeyFingerprint();
  ASSERT_NE(old_fp, new_fp);

  // Both the session whose connection the restart cut and a fresh one refuse the new key.
  for (auto* session : {&ssh, static_cast<SshSession*>(nullptr)}) {
    SshSession fresh(cfg);
    SshSession& s = session != nullptr ? *session : fresh;
    try {
      s.run("true");
      FAIL() << "a host key different from the pinned one was accepted";
    } catch (const SshHostKeyError& e) {
      EXPECT_THAT(e.what(), AllOf(HasSubstr(fmt::format("127.0.0.1:{}", port)), HasSubstr(old_fp),
                                  HasSubstr(new_fp), HasSubstr("mismatch")));
    }
    EXPECT_FALSE(s.connected());
  }
}

TEST_F(SshSessionTest, StrictModeNeedsTheHostInKnownHosts) {
  auto strict = config();
  strict.host_key_policy = HostKeyPolicy::kStrict;
  strict.pin_file.clear();
  std::string host_pub = readLocal(server_->hostKeyPath().string() + ".pub");
  std::string name = fmt::format("[127.0.0.1]:{}", server_->port());
  auto other_key = ensureSshKey(dir_.path() / "other" / "id_ed25519");

  // A file that lists only other hosts.
  strict.known_hosts_file = dir_.path() / "known_hosts_other";
  std::ofstream(strict.known_hosts_file) << "[127.0.0.1]:1 " << host_pub << "example.org "
                                         << other_key.public_key_openssh << "\n";
  try {
    SshSession(strict).connect(Deadline::after(10s));
    FAIL() << "strict mode accepted a host missing from known_hosts";
  } catch (const SshHostKeyError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("unknown host key"), HasSubstr(server_->hostKeyFingerprint()),
                                HasSubstr(strict.known_hosts_file.string())));
  }

  // A different key recorded for this host.
  strict.known_hosts_file = dir_.path() / "known_hosts_wrong";
  std::ofstream(strict.known_hosts_file) << name << " " << other_key.public_key_openssh << "\n";
  try {
    SshSession(strict).connect(Deadline::after(10s));
    FAIL() << "strict mode accepted a host key that differs from known_hosts";
  } catch (const SshHostKeyError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("mismatch"), HasSubstr(server_->hostKeyFingerprint()),
                                HasSubstr(other_key.fingerprint)));
  }

  // A missing file.
  strict.known_hosts_file = dir_.path() / "no_known_hosts";
  EXPECT_THROW(SshSession(strict).connect(Deadline::after(10s)), SshHostKeyError);
  EXPECT_FALSE(fs::exists(strict.known_hosts_file)) << "strict mode must never write known_hosts";

  // The right entry.
  strict.known_hosts_file = dir_.path() / "known_hosts_right";
  std::ofstream(strict.known_hosts_file) << "# comment\n\n" << name << " " << host_pub;
  SshSession ok(strict);
  EXPECT_EQ(ok.run("echo strict").out, "strict\n");
}

TEST_F(SshSessionTest, WrongUserKeyIsRefusedClearlyAndAtOnce) {
  auto cfg = config();
  auto other = ensureSshKey(dir_.path() / "other" / "id_ed25519");
  cfg.identity_file = other.private_key;
  SshSession ssh(cfg);
  auto start = Clock::now();
  try {
    ssh.waitUntilReachable(Deadline::after(30s));
    FAIL() << "a key missing from authorized_keys was accepted";
  } catch (const SshAuthError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("refused public key"), HasSubstr(other.fingerprint),
                                HasSubstr(other.private_key.string()),
                                HasSubstr(fmt::format("user '{}'", currentUser()))));
  }
  EXPECT_LT(Clock::now() - start, 20s) << "an authentication failure must not be retried until the deadline";
}

TEST_F(SshSessionTest, WaitUntilReachableWaitsForALateServer) {
  int port = SshdServer::freePort();
  SshdServer late = SshdServer::start({.dir = dir_.path() / "late",
                                       .port = port,
                                       .authorized_key = key_.public_key_openssh,
                                       .start_delay = 1000ms});
  auto cfg = config();
  cfg.port = port;
  SshSession ssh(cfg);
  ssh.waitUntilReachable(Deadline::after(30s));
  EXPECT_TRUE(ssh.connected());
  EXPECT_EQ(ssh.run("echo late").out, "late\n");
  EXPECT_THAT(late.logText(), HasSubstr("Accepted publickey"));
}

TEST_F(SshSessionTest, WaitUntilReachableOnADeadPortTimesOutWithTheLastError) {
  auto cfg = config();
  cfg.port = SshdServer::freePort();
  SshSession ssh(cfg);
  try {
    ssh.waitUntilReachable(Deadline::after(2s));
    FAIL() << "nothing listens, yet the wait succeeded";
  } catch (const WaitTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("ssh {} reachable: timed out after 2s", cfg.target())));
    EXPECT_THAT(e.what(), HasSubstr("cannot connect"));
    EXPECT_THAT(e.last(), HasSubstr("refused"));
    EXPECT_GE(e.tries(), 2);
  }
  EXPECT_FALSE(ssh.connected());
}

TEST_F(SshSessionTest, WaitUntilReachableRetriesAPortThatNeverGreets) {
  // A listening socket nobody accepts from: the kernel completes the TCP handshake, but no
  // SSH banner ever comes (like a forwarded port of a machine still booting).
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto cfg = config();
  cfg.port = ntohs(addr.sin_port);
  cfg.connect_timeout = 400ms;
  SshSession ssh(cfg);
  try {
    ssh.waitUntilReachable(Deadline::after(2s));
    ADD_FAILURE() << "a port without an SSH server counted as reachable";
  } catch (const WaitTimeout& e) {
    EXPECT_GE(e.tries(), 2) << "each attempt is bounded by connect_timeout, so there is time to retry";
    EXPECT_THAT(e.last(), HasSubstr("cannot connect"));
    EXPECT_THAT(e.last(), ::testing::ContainsRegex("[Tt]imeout"));
  }
  ::close(fd);
}

TEST_F(SshSessionTest, ConnectionDroppedMidCommandFailsPromptlyThenReconnects) {
  auto cfg = config();
  SshSession ssh(cfg);
  ssh.connect(Deadline::after(10s));
  std::string killer_error;
  std::thread killer([&] {
    // Kill sshd with everything under it once the remote sleep runs (like a machine dying).
    try {
      eventually("remote sleep 30 running", 20s, [&] {
        std::string seen;
        for (const auto& p : livingDescendants()) seen += p + " ";
        return Attempt::check(seen.find("(sleep)") != std::string::npos, "processes: " + seen);
      });
    } catch (const std::exception& e) {
      killer_error = e.what();
    }
    server_->killAll();
  });
  auto start = Clock::now();
  try {
    ssh.run("sleep 30", 120s);
    ADD_FAILURE() << "run returned although the server died";
  } catch (const SshConnectionLost& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("connection lost"), HasSubstr("`sleep 30`")));
  }
  killer.join();
  EXPECT_EQ(killer_error, "");
  EXPECT_LT(Clock::now() - start, 25s) << "a dropped connection must end the command at once";
  EXPECT_FALSE(ssh.connected());

  // The same server (same host key) comes back: the next call reconnects.
  int port = server_->port();
  server_.reset();
  server_.emplace(SshdServer::start(
      {.dir = dir_.path() / "sshd", .port = port, .authorized_key = key_.public_key_openssh}));
  EXPECT_EQ(ssh.run("echo back").out, "back\n");
  EXPECT_THAT(logText(), HasSubstr("reconnecting"));
}

TEST_F(SshSessionTest, LogRecordsEachCommandAndResultButNoFileContent) {
  auto cfg = config();
  cfg.log_path = dir_.path() / "ssh.log";
  SshSession ssh(cfg);
  ssh.run("echo out; echo the-error-text >&2; exit 4");
  ssh.write((dir_.path() / "secret").string(), "secret-content-xyz", 0600);
  std::string text = logText();
  EXPECT_THAT(text, HasSubstr(fmt::format("ssh {} $ echo out; echo the-error-text >&2; exit 4", cfg.target())));
  EXPECT_THAT(text, HasSubstr("exited with status 4 after"));
  EXPECT_THAT(text, HasSubstr("stdout 4 bytes, stderr 15 bytes; stderr tail: the-error-text\\n"));
  EXPECT_THAT(text, HasSubstr(fmt::format("sftp write {} (18 bytes, mode 0600)", (dir_.path() / "secret").string())));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("secret-content-xyz")));
  EXPECT_EQ(readLocal(cfg.log_path), text) << "the log file holds the same lines";
}

TEST_F(SshSessionTest, LogMasksRegisteredSecrets) {
  ASSERT_TRUE(Redactor::instance().registerSecret("hunter2-secret-value"));
  auto cfg = config();
  cfg.log_path = dir_.path() / "ssh.log";
  SshSession ssh(cfg);
  auto r = ssh.run("echo token=hunter2-secret-value >&2");
  EXPECT_EQ(r.err, "token=hunter2-secret-value\n") << "results are not redacted, only logs";
  for (const auto& text : {logText(), readLocal(cfg.log_path)}) {
    EXPECT_THAT(text, ::testing::Not(HasSubstr("hunter2-secret-value")));
    EXPECT_THAT(text, HasSubstr("$ echo token=[REDACTED] >&2"));
    EXPECT_THAT(text, HasSubstr("stderr tail: token=[REDACTED]\\n"));
  }
}

TEST_F(SshSessionTest, LogGoesToTheTestsArtifactsByDefault) {
  auto cfg = config();
  cfg.log = nullptr;
  SshSession ssh(cfg);
  ssh.run("echo to-artifacts");
  fs::path expected = Artifacts::instance().testDir() / fmt::format("ssh-127.0.0.1-{}.log", server_->port());
  EXPECT_EQ(ssh.config().log_path, expected);
  EXPECT_THAT(readLocal(expected), HasSubstr("$ echo to-artifacts"));
}

TEST_F(SshSessionTest, ConcurrentCallsOnOneSessionAreSerialized) {
  SshSession shared(config());
  SshClient client(config());
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      if (i % 2 == 0) {
        outputs[i] = shared.run(fmt::format("echo shared-{}", i)).out;
      } else {
        auto own = client.makeSession();
        outputs[i] = own.run(fmt::format("echo own-{}", i)).out;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(outputs[i], fmt::format("{}-{}\n", i % 2 == 0 ? "shared" : "own", i));
  }
}

TEST_F(SshSessionTest, DefaultIdentityIsTheCachedFrameworkKey) {
  TempDir cache("bnet-e2e-cache");
  const char* old = std::getenv("BNET_E2E_CACHE");
  std::string saved = old != nullptr ? old : "";
  ::setenv("BNET_E2E_CACHE", cache.path().c_str(), 1);
  auto framework_key = ensureSshKey();
  EXPECT_EQ(framework_key.private_key, cache.path() / "ssh" / "id_ed25519");

  int port = SshdServer::freePort();
  SshdServer own = SshdServer::start(
      {.dir = dir_.path() / "own", .port = port, .authorized_key = framework_key.public_key_openssh});
  auto cfg = config();
  cfg.port = port;
  cfg.identity_file.clear();
  SshSession ssh(cfg);
  if (old != nullptr) {
    ::setenv("BNET_E2E_CACHE", saved.c_str(), 1);
  } else {
    ::unsetenv("BNET_E2E_CACHE");
  }
  EXPECT_EQ(ssh.config().identity_file, framework_key.private_key);
  EXPECT_EQ(ssh.run("echo default-key").out, "default-key\n");
}

}  // namespace
}  // namespace e2e
