// The SSH layer against a real VM: the twin image booted once for this binary, then
// commands, SFTP both ways, systemd unit state and journal, and host key pinning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <optional>

#include "fixtures/ssh/builder_ssh.hpp"
#include "fixtures/ssh/systemd.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/qemu/qemu_machine.hpp"
#include "framework/ssh/ssh_error.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "framework/ssh/ssh_session.hpp"
#include "tests/qemu/twin_image.hpp"

namespace {
using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// One VM for every test here: booting under TCG is the expensive part.
class SshOnTwin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason_.clear();
    if (!e2e::findProgram("qemu-system-x86_64")) {
      skip_reason_ = "qemu-system-x86_64 not installed (package qemu-system-x86)";
      return;
    }
    auto twin = qemu_test::findTwinImage(skip_reason_);
    if (!twin) return;
    dir_ = e2e::Artifacts::instance().runDir() / "ssh-on-twin";
    fs::create_directories(dir_);
    auto key = e2e::ensureSshKey();
    vm_.emplace(e2e::QemuMachine::start({
        .name = "ssh-twin",
        .artifact_dir = dir_,
        .boot = e2e::QemuKernelBoot{.kernel = twin->kernel, .initrd = twin->initrd, .append = twin->cmdline},
        .base_image = twin->rootfs,
        .base_format = twin->rootfs_format,
        .port_forwards = {{.guest_port = bnet::kBuilderSshPort}},
        .fw_cfg_files = {{"opt/e2e/ssh_authorized_keys", key.public_key}},
        .memory_mib = 1024,
        .cpus = 2,
    }));
    ssh_.emplace(config(dir_ / "known_hosts.pinned"));
    ssh_->waitUntilReachable(e2e::Deadline::after(240s));
  }
  static void TearDownTestSuite() {
    ssh_.reset();
    vm_.reset();
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }
  static e2e::SshClientConfig config(const fs::path& pin_file) {
    return {.host = "127.0.0.1",
            .port = vm_->hostPort(bnet::kBuilderSshPort),
            .user = std::string(bnet::kBuilderSshUser),
            .host_key_policy = e2e::HostKeyPolicy::kPinOnFirstUse,
            .pin_file = pin_file};
  }
  static inline std::string skip_reason_;
  static inline fs::path dir_;
  static inline std::optional<e2e::QemuMachine> vm_;
  static inline std::optional<e2e::SshSession> ssh_;
};

TEST_F(SshOnTwin, RunsCommandsWithTheirExitStatusAndOutput) {
  auto who = ssh_->run("id -un; hostname");
  ASSERT_TRUE(who.success()) << who.describe() << who.err;
  EXPECT_EQ(who.out, "bnet\ntwin\n");
  auto failing = ssh_->run("echo to-stderr >&2; exit 7");
  EXPECT_EQ(failing.exit_status, 7);
  EXPECT_EQ(failing.err, "to-stderr\n");
  auto root = ssh_->run("sudo -n id -u");
  EXPECT_EQ(root.out, "0\n") << "passwordless sudo for bnet, as in the real image";
}

TEST_F(SshOnTwin, SftpCarriesBytesBothWays) {
  std::string payload("bin\0ary\xff\n", 9);
  payload += std::string(100000, 'z');
  ssh_->write("/tmp/e2e-upload", payload, 0640);
  EXPECT_EQ(ssh_->run("stat -c %a /tmp/e2e-upload").out, "640\n");
  EXPECT_EQ(ssh_->run("stat -c %s /tmp/e2e-upload").out, std::to_string(payload.size()) + "\n");
  EXPECT_EQ(ssh_->run("head -c 9 /tmp/e2e-upload | od -An -tx1 | tr -d ' \\n'").out, "62696e00617279ff0a");
  EXPECT_EQ(ssh_->read("/tmp/e2e-upload"), payload);
  ASSERT_TRUE(ssh_->run("head -c 3000 /dev/urandom > /tmp/e2e-download").success());
  auto remote_sum = ssh_->run("md5sum < /tmp/e2e-download | cut -d' ' -f1").out;
  auto bytes = ssh_->read("/tmp/e2e-download");
  EXPECT_EQ(bytes.size(), 3000u);
  ssh_->write("/tmp/e2e-roundtrip", bytes, 0600);
  EXPECT_EQ(ssh_->run("md5sum < /tmp/e2e-roundtrip | cut -d' ' -f1").out, remote_sum);
}

TEST_F(SshOnTwin, ReadsUnitStateAndJournalOfTheRealSystemd) {
  auto sshd = bnet::unitState(*ssh_, "ssh.service");
  EXPECT_EQ(sshd.load_state, "loaded");
  EXPECT_EQ(sshd.active_state, "active") << sshd.describe();
  EXPECT_EQ(sshd.sub_state, "running");
  EXPECT_GT(sshd.active_enter_monotonic_usec, 0u);
  ASSERT_TRUE(sshd.exec_main_pid.has_value());

  auto waited = bnet::waitForUnit(*ssh_, "ssh.service", "active", e2e::Deadline::after(30s));
  EXPECT_EQ(waited.active_state, "active");

  auto missing = bnet::unitState(*ssh_, "no-such-unit.service");
  EXPECT_EQ(missing.load_state, "not-found");

  auto entries = bnet::journal(*ssh_, {.unit = "ssh.service", .this_boot = true});
  ASSERT_FALSE(entries.empty());
  EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [](const bnet::JournalEntry& e) {
    return e.message.find("Server listening on") != std::string::npos && e.message.find("40192") != std::string::npos;
  })) << bnet::formatJournal(entries);

  // This VM gets no BuilderHub gateway (fw_cfg etc/twin/hub-gateway): the forwarder fails,
  // render-config is skipped (twin only), and the BuilderNet units that need a rendered
  // file fail as the real ones do without their configuration (real-image-contract.md §1:
  // missing key file, mandatory EnvironmentFile, HAProxy config; the watchdog reaches no
  // hub). Nothing else may.
  const std::set<std::string> expected = {"attested-tls-proxy-client.service", "persistent-setup.service",
                                          "flowproxy-downloader.service",
                                          "rbuilder-operator-rebalancer-downloader.service", "haproxy.service",
                                          "config-watchdog.service"};
  std::vector<std::string> unexpected;
  for (const auto& unit : bnet::failedUnits(*ssh_)) {
    if (!expected.count(unit.unit)) unexpected.push_back(unit.unit);
  }
  EXPECT_EQ(bnet::unitState(*ssh_, "render-config.service").active_state, "inactive");
  EXPECT_TRUE(unexpected.empty()) << "failed units on a twin boot without a hub: "
                                  << ::testing::PrintToString(unexpected);
}

TEST_F(SshOnTwin, AHostKeyThatChangedIsRefusedWithBothFingerprints) {
  // The same VM presented to a pin file that recorded another key for this host:port.
  auto pinned = dir_ / "known_hosts.other";
  {
    std::ofstream out(pinned);
    out << "[127.0.0.1]:" << vm_->hostPort(bnet::kBuilderSshPort)
        << " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0n9L2m4xJ3h8r5dI1kq6Jt0vYb7m0cW4i2m2jH8eE\n";
  }
  e2e::SshSession impostor(config(pinned));
  try {
    impostor.run("true");
    FAIL() << "a different host key was accepted";
  } catch (const e2e::SshHostKeyError& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(vm_->hostPort(bnet::kBuilderSshPort))));
    EXPECT_THAT(e.what(), HasSubstr(ssh_->hostKeyFingerprint()));
  }
}

}  // namespace
