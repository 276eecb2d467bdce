// Unit tests of the framework's SSH key and of SshSession's config checks (no server).
#include "framework/ssh/ssh_key.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "framework/ssh/ssh_session.hpp"
#include "tests/ssh/sshd_server.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::TempDir;

std::string readLocal(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int modeOf(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return static_cast<int>(st.st_mode & 07777);
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    value != nullptr ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(SshKey, GeneratesAnEd25519KeyPairOnce) {
  TempDir dir("bnet-e2e-key");
  fs::path path = dir.path() / "nested" / "ssh" / "id_ed25519";
  auto first = ensureSshKey(path);
  EXPECT_EQ(first.private_key, path);
  EXPECT_EQ(first.public_key, fs::path(path.string() + ".pub"));
  EXPECT_EQ(modeOf(path), 0600);
  EXPECT_THAT(first.public_key_openssh, MatchesRegex("ssh-ed25519 [A-Za-z0-9+/]+=* bnet-e2e"));
  EXPECT_EQ(readLocal(first.public_key), first.public_key_openssh + "\n");
  EXPECT_THAT(first.fingerprint, MatchesRegex("SHA256:[A-Za-z0-9+/]{43}"));
  EXPECT_THAT(readLocal(path), HasSubstr("-----BEGIN OPENSSH PRIVATE KEY-----"));

  auto second = ensureSshKey(path);
  EXPECT_EQ(second.public_key_openssh, first.public_key_openssh) << "the key must be reused";
  EXPECT_EQ(second.fingerprint, first.fingerprint);
}

TEST(SshKey, OpenSshReadsTheKeyAndAgreesOnTheFingerprint) {
  if (!fs::exists("/usr/bin/ssh-keygen")) GTEST_SKIP() << "/usr/bin/ssh-keygen is missing (openssh-client)";
  TempDir dir("bnet-e2e-key");
  auto key = ensureSshKey(dir.path() / "id_ed25519");
  std::string derived = testing::runProgram({"/usr/bin/ssh-keygen", "-y", "-f", key.private_key.string()});
  // ssh-keygen -y prints "type base64 [comment]": the first two fields must agree.
  std::istringstream in(derived);
  std::string type, base64;
  in >> type >> base64;
  EXPECT_EQ(key.public_key_openssh, fmt::format("{} {} bnet-e2e", type, base64));
  std::string listed = testing::runProgram({"/usr/bin/ssh-keygen", "-l", "-f", key.public_key.string()});
  EXPECT_THAT(listed, HasSubstr(key.fingerprint));
}

TEST(SshKey, ConcurrentFirstUseByManyProcessesYieldsOneKey) {
  TempDir dir("bnet-e2e-key");
  fs::path path = dir.path() / "ssh" / "id_ed25519";
  constexpr int kProcesses = 8;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<std::pair<pid_t, int>> children;
  for (int i = 0; i < kProcesses; ++i) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      ::close(out[0]);
      char c;
      // All children start together when the parent closes the pipe.
      [[maybe_unused]] ssize_t r = ::read(go[0], &c, 1);
      int code = 0;
      std::string line;
      try {
        line = ensureSshKey(path).public_key_openssh;
      } catch (const std::exception& e) {
        line = std::string("error: ") + e.what();
        code = 1;
      }
      [[maybe_unused]] ssize_t w = ::write(out[1], line.data(), line.size());
      ::_exit(code);
    }
    ::close(out[1]);
    children.emplace_back(pid, out[0]);
  }
  ::close(go[0]);
  ::close(go[1]);
  std::set<std::string> keys;
  for (auto [pid, fd] : children) {
    std::string line;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) line.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << line;
    keys.insert(line);
  }
  EXPECT_EQ(keys.size(), 1u) << "processes racing on first use saw different keys";
  EXPECT_EQ(*keys.begin(), ensureSshKey(path).public_key_openssh);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path.parent_path())) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"id_ed25519", "id_ed25519.pub"})) << "temporary files left";
}

TEST(SshKey, TightensAKeyOthersCouldRead) {
  TempDir dir("bnet-e2e-key");
  fs::path path = dir.path() / "id_ed25519";
  ensureSshKey(path);
  ::chmod(path.c_str(), 0644);
  ensureSshKey(path);
  EXPECT_EQ(modeOf(path), 0600);
}

TEST(SshKey, RewritesAMissingPublicKeyFile) {
  TempDir dir("bnet-e2e-key");
  fs::path path = dir.path() / "id_ed25519";
  auto key = ensureSshKey(path);
  fs::remove(key.public_key);
  ensureSshKey(path);
  EXPECT_EQ(readLocal(key.public_key), key.public_key_openssh + "\n");
}

TEST(SshKey, GarbageKeyFileIsAClearError) {
  TempDir dir("bnet-e2e-key");
  fs::path path = dir.path() / "id_ed25519";
  std::ofstream(path) << "not a key\n";
  try {
    ensureSshKey(path);
    FAIL() << "a garbage key file was accepted";
  } catch (const SshError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
}

TEST(SshKey, DefaultPathFollowsCacheVariableThenHome) {
  {
    ScopedEnv cache("BNET_E2E_CACHE", "/some/cache");
    EXPECT_EQ(defaultSshKeyPath(), fs::path("/some/cache/ssh/id_ed25519"));
  }
  {
    ScopedEnv cache("BNET_E2E_CACHE", nullptr);
    ScopedEnv home("HOME", "/home/tester");
    EXPECT_EQ(defaultSshKeyPath(), fs::path("/home/tester/.cache/bnet-e2e/ssh/id_ed25519"));
  }
  {
    ScopedEnv cache("BNET_E2E_CACHE", nullptr);
    ScopedEnv home("HOME", nullptr);
    EXPECT_THROW(defaultSshKeyPath(), SshError);
  }
}

class SshConfigCheck : public ::testing::Test {
 protected:
  void SetUp() override { key_ = ensureSshKey(dir_.path() / "id_ed25519"); }
  SshClientConfig valid() {
    return {.port = 40192, .user = "bnet", .identity_file = key_.private_key, .pin_file = dir_.path() / "pin"};
  }
  void expectRefused(const SshClientConfig& config, const std::string& text) {
    try {
      SshSession session(config);
      ADD_FAILURE() << "config accepted; expected an error mentioning " << text;
    } catch (const SshError& e) {
      EXPECT_THAT(e.what(), HasSubstr(text));
    }
  }
  TempDir dir_{"bnet-e2e-sshcfg"};
  SshKeyPair key_;
};

TEST_F(SshConfigCheck, NamesTheMissingOrBadField) {
  EXPECT_NO_THROW(SshSession session(valid()));
  auto c = valid();
  c.user.clear();
  expectRefused(c, "config.user is empty");
  c = valid();
  c.port = 70000;
  expectRefused(c, "config.port 70000");
  c = valid();
  c.pin_file.clear();
  expectRefused(c, "kPinOnFirstUse needs config.pin_file");
  c = valid();
  c.host_key_policy = HostKeyPolicy::kStrict;
  expectRefused(c, "kStrict needs config.known_hosts_file");
  c = valid();
  c.identity_file = dir_.path() / "missing_key";
  expectRefused(c, (dir_.path() / "missing_key").string());
}

TEST_F(SshConfigCheck, ConstructionDoesNotConnect) {
  auto c = valid();
  c.port = 1;  // nothing listens there; constructing must not notice
  SshSession session(c);
  EXPECT_FALSE(session.connected());
  EXPECT_EQ(session.target(), "bnet@127.0.0.1:1");
}

TEST_F(SshConfigCheck, NulBytesInCommandsAndPathsAreRefusedBeforeConnecting) {
  auto c = valid();
  c.port = 1;  // nothing listens: the check must come first
  SshSession session(c);
  EXPECT_THROW(session.run(std::string("echo a\0b", 8)), SshError);
  EXPECT_THROW(session.read(std::string("/tmp/a\0b", 8)), SshError);
  EXPECT_THROW(session.write(std::string("/tmp/a\0b", 8), "x"), SshError);
  try {
    session.run(std::string("echo a\0b", 8));
  } catch (const SshError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the command contains a NUL byte: echo a\\x00b"));
  }
}

TEST(SshResult, DescribesHowTheCommandEnded) {
  EXPECT_EQ((SshResult{.exit_status = 0}).describe(), "exited with status 0");
  EXPECT_EQ((SshResult{.exit_status = 3}).describe(), "exited with status 3");
  EXPECT_EQ((SshResult{.exit_status = -1, .exit_signal = "TERM"}).describe(), "killed by signal TERM");
  EXPECT_EQ((SshResult{}).describe(), "ended without an exit status");
  EXPECT_FALSE((SshResult{.exit_status = 3}).success());
}

}  // namespace
}  // namespace e2e
