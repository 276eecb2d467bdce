// QEMU command lines, config validation and the console reader, without a VM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "framework/qemu/console_reader.hpp"
#include "framework/qemu/qemu_machine.hpp"

namespace {
using namespace std::chrono_literals;
using e2e::ConsoleReader;
using e2e::Deadline;
using e2e::QemuMachineConfig;
using e2e::QemuRuntime;
using ::testing::ContainerEq;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// True if `seq` appears in args as consecutive elements.
bool hasSequence(const std::vector<std::string>& args, const std::vector<std::string>& seq) {
  return std::search(args.begin(), args.end(), seq.begin(), seq.end()) != args.end();
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += a + " ";
  return out;
}

class QemuArgsTest : public ::testing::Test {
 protected:
  QemuRuntime runtime_{.overlay = "/art/vm/os-overlay.qcow2",
                       .console_log = "/art/vm/console.log",
                       .qmp_socket = "/art/vm/qmp.sock",
                       .host_ports = {{40192, 2222}, {3535, 13535}},
                       .accel = e2e::QemuAccel::kTcg};
  QemuMachineConfig config_{
      .name = "twin-1",
      .artifact_dir = "/art/vm",
      .boot = e2e::QemuKernelBoot{.kernel = "/img/vmlinuz", .initrd = "/img/initrd.img",
                                  .append = "console=ttyS0,115200n8 root=LABEL=twin-root rw"},
      .base_image = "/img/rootfs.qcow2",
      .port_forwards = {{.guest_port = 40192}, {.guest_port = 3535}},
      .memory_mib = 2048,
      .cpus = 2};
};

TEST_F(QemuArgsTest, DirectKernelBootWithOverlayConsoleQmpAndForwards) {
  auto args = e2e::makeQemuArgs(config_, runtime_);
  SCOPED_TRACE(joined(args));
  EXPECT_TRUE(hasSequence(args, {"-name", "twin-1"}));
  EXPECT_TRUE(hasSequence(args, {"-accel", "tcg,thread=multi", "-cpu", "max"}));
  EXPECT_TRUE(hasSequence(args, {"-m", "2048", "-smp", "2"}));
  EXPECT_TRUE(hasSequence(args, {"-kernel", "/img/vmlinuz", "-initrd", "/img/initrd.img", "-append",
                                 "console=ttyS0,115200n8 root=LABEL=twin-root rw"}));
  EXPECT_TRUE(hasSequence(args, {"-chardev", "file,id=serial0,append=on,path=/art/vm/console.log", "-serial",
                                 "chardev:serial0"}));
  EXPECT_TRUE(hasSequence(args, {"-chardev", "socket,id=qmp0,server=on,wait=off,path=/art/vm/qmp.sock", "-mon",
                                 "chardev=qmp0,mode=control"}));
  EXPECT_TRUE(hasSequence(args, {"-drive", "if=none,id=osdisk,format=qcow2,cache=unsafe,file=/art/vm/os-overlay.qcow2",
                                 "-device", "virtio-blk-pci,drive=osdisk,serial=os"}));
  EXPECT_TRUE(hasSequence(args, {"-nic",
                                 "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:40192,"
                                 "hostfwd=tcp:127.0.0.1:13535-:3535"}));
  EXPECT_TRUE(hasSequence(args, {"-nodefaults", "-no-user-config", "-display", "none"}));
  // The base image itself never appears: only its overlay is opened.
  for (const auto& a : args) EXPECT_THAT(a, ::testing::Not(HasSubstr("/img/rootfs.qcow2")));
}

TEST_F(QemuArgsTest, IncomingStateIsReadByAShellQuotedExecUri) {
  config_.incoming_state = "/snap/it's here/memory.state";
  auto args = e2e::makeQemuArgs(config_, runtime_);
  SCOPED_TRACE(joined(args));
  EXPECT_TRUE(hasSequence(args, {"-incoming", "exec:cat '/snap/it'\\''s here/memory.state'"}));
  config_.incoming_state.clear();
  for (const auto& a : e2e::makeQemuArgs(config_, runtime_)) EXPECT_NE(a, "-incoming");
}

TEST_F(QemuArgsTest, KvmUsesTheHostCpu) {
  runtime_.accel = e2e::QemuAccel::kKvm;
  auto args = e2e::makeQemuArgs(config_, runtime_);
  EXPECT_TRUE(hasSequence(args, {"-accel", "kvm", "-cpu", "host"})) << joined(args);
}

TEST_F(QemuArgsTest, NvmeDataDiskWithSerialAndNamespaceAsThePlaygroundAttachesIt) {
  config_.os_disk_bus = e2e::QemuDiskBus::kNvme;
  config_.os_disk_serial = "nvme-os";
  config_.drives = {{.id = "datadisk", .file = "/art/vm/persistent.raw", .format = "raw",
                     .bus = e2e::QemuDiskBus::kNvme, .serial = "nvme-data", .nvme_nsid = 12,
                     .controller_id = "nvme0"}};
  auto args = e2e::makeQemuArgs(config_, runtime_);
  SCOPED_TRACE(joined(args));
  EXPECT_TRUE(hasSequence(args, {"-device", "nvme,drive=osdisk,serial=nvme-os"}));
  EXPECT_TRUE(hasSequence(args, {"-drive", "if=none,id=datadisk,format=raw,cache=unsafe,file=/art/vm/persistent.raw",
                                 "-device", "nvme,id=nvme0,serial=nvme-data", "-device",
                                 "nvme-ns,drive=datadisk,bus=nvme0,nsid=12"}));
}

TEST_F(QemuArgsTest, PlainDrivesTpmFwCfgAndOptions) {
  config_.drives = {{.id = "seed", .file = "/a,b/seed.img", .read_only = true},
                    {.id = "scratch", .file = "/s.qcow2", .format = "qcow2", .bus = e2e::QemuDiskBus::kNvme}};
  config_.fw_cfg_files = {{"opt/e2e/ssh_authorized_keys", "/keys/id.pub"}};
  config_.tpm = true;
  runtime_.tpm_socket = "/run/x/swtpm.sock";
  config_.no_reboot = true;
  config_.extra_args = {"-d", "guest_errors"};
  auto args = e2e::makeQemuArgs(config_, runtime_);
  SCOPED_TRACE(joined(args));
  EXPECT_TRUE(hasSequence(args, {"-drive", "if=none,id=seed,format=raw,cache=unsafe,file=/a,,b/seed.img,readonly=on",
                                 "-device", "virtio-blk-pci,drive=seed,serial=seed"}));
  EXPECT_TRUE(hasSequence(args, {"-device", "nvme,drive=scratch,serial=scratch"}));
  EXPECT_TRUE(hasSequence(args, {"-fw_cfg", "name=opt/e2e/ssh_authorized_keys,file=/keys/id.pub"}));
  EXPECT_TRUE(hasSequence(args, {"-chardev", "socket,id=chrtpm,path=/run/x/swtpm.sock", "-tpmdev",
                                 "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"}));
  EXPECT_TRUE(hasSequence(args, {"-no-reboot"}));
  EXPECT_THAT(std::vector<std::string>(args.end() - 2, args.end()), ContainerEq(config_.extra_args));
}

TEST_F(QemuArgsTest, UefiFirmwareUsesThePerMachineVarsCopy) {
  config_.boot = e2e::QemuUefiBoot{};
  runtime_.firmware_vars = "/art/vm/uefi-vars.fd";
  auto args = e2e::makeQemuArgs(config_, runtime_);
  SCOPED_TRACE(joined(args));
  EXPECT_TRUE(hasSequence(args, {"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                                 "-drive", "if=pflash,format=raw,unit=1,file=/art/vm/uefi-vars.fd"}));
  EXPECT_TRUE(hasSequence(args, {"-device", "virtio-blk-pci,drive=osdisk,serial=os,bootindex=0"}));
  EXPECT_EQ(std::find(args.begin(), args.end(), "-kernel"), args.end());
}

TEST_F(QemuArgsTest, ForwardWithoutResolvedHostPortIsAnError) {
  runtime_.host_ports.erase(3535);
  EXPECT_THROW(
      {
        try {
          e2e::makeQemuArgs(config_, runtime_);
        } catch (const e2e::QemuError& e) {
          EXPECT_THAT(e.what(), HasSubstr("guest port 3535"));
          throw;
        }
      },
      e2e::QemuError);
}

// ---- start() validation: clear errors before anything runs --------------------------------

class QemuConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("qemu-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "kernel") << "not a kernel";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string startError(QemuMachineConfig config) {
    try {
      e2e::QemuMachine::start(std::move(config));
    } catch (const e2e::QemuError& e) {
      return e.what();
    }
    return "(no error)";
  }
  fs::path dir_;
};

TEST_F(QemuConfigTest, MissingKernelIsNamed) {
  auto error = startError({.name = "m1", .artifact_dir = dir_ / "m1",
                           .boot = e2e::QemuKernelBoot{.kernel = dir_ / "no-such-vmlinuz"}});
  EXPECT_THAT(error, HasSubstr("machine 'm1': kernel"));
  EXPECT_THAT(error, HasSubstr("no-such-vmlinuz does not exist"));
}

TEST_F(QemuConfigTest, MissingBaseImageDriveAndFwCfgFileAreNamed) {
  auto base = QemuMachineConfig{.name = "m2", .artifact_dir = dir_ / "m2",
                                .boot = e2e::QemuKernelBoot{.kernel = dir_ / "kernel"}};
  auto c1 = base;
  c1.base_image = dir_ / "nope.qcow2";
  EXPECT_THAT(startError(c1), HasSubstr("base image " + (dir_ / "nope.qcow2").string() + " does not exist"));
  auto c2 = base;
  c2.drives = {{.id = "data", .file = dir_ / "data.raw"}};
  EXPECT_THAT(startError(c2), HasSubstr("drive 'data'"));
  auto c3 = base;
  c3.fw_cfg_files = {{"e2e/key", dir_ / "kernel"}};
  EXPECT_THAT(startError(c3), HasSubstr("fw_cfg name 'e2e/key' must start with 'opt/'"));
  auto c4 = base;
  c4.port_forwards = {{.guest_port = 22}, {.guest_port = 22}};
  EXPECT_THAT(startError(c4), HasSubstr("guest port 22 is forwarded twice"));
  auto c5 = base;
  c5.name.clear();
  EXPECT_THAT(startError(c5), HasSubstr("QemuMachineConfig.name is empty"));
}

// ---- ConsoleReader on a growing file -----------------------------------------------------

class ConsoleReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::path(::testing::TempDir()) / ("console-" + std::to_string(::getpid()) + ".log");
    fs::remove(path_);
  }
  void TearDown() override {
    if (writer_.joinable()) writer_.join();
    fs::remove(path_);
  }
  void append(const std::string& text) {
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << text;
  }
  fs::path path_;
  std::thread writer_;
};

TEST_F(ConsoleReaderTest, ReadsLinesAsTheFileGrowsAndStripsTerminalCodes) {
  ConsoleReader reader(path_);
  EXPECT_TRUE(reader.lines().empty());
  append("[    0.000000] Linux version 6.1\r\n[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mssh.service\x1b[0m.\npartial");
  EXPECT_THAT(reader.lines(), ContainerEq(std::vector<std::string>{"[    0.000000] Linux version 6.1",
                                                                   "[  OK  ] Started ssh.service."}));
  EXPECT_EQ(reader.tail(2), "[  OK  ] Started ssh.service.\npartial");
  append(" line done\nnext\n");
  EXPECT_EQ(reader.lineCount(), 4u);
  EXPECT_EQ(reader.lines()[2], "partial line done");
}

TEST_F(ConsoleReaderTest, WaitForLineSeesLinesWrittenWhileWaiting) {
  ConsoleReader reader(path_);
  writer_ = std::thread([this] {
    for (int i = 0; i < 5; ++i) {
      append("boot step " + std::to_string(i) + "\n");
      std::this_thread::sleep_for(30ms);
    }
    append("twin login: ");  // a prompt has no newline
  });
  EXPECT_EQ(reader.waitForLine("^boot step 3$", Deadline::after(10s)), "boot step 3");
  EXPECT_EQ(reader.waitForLine("login: $", Deadline::after(10s)), "twin login: ");
}

TEST_F(ConsoleReaderTest, StartOffsetSkipsAnEarlierRun) {
  append("old run: login:\n");
  ConsoleReader reader(path_, fs::file_size(path_));
  append("new run\n");
  EXPECT_THAT(reader.lines(), ContainerEq(std::vector<std::string>{"new run"}));
}

TEST_F(ConsoleReaderTest, FatalLineFailsAtOnceWithTheTail) {
  append("booting\n[    2.1] Kernel panic - not syncing: VFS: Unable to mount root fs\n");
  ConsoleReader reader(path_);
  try {  // WaitFailed, not WaitTimeout: the fatal line ended the wait
    reader.waitForLine("login:", Deadline::after(30s), {.fatal_patterns = {"Kernel panic"}});
    FAIL() << "no exception";
  } catch (const e2e::WaitFailed& e) {
    EXPECT_THAT(e.what(), HasSubstr("fatal console line (matches 'Kernel panic')"));
    EXPECT_THAT(e.what(), HasSubstr("console tail"));
    EXPECT_THAT(e.what(), HasSubstr("booting\n"));
  }
}

TEST_F(ConsoleReaderTest, AbortCheckEndsTheWaitAndLinesBeforeItStillCount) {
  append("last words\n");
  ConsoleReader reader(path_);
  EXPECT_EQ(reader.waitForLine("last", Deadline::after(5s), {.abort_check = [] { return std::optional<std::string>("gone"); }}),
            "last words");
  EXPECT_THROW(reader.waitForLine("never", Deadline::after(5s), {.abort_check = [] { return std::optional<std::string>("qemu exited with code 1"); }}),
               e2e::WaitFailed);
}

TEST_F(ConsoleReaderTest, TimeoutSaysWhatWasSeenLast) {
  append("only this\n");
  ConsoleReader reader(path_);
  try {
    reader.waitForLine("login:", Deadline::after(200ms));
    FAIL() << "no exception";
  } catch (const e2e::WaitTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr("timed out"));
    EXPECT_THAT(e.what(), HasSubstr("last: 1 lines so far; last line: only this"));
  }
}

TEST_F(ConsoleReaderTest, BadPatternIsAClearError) {
  ConsoleReader reader(path_);
  EXPECT_THROW(reader.waitForLine("([unclosed", Deadline::after(1s)), std::invalid_argument);
}

// Socket folders that a killed owner left are removed at the next machine start; a live
// machine's folder (its socket answers connect) and a folder being set up stay.
class AbandonedSocketDirsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parent_ = fs::path(::testing::TempDir()) / ("qemu-sockets-" + std::to_string(::getpid()));
    fs::remove_all(parent_);
    fs::create_directories(parent_);
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    fs::remove_all(parent_);
  }
  // A unix socket at dir/name: listening when `live`, else bound and closed (the file stays,
  // connect is refused: what a killed QEMU leaves).
  void makeSocket(const fs::path& dir, const std::string& name, bool live) {
    fs::create_directories(dir);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = (dir / name).string();
    ASSERT_LT(path.size(), sizeof(addr.sun_path)) << path;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(fd, 1), 0);
    if (live) {
      fds_.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  static void age(const fs::path& dir) {
    fs::last_write_time(dir, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  }
  fs::path parent_;
  std::vector<int> fds_;
};

TEST_F(AbandonedSocketDirsTest, RemovesOnlyOldFoldersWhoseSocketsNobodyListensOn) {
  const fs::path dead = parent_ / "e2e-qemu-dead01";
  makeSocket(dead, "qmp.sock", false);
  makeSocket(dead, "swtpm.sock", false);
  age(dead);
  const fs::path live = parent_ / "e2e-qemu-live01";
  makeSocket(live, "qmp.sock", true);
  age(live);
  const fs::path half_live = parent_ / "e2e-qemu-half01";  // QMP gone, swtpm still there
  makeSocket(half_live, "qmp.sock", false);
  makeSocket(half_live, "swtpm.sock", true);
  age(half_live);
  const fs::path young = parent_ / "e2e-qemu-young1";  // just made by a starting machine
  makeSocket(young, "qmp.sock", false);
  const fs::path other = parent_ / "not-qemu-dead01";  // not ours to judge
  makeSocket(other, "qmp.sock", false);
  age(other);

  e2e::removeAbandonedSocketDirs(parent_);

  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live / "qmp.sock"));
  EXPECT_TRUE(fs::exists(half_live / "qmp.sock"));
  EXPECT_TRUE(fs::exists(young / "qmp.sock"));
  EXPECT_TRUE(fs::exists(other / "qmp.sock"));
}

TEST_F(AbandonedSocketDirsTest, AMissingParentIsNotAnError) {
  EXPECT_NO_THROW(e2e::removeAbandonedSocketDirs(parent_ / "absent"));
}

}  // namespace
