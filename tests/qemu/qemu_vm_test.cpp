// Boots the twin image under QEMU (KVM when it works here, else TCG) and checks what the
// framework promises: console capture, QMP, clean powerdown, fast failure reports, port
// forwards, per-machine overlays.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "framework/artifacts/artifacts.hpp"
#include "framework/qemu/qemu_machine.hpp"
#include "tests/qemu/twin_image.hpp"

namespace {
using namespace std::chrono_literals;
using e2e::Deadline;
using e2e::QemuMachine;
using e2e::QemuMachineConfig;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

constexpr std::uint16_t kSshPort = 40192;
// Generous: TCG on a shared 2-core machine; a normal boot takes 15-40 s.
constexpr auto kBootBudget = 240s;

class QemuTwinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!e2e::findProgram("qemu-system-x86_64")) GTEST_SKIP() << "qemu-system-x86_64 not installed (package qemu-system-x86)";
    if (!e2e::findProgram("qemu-img")) GTEST_SKIP() << "qemu-img not installed (package qemu-utils)";
    std::string why;
    auto twin = qemu_test::findTwinImage(why);
    if (!twin) GTEST_SKIP() << why;
    twin_ = *twin;
    artifacts_ = e2e::Artifacts::instance().testDir();
    const auto& probe = e2e::probeAccelerator();
    std::cout << "accelerator: " << e2e::toString(probe.accel) << " (" << probe.reason << ")\n";
    // A public key only: the image installs it for bnet from fw_cfg (the SSH helper logs in).
    std::ofstream(artifacts_ / "authorized_keys")
        << "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0n9L2m4xJ3h8r5dI1kq6Jt0vYb7m0cW4i2m2jH8eE e2e-test\n";
  }

  QemuMachineConfig twinConfig(const std::string& name) {
    return QemuMachineConfig{
        .name = name,
        .artifact_dir = artifacts_ / name,
        .boot = e2e::QemuKernelBoot{.kernel = twin_.kernel, .initrd = twin_.initrd, .append = twin_.cmdline},
        .base_image = twin_.rootfs,
        .base_format = twin_.rootfs_format,
        .port_forwards = {{.guest_port = kSshPort}},
        .fw_cfg_files = {{"opt/e2e/ssh_authorized_keys", artifacts_ / "authorized_keys"}},
        .memory_mib = 1024,
        .cpus = 2};
  }

  // Polls the forwarded SSH port until a banner line arrives (sshd may start after getty).
  std::string waitForSshBanner(QemuMachine& vm, const Deadline& deadline) {
    std::string banner;
    e2e::eventually(fmt::format("SSH banner of '{}' on 127.0.0.1:{}", vm.name(), vm.hostPort(kSshPort)), deadline, [&] {
      if (!vm.running()) return e2e::Attempt::fail("qemu exited: " + vm.exitStatus()->describe());
      std::string observed;
      auto line = qemu_test::readGreetingLine(vm.hostPort(kSshPort), 3000ms, observed);
      if (!line) return e2e::Attempt::retry(observed);
      banner = *line;
      return e2e::Attempt::done();
    }, e2e::WaitOptions{.first_interval = 200ms, .max_interval = 1s});
    return banner;
  }

  static double seconds(e2e::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  qemu_test::TwinImage twin_;
  fs::path artifacts_;
};

TEST_F(QemuTwinTest, BootsToLoginPromptWithSshQmpTpmAndNvmeDataDisk) {
  auto config = twinConfig("twin");
  config.tpm = e2e::findProgram("swtpm").has_value();
  e2e::createDiskImage(artifacts_ / "persistent.raw", 64);
  config.drives = {{.id = "datadisk", .file = artifacts_ / "persistent.raw", .bus = e2e::QemuDiskBus::kNvme,
                    .serial = "nvme-data", .nvme_nsid = 12, .controller_id = "nvme0"}};
  const auto started = e2e::Clock::now();
  auto vm = QemuMachine::start(config);
  const Deadline deadline = Deadline::after(kBootBudget);

  EXPECT_EQ(vm.qmp().status(), "running");
  std::string prompt = vm.waitForConsoleLine(" login: ", deadline);
  const auto at_login = e2e::Clock::now();
  EXPECT_THAT(prompt, HasSubstr("twin login:"));
  std::string banner = waitForSshBanner(vm, deadline);
  const auto at_banner = e2e::Clock::now();
  EXPECT_THAT(banner, StartsWith("SSH-2.0-OpenSSH"));
  std::cout << fmt::format("boot under {}: login prompt after {:.1f}s, SSH banner after {:.1f}s\n",
                           e2e::toString(vm.accelerator()), seconds(at_login - started), seconds(at_banner - started));
  RecordProperty("boot_to_ssh_banner_seconds", fmt::format("{:.1f}", seconds(at_banner - started)));

  // The console file in the artifact folder holds the whole boot, kernel first.
  auto lines = vm.console().lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.front(), HasSubstr("Linux version"));
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.find("Started ssh.service") != std::string::npos; }))
      << vm.console().tail(20);
  EXPECT_EQ(vm.consolePath(), artifacts_ / "twin" / "console.log");

  EXPECT_EQ(vm.qmp().status(), "running");
  auto blocks = vm.qmp().execute("query-block");
  std::string devices;
  for (const auto& b : blocks) devices += b.value("device", "") + " " + b.value("qdev", "") + ";";
  EXPECT_THAT(devices, HasSubstr("osdisk"));
  EXPECT_THAT(devices, HasSubstr("datadisk"));
  if (config.tpm) {
    auto tpms = vm.qmp().execute("query-tpm");
    ASSERT_EQ(tpms.size(), 1u) << tpms.dump();
    EXPECT_EQ(tpms[0].value("model", ""), "tpm-tis");
    EXPECT_EQ(tpms[0]["options"].value("type", ""), "emulator");
  }
  // QEMU 7.2's NVMe device cannot be migrated, so such a machine has no snapshots.
  try {
    vm.qmp().saveSnapshot("booted");
    ADD_FAILURE() << "savevm worked with an NVMe device";
  } catch (const e2e::QmpError& e) {
    EXPECT_THAT(e.what(), HasSubstr("non-migratable device"));
  }
}

TEST_F(QemuTwinTest, SnapshotOfARunningMachineRestoresIt) {
  auto config = twinConfig("snap");
  // Every writable disk must be qcow2 to hold the snapshot.
  e2e::createDiskImage(artifacts_ / "data.qcow2", 64, "qcow2");
  config.drives = {{.id = "data", .file = artifacts_ / "data.qcow2", .format = "qcow2"}};
  auto vm = QemuMachine::start(config);
  vm.waitForConsoleLine(" login: ", Deadline::after(kBootBudget));
  waitForSshBanner(vm, Deadline::after(kBootBudget));

  const auto before_save = e2e::Clock::now();
  vm.qmp().saveSnapshot("booted");
  EXPECT_THAT(vm.qmp().humanMonitorCommand("info snapshots"), HasSubstr("booted"));
  vm.qmp().loadSnapshot("booted");
  std::cout << fmt::format("savevm + loadvm took {:.1f}s\n", seconds(e2e::Clock::now() - before_save));
  EXPECT_EQ(vm.qmp().status(), "running");
  EXPECT_THAT(waitForSshBanner(vm, Deadline::after(60s)), StartsWith("SSH-2.0-OpenSSH"));
  EXPECT_THROW(vm.qmp().loadSnapshot("no-such-snapshot"), e2e::QmpError);
}

TEST_F(QemuTwinTest, StateSavedToAFileContinuesInAnotherQemu) {
  // No root disk: the initrd waits rootwait seconds of guest time for it, then says FATAL.
  auto config = twinConfig("saved");
  config.base_image.clear();
  config.boot = e2e::QemuKernelBoot{.kernel = twin_.kernel, .initrd = twin_.initrd,
                                    .append = "console=ttyS0,115200n8 root=LABEL=nonexistent rootwait=20"};
  config.console_fatal_patterns = {};  // the FATAL line may follow the panic it causes
  const fs::path state = artifacts_ / "saved.state";
  {
    auto vm = QemuMachine::start(config);
    vm.waitForConsoleLine("Run /init as init process", Deadline::after(kBootBudget));
    EXPECT_GT(vm.saveState(state, Deadline::after(120s)), 1u << 20);
    EXPECT_EQ(vm.qmp().status(), "postmigrate");
    vm.stop(0ms);
  }
  config.name = "restored";
  config.artifact_dir = artifacts_ / "restored";
  config.incoming_state = state;
  auto restored = QemuMachine::start(config);  // returns once the state is loaded and running
  EXPECT_EQ(restored.qmp().status(), "running");
  restored.waitForConsoleLine("twin-initrd: FATAL", Deadline::after(kBootBudget));
  for (const auto& line : restored.console().lines()) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("Linux version"))) << "the restored machine booted a kernel itself";
  }
  restored.stop(0ms);
}

TEST_F(QemuTwinTest, PowerdownEndsQemuCleanlyAndRemovesTheOverlay) {
  auto vm = QemuMachine::start(twinConfig("twin"));
  // systemd-logind handles the power button once the system is up.
  vm.waitForConsoleLine(" login: ", Deadline::after(kBootBudget));
  const fs::path overlay = vm.runtime().overlay;
  ASSERT_TRUE(fs::exists(overlay));
  const auto before = e2e::Clock::now();
  auto status = vm.stop();
  std::cout << fmt::format("powerdown took {:.1f}s\n", seconds(e2e::Clock::now() - before));
  EXPECT_TRUE(status.success()) << status.describe() << "\n" << vm.console().tail(20);
  bool powerdown = false, guest_shutdown = false;
  for (const auto& e : vm.qmp().events()) {
    powerdown = powerdown || e.name == "POWERDOWN";
    guest_shutdown = guest_shutdown || (e.name == "SHUTDOWN" && e.data.value("guest", false));
  }
  EXPECT_TRUE(powerdown);
  EXPECT_TRUE(guest_shutdown) << "QEMU was not ended by the guest's own poweroff";
  EXPECT_THAT(vm.console().tail(5), HasSubstr("reboot: Power down"));
  EXPECT_FALSE(fs::exists(overlay));
  EXPECT_TRUE(fs::exists(vm.consolePath()));
}

TEST_F(QemuTwinTest, KernelPanicIsReportedAtOnceWithTheConsoleTail) {
  auto config = twinConfig("panic");
  // No initrd: the kernel cannot find the root disk and panics.
  config.boot = e2e::QemuKernelBoot{.kernel = twin_.kernel, .append = "console=ttyS0,115200n8 root=/dev/nonexistent"};
  auto vm = QemuMachine::start(config);
  try {
    vm.waitForConsoleLine(" login: ", Deadline::after(kBootBudget));
    FAIL() << "the boot did not fail";
  } catch (const e2e::WaitFailed& e) {  // not WaitTimeout: the panic line ended the wait
    EXPECT_THAT(e.what(), HasSubstr("fatal console line (matches 'Kernel panic')"));
    EXPECT_THAT(e.what(), HasSubstr("console tail"));
    EXPECT_THAT(e.what(), HasSubstr("VFS: Unable to mount root fs"));
  }
  EXPECT_TRUE(vm.running());  // a panicked guest halts; stop() quits it without a powerdown wait
  vm.stop();
  EXPECT_FALSE(vm.running());
}

TEST_F(QemuTwinTest, QemuExitDuringBootIsReportedAtOnce) {
  auto config = twinConfig("initrd-fails");
  // The twin initrd refuses a missing init; with panic=-1 and -no-reboot QEMU then exits.
  config.boot = e2e::QemuKernelBoot{.kernel = twin_.kernel, .initrd = twin_.initrd,
                                    .append = twin_.cmdline + " init=/nonexistent panic=-1"};
  config.no_reboot = true;
  config.console_fatal_patterns.clear();  // so that the exit itself is what ends the wait
  auto vm = QemuMachine::start(config);
  try {
    vm.waitForConsoleLine(" login: ", Deadline::after(kBootBudget));
    FAIL() << "the boot did not fail";
  } catch (const e2e::WaitFailed& e) {
    EXPECT_THAT(e.what(), HasSubstr("qemu of 'initrd-fails' exited with code 0"));
    EXPECT_THAT(e.what(), HasSubstr("console tail"));
  }
  EXPECT_FALSE(vm.running());
  auto lines = vm.console().lines();
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("twin-initrd: FATAL: init /nonexistent not found") != std::string::npos;
  })) << vm.console().tail(60);
}

TEST_F(QemuTwinTest, FileThatIsNotAKernelFailsToStartWithQemusWords) {
  auto config = twinConfig("not-a-kernel");
  std::ofstream(artifacts_ / "garbage-vmlinuz") << std::string(4096, 'x');
  config.boot = e2e::QemuKernelBoot{.kernel = artifacts_ / "garbage-vmlinuz", .append = "console=ttyS0"};
  try {
    auto vm = QemuMachine::start(config);
    FAIL() << "QEMU started with a garbage kernel";
  } catch (const e2e::QemuError& e) {
    EXPECT_THAT(e.what(), HasSubstr("machine 'not-a-kernel' (kernel " + (artifacts_ / "garbage-vmlinuz").string()));
    EXPECT_THAT(e.what(), HasSubstr("QEMU did not start: qemu exited with code 1"));
    EXPECT_THAT(e.what(), HasSubstr("qemu: invalid kernel header"));  // QEMU's own words, from its log
  }
  EXPECT_FALSE(fs::exists(artifacts_ / "not-a-kernel" / "os-overlay.qcow2"));
}

TEST_F(QemuTwinTest, TwoMachinesFromOneBaseHaveSeparateOverlays) {
  const auto base_time = fs::last_write_time(twin_.rootfs);
  const auto base_size = fs::file_size(twin_.rootfs);
  auto a_config = twinConfig("a");
  auto b_config = twinConfig("b");
  a_config.cpus = b_config.cpus = 1;
  auto a = QemuMachine::start(a_config);
  auto b = QemuMachine::start(b_config);
  EXPECT_NE(a.runtime().overlay, b.runtime().overlay);
  EXPECT_NE(a.hostPort(kSshPort), b.hostPort(kSshPort));
  for (auto* vm : {&a, &b}) {
    auto info = e2e::runCommand({.name = "qemu-img-info",
                                 .executable = "qemu-img",
                                 .args = {"info", "-U", "--output=json", vm->runtime().overlay.string()},
                                 .log_path = artifacts_ / (vm->name() + "-qemu-img-info.log")},
                                Deadline::after(30s));
    ASSERT_TRUE(info.status.success()) << info.output;
    auto json = nlohmann::json::parse(info.output);
    EXPECT_EQ(fs::path(json.value("backing-filename", "")), fs::absolute(twin_.rootfs));
  }
  // Both mount their own overlay as the root file system and write to it (journal, machine-id).
  const Deadline deadline = Deadline::after(kBootBudget);
  a.waitForConsoleLine("Reached target .*Local File Systems", deadline);
  b.waitForConsoleLine("Reached target .*Local File Systems", deadline);
  a.stop(0ms);
  b.stop(0ms);
  EXPECT_FALSE(fs::exists(a.runtime().overlay));
  EXPECT_FALSE(fs::exists(b.runtime().overlay));
  EXPECT_EQ(fs::last_write_time(twin_.rootfs), base_time);
  EXPECT_EQ(fs::file_size(twin_.rootfs), base_size);
}

}  // namespace

namespace {

TEST(QemuUefi, FirmwareBootsWithAPerMachineVarsCopy) {
  if (!e2e::findProgram("qemu-system-x86_64")) GTEST_SKIP() << "qemu-system-x86_64 not installed (package qemu-system-x86)";
  const e2e::QemuUefiBoot uefi;
  if (!fs::exists(uefi.code) || !fs::exists(uefi.vars_template)) {
    GTEST_SKIP() << uefi.code << " or " << uefi.vars_template << " missing (package ovmf)";
  }
  // No artifact_dir: the machine's files go to the test's artifacts folder.
  auto vm = QemuMachine::start({.name = "uefi", .boot = uefi, .network = false, .memory_mib = 256, .cpus = 1});
  const fs::path vars = vm.runtime().firmware_vars;
  EXPECT_EQ(vars, e2e::Artifacts::instance().testDir() / "uefi" / "uefi-vars.fd");
  EXPECT_TRUE(fs::exists(vars));
  // With no disk, OVMF falls back to its built-in shell, on the serial console.
  vm.waitForConsoleLine("UEFI Interactive Shell", Deadline::after(120s));
  EXPECT_EQ(vm.qmp().status(), "running");
  vm.stop(0ms);
  EXPECT_FALSE(fs::exists(vars));
  EXPECT_TRUE(fs::exists(vm.consolePath()));
}

}  // namespace
