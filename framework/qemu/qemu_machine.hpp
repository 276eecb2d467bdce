#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "framework/process/child_process.hpp"
#include "framework/qemu/console_reader.hpp"
#include "framework/qemu/qmp.hpp"
#include "framework/wait/eventually.hpp"

namespace e2e {

// Setup error of a VM: names the machine, what failed, and quotes the QEMU log or console.
class QemuError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class QemuAccel { kAuto, kKvm, kTcg };
std::string_view toString(QemuAccel accel);

struct AccelProbe {
  QemuAccel accel = QemuAccel::kTcg;  // kKvm or kTcg
  std::string reason;                 // why, e.g. "KVM guest did not run: failed to set MSR ..."
};
// KVM when a tiny guest (a boot sector writing to the serial port) really runs under
// `-accel kvm -cpu host`; TCG otherwise. Probed once per process (about 1 s; at most 10 s);
// BNET_E2E_QEMU_ACCEL=kvm|tcg skips the probe. Never throws.
const AccelProbe& probeAccelerator(const std::filesystem::path& qemu_binary = "qemu-system-x86_64");

// Direct kernel boot (-kernel/-initrd/-append).
struct QemuKernelBoot {
  std::filesystem::path kernel;
  std::filesystem::path initrd;  // empty: none
  std::string append;
};
// UEFI firmware in pflash; the vars template is copied per machine (artifact dir).
struct QemuUefiBoot {
  std::filesystem::path code = "/usr/share/OVMF/OVMF_CODE_4M.fd";
  std::filesystem::path vars_template = "/usr/share/OVMF/OVMF_VARS_4M.fd";
};

enum class QemuDiskBus { kVirtio, kNvme };

// An extra disk. On kNvme with nvme_nsid != 0 it is a namespace with that id on its own
// controller (`-device nvme,id=<controller>,serial=<serial> -device nvme-ns,drive=<id>,
// bus=<controller>,nsid=<n>`), as the BuilderNet playground attaches its data disk.
struct QemuDrive {
  std::string id;                    // drive id, unique in the machine
  std::filesystem::path file;
  std::string format = "raw";
  QemuDiskBus bus = QemuDiskBus::kVirtio;
  std::string serial;                // empty: the id (the guest's /dev/disk/by-id names use it)
  unsigned nvme_nsid = 0;
  std::string controller_id;         // kNvme with nsid: empty means "<id>-nvme"
  bool read_only = false;
  std::string cache = "unsafe";
};

// TCP from 127.0.0.1:host_port to guest_port (QEMU user networking).
struct QemuPortForward {
  std::uint16_t guest_port = 0;
  std::uint16_t host_port = 0;  // 0: a free loopback port is picked at start
};

struct QemuMachineConfig {
  std::string name = "vm";
  // console.log, qemu.log, the overlay, UEFI vars. Empty: <the running test's artifacts
  // folder>/<name>. The console and QEMU logs are registered with e2e::Artifacts.
  std::filesystem::path artifact_dir;
  std::variant<QemuKernelBoot, QemuUefiBoot> boot = QemuKernelBoot{};
  // OS disk: base_image is never written; each machine gets a qcow2 overlay on it in
  // artifact_dir, deleted by stop() unless keep_overlay. Empty: no OS disk.
  std::filesystem::path base_image;
  std::string base_format = "qcow2";
  QemuDiskBus os_disk_bus = QemuDiskBus::kVirtio;
  std::string os_disk_serial = "os";
  bool keep_overlay = false;
  // Where the OS disk's overlay goes. Empty: <artifact_dir>/os-overlay.qcow2.
  std::filesystem::path overlay_path;
  // A state file written by QemuMachine::saveState: QEMU starts with `-incoming` and loads
  // the guest's RAM and devices from it instead of booting. The rest of the config must
  // describe the same machine (memory, CPUs, devices in the same order, the same kernel);
  // disk files and host ports may differ. Empty: a normal boot.
  std::filesystem::path incoming_state;
  std::vector<QemuDrive> drives;
  bool network = true;                  // one virtio NIC on QEMU user networking
  std::vector<QemuPortForward> port_forwards;
  // fw_cfg files for the guest (/sys/firmware/qemu_fw_cfg/by_name/<name>/raw): name
  // ("opt/...", at most 55 characters) -> host file.
  std::map<std::string, std::filesystem::path> fw_cfg_files;
  bool tpm = false;                     // a TPM 2.0 (swtpm) on tpm-tis
  unsigned memory_mib = 1024;
  unsigned cpus = 2;
  QemuAccel accel = QemuAccel::kAuto;
  std::string machine_type = "q35";
  bool no_reboot = false;               // a guest reboot (or panic=-1) ends QEMU
  // Console lines that make waitForConsoleLine fail at once (ECMAScript regexes).
  std::vector<std::string> console_fatal_patterns = {"Kernel panic"};
  std::vector<std::string> extra_args;
  std::filesystem::path qemu_binary = "qemu-system-x86_64";
  std::chrono::milliseconds start_timeout{30000};   // QEMU up and QMP answering
  std::chrono::milliseconds powerdown_grace{60000}; // stop(): the guest's own poweroff
};

// What start() fixed for one run: paths, ports, the accelerator. makeQemuArgs is pure, so
// the command line can be checked without a VM.
struct QemuRuntime {
  std::filesystem::path overlay;        // empty without base_image
  std::filesystem::path console_log;
  std::filesystem::path qmp_socket;
  std::filesystem::path firmware_vars;  // UEFI only
  std::filesystem::path tpm_socket;     // tpm only
  std::map<std::uint16_t, std::uint16_t> host_ports;  // guest port -> host port
  QemuAccel accel = QemuAccel::kTcg;    // resolved: kKvm or kTcg
};
// The QEMU arguments (after argv[0]) for a config and its runtime. Throws QemuError for a
// config it cannot express (e.g. a forward without a resolved host port).
std::vector<std::string> makeQemuArgs(const QemuMachineConfig& config, const QemuRuntime& runtime);

// Removes the e2e-qemu-* socket folders in `parent` (the machines' short socket folders,
// normally under /tmp) that a killed owner left: folders of this user, older than a minute,
// whose every entry is a unix socket nobody listens on. A live machine's QMP socket answers
// connect, so its folder stays. Each machine start calls it; it never throws.
void removeAbandonedSocketDirs(const std::filesystem::path& parent);

// Creates an empty disk image (qemu-img create; raw is sparse). Throws QemuError.
void createDiskImage(const std::filesystem::path& path, std::uint64_t size_mib, std::string_view format = "raw");
// Creates a qcow2 overlay at path whose backing file is `backing` (absolute path stored;
// never written through the overlay). Replaces an existing file. Blocks up to 60 s; throws
// QemuError with qemu-img's output.
void createOverlay(const std::filesystem::path& path, const std::filesystem::path& backing,
                   std::string_view backing_format = "qcow2");

// One QEMU virtual machine: its qemu process, serial console (a file in the artifact dir,
// readable while the VM runs), QMP connection, per-machine overlay and optional swtpm.
// stop() (or the destructor) ends it: ACPI powerdown, grace, QMP quit, SIGTERM/SIGKILL.
class QemuMachine {
 public:
  // Validates the config (files exist, names fit), creates the overlay, starts QEMU and
  // returns once QMP answers (start_timeout). Does not wait for the guest to boot; with
  // incoming_state it returns once the state is loaded and the guest runs (same budget).
  // Throws QemuError naming the machine and quoting QEMU's log when QEMU exits or fails to
  // start, or the state does not load.
  static QemuMachine start(QemuMachineConfig config);

  QemuMachine(QemuMachine&& other) noexcept;
  QemuMachine& operator=(QemuMachine&& other) noexcept;
  QemuMachine(const QemuMachine&) = delete;
  QemuMachine& operator=(const QemuMachine&) = delete;
  ~QemuMachine();  // stop()

  const std::string& name() const;
  const QemuMachineConfig& config() const;
  const QemuRuntime& runtime() const;
  QemuAccel accelerator() const;
  const std::vector<std::string>& commandLine() const;  // argv[0] first
  // The host port forwarded to guest_port; throws QemuError if it is not forwarded.
  std::uint16_t hostPort(std::uint16_t guest_port) const;
  const std::filesystem::path& consolePath() const;
  const std::filesystem::path& logPath() const;  // QEMU's own stdout/stderr
  ConsoleReader& console();
  // The QMP connection; after stop() it stays readable (events()) but commands fail.
  Qmp& qmp();

  bool running();
  std::optional<ExitStatus> exitStatus();
  // Blocks until a console line matches pattern (ECMAScript regex) and returns it. Fails
  // at once (WaitFailed) on a console_fatal_patterns line (default "Kernel panic") or when
  // QEMU exits; WaitTimeout at the deadline. Messages quote the console tail.
  std::string waitForConsoleLine(std::string_view pattern, const Deadline& deadline);
  // Blocks until QEMU exits; WaitTimeout at the deadline.
  ExitStatus waitForExit(const Deadline& deadline);
  // Saves the guest's RAM and device state to `path` (QMP stop + migrate to
  // "exec:cat > path") and blocks until it is written; returns its size in bytes. The
  // machine is left paused ("postmigrate") with its disks flushed and released: the only
  // thing left to do with it is stop() (keep_overlay keeps the OS disk for restores).
  // Throws QemuError naming the machine and QEMU's error, or on the deadline.
  std::uint64_t saveState(const std::filesystem::path& path, const Deadline& deadline);

  // Powerdown (skipped when the console shows a fatal line or the VM is not running),
  // up to powerdown_grace for the guest to turn off, then QMP quit, then SIGTERM/SIGKILL.
  // Removes the overlay and firmware vars unless keep_overlay. Idempotent; never throws.
  ExitStatus stop();
  ExitStatus stop(std::chrono::milliseconds powerdown_grace);

 private:
  struct State;
  explicit QemuMachine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace e2e
