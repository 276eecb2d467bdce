#include "framework/qemu/qemu_machine.hpp"

#include "framework/artifacts/artifacts.hpp"
#include "framework/net/ports.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>

namespace e2e {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string_view toString(QemuAccel accel) {
  switch (accel) {
    case QemuAccel::kAuto: return "auto";
    case QemuAccel::kKvm: return "kvm";
    case QemuAccel::kTcg: return "tcg";
  }
  return "?";
}

namespace {

// Value inside a QEMU option list (-drive, -chardev, -fw_cfg): a comma is written twice.
std::string optValue(const fs::path& p) {
  std::string out;
  for (char c : p.string()) {
    out.push_back(c);
    if (c == ',') out.push_back(',');
  }
  return out;
}

std::string shellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string readTailOf(const fs::path& path, std::size_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no file)";
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(stripTerminalCodes(line));
    if (lines.size() > max_lines) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out.empty() ? "(empty)" : out;
}

std::uint64_t fileSize(const fs::path& p) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  return ec ? 0 : size;
}

// True when nothing listens on the unix socket at path any more (its QEMU is gone).
bool socketIsDead(const fs::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path)) {
    ::close(fd);
    return false;
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(fd);
  return rc != 0 && err == ECONNREFUSED;
}

// A short private directory for unix sockets when the artifact dir is too deep for
// sun_path (108 bytes). Removes the folders that killed owners left there first.
fs::path makeSocketDir() {
  const char* tmp = std::getenv("TMPDIR");
  const std::string parent = tmp && *tmp && std::strlen(tmp) < 40 ? tmp : "/tmp";
  removeAbandonedSocketDirs(parent);
  std::string templ = parent + "/e2e-qemu-XXXXXX";
  if (!::mkdtemp(templ.data())) throw QemuError(fmt::format("mkdtemp({}): {}", templ, std::strerror(errno)));
  return templ;
}

constexpr std::size_t kMaxSocketPath = 100;

}  // namespace

// Socket folders of machines whose owner was killed (SIGKILL gives it no chance to remove
// its folder; the reaper stops QEMU, which does not remove it either): an e2e-qemu-* folder
// of this user, older than a minute, whose sockets nobody listens on any more. A folder
// still being set up (no socket yet) is younger than a minute; a live QEMU answers connect.
void removeAbandonedSocketDirs(const fs::path& parent) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path dir = it->path();
    if (dir.filename().string().rfind("e2e-qemu-", 0) != 0) continue;
    struct stat st{};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    std::error_code e2;
    const auto modified = fs::last_write_time(dir, e2);
    if (e2 || now - modified < std::chrono::minutes(1)) continue;
    bool abandoned = true;
    for (fs::directory_iterator f(dir, e2), fend; !e2 && f != fend; f.increment(e2)) {
      if (!f->is_socket(e2) || !socketIsDead(f->path())) {
        abandoned = false;
        break;
      }
    }
    if (abandoned && !e2) fs::remove_all(dir, e2);
  }
}

// ---- accelerator probe ------------------------------------------------------------------

namespace {

AccelProbe runAccelProbe(const fs::path& qemu_binary) {
  if (const char* forced = std::getenv("BNET_E2E_QEMU_ACCEL"); forced && *forced) {
    std::string f = forced;
    if (f == "kvm") return {QemuAccel::kKvm, "BNET_E2E_QEMU_ACCEL=kvm"};
    if (f == "tcg") return {QemuAccel::kTcg, "BNET_E2E_QEMU_ACCEL=tcg"};
  }
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    return {QemuAccel::kTcg, fmt::format("/dev/kvm not usable: {}", std::strerror(errno))};
  }
  auto qemu = findProgram(qemu_binary.string());
  if (!qemu) return {QemuAccel::kTcg, fmt::format("{} not found", qemu_binary.string())};
  fs::path dir;
  try {
    dir = makeSocketDir();
  } catch (const std::exception& e) {
    return {QemuAccel::kTcg, e.what()};
  }
  // A boot sector: cli; mov dx,0x3f8; mov al,'K'; out dx,al; hlt; jmp $-1; then 0x55 0xAA.
  std::string sector(512, '\0');
  const unsigned char code[] = {0xfa, 0xba, 0xf8, 0x03, 0xb0, 0x4b, 0xee, 0xf4, 0xeb, 0xfd};
  std::memcpy(sector.data(), code, sizeof(code));
  sector[510] = '\x55';
  sector[511] = '\xaa';
  {
    std::ofstream out(dir / "boot.img", std::ios::binary);
    out << sector;
  }
  AccelProbe result{QemuAccel::kTcg, "KVM probe did not finish"};
  try {
    auto child = ChildProcess::start(ChildProcessConfig{
        .name = "kvm-probe",
        .executable = *qemu,
        .args = {"-accel", "kvm", "-cpu", "host", "-machine", "q35", "-m", "64", "-nodefaults",
                 "-no-user-config", "-display", "none", "-serial", "file:" + (dir / "serial.txt").string(),
                 "-drive", "file=" + optValue(dir / "boot.img") + ",format=raw,if=ide", "-boot", "c"},
        .log_path = dir / "qemu.log",
        .stop_grace = 2000ms});
    try {
      eventually("KVM guest writes to its serial port", 10s, [&] {
        std::ifstream in(dir / "serial.txt");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.find('K') != std::string::npos) return Attempt::done();
        if (!child.running()) {
          return Attempt::fail(fmt::format("qemu {}: {}", child.exitStatus()->describe(), child.logTail(3)));
        }
        return Attempt::retry("no output yet");
      });
      result = {QemuAccel::kKvm, "a KVM guest ran"};
    } catch (const WaitError& e) {
      result = {QemuAccel::kTcg, fmt::format("KVM guest did not run: {}", e.last())};
    }
    child.stop();
  } catch (const std::exception& e) {
    result = {QemuAccel::kTcg, fmt::format("KVM probe failed: {}", e.what())};
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

}  // namespace

const AccelProbe& probeAccelerator(const fs::path& qemu_binary) {
  static std::once_flag once;
  static AccelProbe result;
  std::call_once(once, [&] { result = runAccelProbe(qemu_binary); });
  return result;
}

// ---- command line ------------------------------------------------------------------------

std::vector<std::string> makeQemuArgs(const QemuMachineConfig& config, const QemuRuntime& runtime) {
  std::vector<std::string> a;
  auto add = [&](std::initializer_list<std::string> items) { a.insert(a.end(), items); };
  add({"-name", config.name});
  add({"-machine", config.machine_type});
  if (runtime.accel == QemuAccel::kKvm) {
    add({"-accel", "kvm", "-cpu", "host"});
  } else {
    add({"-accel", "tcg,thread=multi", "-cpu", "max"});
  }
  add({"-m", std::to_string(config.memory_mib), "-smp", std::to_string(config.cpus)});
  add({"-nodefaults", "-no-user-config", "-display", "none"});
  add({"-chardev", "file,id=serial0,append=on,path=" + optValue(runtime.console_log), "-serial", "chardev:serial0"});
  add({"-chardev", "socket,id=qmp0,server=on,wait=off,path=" + optValue(runtime.qmp_socket), "-mon",
       "chardev=qmp0,mode=control"});

  if (const auto* k = std::get_if<QemuKernelBoot>(&config.boot)) {
    add({"-kernel", k->kernel.string()});
    if (!k->initrd.empty()) add({"-initrd", k->initrd.string()});
    if (!k->append.empty()) add({"-append", k->append});
  } else {
    const auto& u = std::get<QemuUefiBoot>(config.boot);
    add({"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + optValue(u.code)});
    add({"-drive", "if=pflash,format=raw,unit=1,file=" + optValue(runtime.firmware_vars)});
  }

  if (!config.base_image.empty()) {
    add({"-drive", "if=none,id=osdisk,format=qcow2,cache=unsafe,file=" + optValue(runtime.overlay)});
    std::string dev = config.os_disk_bus == QemuDiskBus::kNvme ? "nvme" : "virtio-blk-pci";
    // Direct kernel boot takes bootindex 0 itself (QEMU's linuxboot option ROM).
    const bool uefi = std::holds_alternative<QemuUefiBoot>(config.boot);
    add({"-device", fmt::format("{},drive=osdisk,serial={}{}", dev, config.os_disk_serial, uefi ? ",bootindex=0" : "")});
  }
  for (const auto& d : config.drives) {
    std::string drive = fmt::format("if=none,id={},format={},cache={},file={}", d.id, d.format, d.cache, optValue(d.file));
    if (d.read_only) drive += ",readonly=on";
    add({"-drive", drive});
    const std::string serial = d.serial.empty() ? d.id : d.serial;
    if (d.bus == QemuDiskBus::kVirtio) {
      add({"-device", fmt::format("virtio-blk-pci,drive={},serial={}", d.id, serial)});
    } else if (d.nvme_nsid == 0) {
      add({"-device", fmt::format("nvme,drive={},serial={}", d.id, serial)});
    } else {
      const std::string ctrl = d.controller_id.empty() ? d.id + "-nvme" : d.controller_id;
      add({"-device", fmt::format("nvme,id={},serial={}", ctrl, serial)});
      add({"-device", fmt::format("nvme-ns,drive={},bus={},nsid={}", d.id, ctrl, d.nvme_nsid)});
    }
  }

  if (config.network) {
    std::string nic = "user,model=virtio-net-pci";
    for (const auto& f : config.port_forwards) {
      auto it = runtime.host_ports.find(f.guest_port);
      if (it == runtime.host_ports.end() || it->second == 0) {
        throw QemuError(fmt::format("machine '{}': no host port resolved for guest port {}", config.name, f.guest_port));
      }
      nic += fmt::format(",hostfwd=tcp:127.0.0.1:{}-:{}", it->second, f.guest_port);
    }
    add({"-nic", nic});
  } else if (!config.port_forwards.empty()) {
    throw QemuError(fmt::format("machine '{}': port_forwards need network = true", config.name));
  }
  add({"-device", "virtio-rng-pci"});

  for (const auto& [name, file] : config.fw_cfg_files) {
    add({"-fw_cfg", fmt::format("name={},file={}", optValue(name), optValue(file))});
  }
  if (config.tpm) {
    add({"-chardev", "socket,id=chrtpm,path=" + optValue(runtime.tpm_socket)});
    add({"-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"});
  }
  if (config.no_reboot) add({"-no-reboot"});
  // QEMU 7.2 has no file: migration URI (8.2 added it); exec: runs the command with /bin/sh.
  if (!config.incoming_state.empty()) add({"-incoming", "exec:cat " + shellQuote(config.incoming_state.string())});
  a.insert(a.end(), config.extra_args.begin(), config.extra_args.end());
  return a;
}

void createOverlay(const fs::path& path, const fs::path& backing, std::string_view backing_format) {
  auto qemu_img = findProgram("qemu-img");
  if (!qemu_img) throw QemuError("qemu-img not found (package qemu-utils)");
  std::error_code ec;
  fs::remove(path, ec);
  const fs::path log = path.string() + ".qemu-img.log";
  auto result = runCommand(ChildProcessConfig{.name = "qemu-img-overlay",
                                              .executable = *qemu_img,
                                              .args = {"create", "-q", "-f", "qcow2", "-b", fs::absolute(backing).string(),
                                                       "-F", std::string(backing_format), path.string()},
                                              .log_path = log},
                           Deadline::after(60s));
  fs::remove(log, ec);
  if (!result.status.success()) {
    throw QemuError(fmt::format("qemu-img create {} on {} ({}) {}: {}", path.string(), backing.string(), backing_format,
                                result.status.describe(), result.output));
  }
}

void createDiskImage(const fs::path& path, std::uint64_t size_mib, std::string_view format) {
  auto qemu_img = findProgram("qemu-img");
  if (!qemu_img) throw QemuError("qemu-img not found (package qemu-utils)");
  auto result = runCommand(ChildProcessConfig{.name = "qemu-img-create",
                                              .executable = *qemu_img,
                                              .args = {"create", "-q", "-f", std::string(format), path.string(),
                                                       fmt::format("{}M", size_mib)},
                                              .log_path = path.string() + ".qemu-img.log"},
                           Deadline::after(60s));
  std::error_code ec;
  fs::remove(path.string() + ".qemu-img.log", ec);
  if (!result.status.success()) {
    throw QemuError(fmt::format("qemu-img create {} ({} MiB, {}) {}: {}", path.string(), size_mib, format,
                                result.status.describe(), result.output));
  }
}

// ---- the machine -------------------------------------------------------------------------

struct QemuMachine::State {
  QemuMachineConfig config;
  QemuRuntime runtime;
  std::vector<std::string> command_line;
  fs::path log_path;
  fs::path socket_dir;  // private short directory for sockets, removed at stop (may be empty)
  // Host ports picked for forwards: held for the machine's life, so no other reservation
  // on this host takes them.
  std::vector<PortReservation> port_reservations;
  std::optional<ChildProcess> swtpm;
  std::optional<ChildProcess> qemu;
  std::unique_ptr<ConsoleReader> console;
  std::unique_ptr<Qmp> qmp;
  std::optional<ExitStatus> final_status;
  bool stopped = false;

  std::string qemuLogTail(std::size_t n = 20) const { return readTailOf(log_path, n); }
  void cleanupFiles();
  ExitStatus stop(std::chrono::milliseconds grace);
};

void QemuMachine::State::cleanupFiles() {
  std::error_code ec;
  if (!config.keep_overlay) {
    if (!runtime.overlay.empty()) fs::remove(runtime.overlay, ec);
    if (!runtime.firmware_vars.empty()) fs::remove(runtime.firmware_vars, ec);
  }
  if (!socket_dir.empty()) {
    fs::remove_all(socket_dir, ec);
  } else if (!runtime.qmp_socket.empty()) {
    fs::remove(runtime.qmp_socket, ec);
  }
}

ExitStatus QemuMachine::State::stop(std::chrono::milliseconds grace) {
  if (stopped) return final_status.value_or(ExitStatus{});
  stopped = true;
  ExitStatus status{};
  if (qemu) {
    if (qemu->running() && qmp && !qmp->closed()) {
      // A guest that panicked ignores the power button: skip the wait for it.
      bool fatal_seen = false;
      try {
        if (console) {
          auto lines = console->lines();
          for (const auto& pattern : config.console_fatal_patterns) {
            std::regex re(pattern);
            for (const auto& line : lines) fatal_seen = fatal_seen || std::regex_search(line, re);
          }
        }
      } catch (const std::exception&) {
      }
      std::string vm_status;
      try {
        vm_status = qmp->status();
      } catch (const std::exception&) {
      }
      if (grace.count() > 0 && !fatal_seen && vm_status == "running") {
        try {
          qmp->systemPowerdown();
          qemu->wait(Deadline::after(grace));
        } catch (const std::exception&) {
        }
      }
      if (qemu->running()) {
        try {
          qmp->quit();
          qemu->wait(Deadline::after(10s));
        } catch (const std::exception&) {
        }
      }
    }
    status = qemu->stop();
  }
  if (swtpm) swtpm->stop();
  cleanupFiles();
  final_status = status;
  return status;
}

QemuMachine::QemuMachine(std::unique_ptr<State> state) : state_(std::move(state)) {}
QemuMachine::QemuMachine(QemuMachine&& other) noexcept = default;
QemuMachine& QemuMachine::operator=(QemuMachine&& other) noexcept {
  if (this != &other) {
    if (state_) state_->stop(state_->config.powerdown_grace);
    state_ = std::move(other.state_);
  }
  return *this;
}
QemuMachine::~QemuMachine() {
  if (state_) state_->stop(state_->config.powerdown_grace);
}

namespace {

void requireFile(const QemuMachineConfig& c, std::string_view what, const fs::path& p) {
  std::error_code ec;
  if (p.empty()) throw QemuError(fmt::format("machine '{}': {} is not set", c.name, what));
  if (!fs::is_regular_file(p, ec)) {
    throw QemuError(fmt::format("machine '{}': {} {} {}", c.name, what, p.string(),
                                fs::exists(p, ec) ? "is not a regular file" : "does not exist"));
  }
}

void validate(const QemuMachineConfig& c) {
  if (c.name.empty()) throw QemuError("QemuMachineConfig.name is empty");
  if (c.memory_mib < 16) throw QemuError(fmt::format("machine '{}': memory_mib {} is too small", c.name, c.memory_mib));
  if (c.cpus < 1) throw QemuError(fmt::format("machine '{}': cpus must be at least 1", c.name));
  if (const auto* k = std::get_if<QemuKernelBoot>(&c.boot)) {
    requireFile(c, "kernel", k->kernel);
    if (!k->initrd.empty()) requireFile(c, "initrd", k->initrd);
  } else {
    const auto& u = std::get<QemuUefiBoot>(c.boot);
    requireFile(c, "UEFI firmware code", u.code);
    requireFile(c, "UEFI vars template", u.vars_template);
  }
  if (!c.base_image.empty()) requireFile(c, "base image", c.base_image);
  if (!c.incoming_state.empty()) requireFile(c, "incoming state", c.incoming_state);
  std::set<std::string> ids{"osdisk"};
  for (const auto& d : c.drives) {
    if (d.id.empty()) throw QemuError(fmt::format("machine '{}': a drive has no id", c.name));
    if (!ids.insert(d.id).second) throw QemuError(fmt::format("machine '{}': drive id '{}' is used twice", c.name, d.id));
    requireFile(c, fmt::format("drive '{}'", d.id), d.file);
  }
  for (const auto& [name, file] : c.fw_cfg_files) {
    if (name.rfind("opt/", 0) != 0 || name.size() > 55) {
      throw QemuError(fmt::format("machine '{}': fw_cfg name '{}' must start with 'opt/' and have at most 55 characters",
                                  c.name, name));
    }
    requireFile(c, fmt::format("fw_cfg file '{}'", name), file);
  }
  std::set<std::uint16_t> guest_ports, host_ports;
  for (const auto& f : c.port_forwards) {
    if (f.guest_port == 0) throw QemuError(fmt::format("machine '{}': a port forward has guest port 0", c.name));
    if (!guest_ports.insert(f.guest_port).second) {
      throw QemuError(fmt::format("machine '{}': guest port {} is forwarded twice", c.name, f.guest_port));
    }
    if (f.host_port != 0 && !host_ports.insert(f.host_port).second) {
      throw QemuError(fmt::format("machine '{}': host port {} is used twice", c.name, f.host_port));
    }
  }
}

}  // namespace

QemuMachine QemuMachine::start(QemuMachineConfig config) {
  validate(config);
  if (config.artifact_dir.empty()) config.artifact_dir = Artifacts::instance().testDir() / config.name;
  auto qemu_bin = findProgram(config.qemu_binary.string());
  if (!qemu_bin) {
    throw QemuError(fmt::format("machine '{}': {} not found (package qemu-system-x86)", config.name,
                                config.qemu_binary.string()));
  }
  std::error_code ec;
  fs::create_directories(config.artifact_dir, ec);
  if (ec) throw QemuError(fmt::format("machine '{}': cannot create {}: {}", config.name, config.artifact_dir.string(), ec.message()));
  config.artifact_dir = fs::absolute(config.artifact_dir);

  auto state = std::make_unique<State>();
  State& s = *state;
  s.config = config;
  QemuRuntime& rt = s.runtime;
  const fs::path& dir = config.artifact_dir;
  rt.accel = config.accel == QemuAccel::kAuto ? probeAccelerator(config.qemu_binary).accel : config.accel;
  rt.console_log = dir / "console.log";
  s.log_path = dir / "qemu.log";
  fs::path socket_dir = dir;
  if ((dir / "swtpm.sock").string().size() > kMaxSocketPath) {
    s.socket_dir = makeSocketDir();
    socket_dir = s.socket_dir;
  }
  rt.qmp_socket = socket_dir / "qmp.sock";
  // A failing test prints these tails and lists them in its JUnit properties.
  Artifacts::instance().registerLog(rt.console_log, config.name + "-console");
  Artifacts::instance().registerLog(s.log_path, config.name + "-qemu");
  fs::remove(rt.qmp_socket, ec);
  // From here on, a failure must release what was made: QemuMachine's destructor does.
  QemuMachine machine(std::move(state));

  if (!config.base_image.empty()) {
    rt.overlay = config.overlay_path.empty() ? dir / "os-overlay.qcow2" : fs::absolute(config.overlay_path);
    try {
      createOverlay(rt.overlay, config.base_image, config.base_format);
    } catch (const QemuError& e) {
      throw QemuError(fmt::format("machine '{}': creating the OS disk overlay: {}", config.name, e.what()));
    }
  }
  if (const auto* u = std::get_if<QemuUefiBoot>(&config.boot)) {
    rt.firmware_vars = dir / "uefi-vars.fd";
    fs::copy_file(u->vars_template, rt.firmware_vars, fs::copy_options::overwrite_existing, ec);
    if (ec) throw QemuError(fmt::format("machine '{}': copying {}: {}", config.name, u->vars_template.string(), ec.message()));
  }
  if (config.tpm) {
    auto swtpm = findProgram("swtpm");
    if (!swtpm) throw QemuError(fmt::format("machine '{}': tpm = true but swtpm is not installed (package swtpm)", config.name));
    fs::create_directories(dir / "tpm", ec);
    rt.tpm_socket = socket_dir / "swtpm.sock";
    fs::remove(rt.tpm_socket, ec);
    s.swtpm = ChildProcess::start(ChildProcessConfig{
        .name = config.name + "-swtpm",
        .executable = *swtpm,
        .args = {"socket", "--tpm2", "--tpmstate", "dir=" + optValue(dir / "tpm"), "--ctrl",
                 "type=unixio,path=" + optValue(rt.tpm_socket)},
        .log_path = dir / "swtpm.log"});
    Artifacts::instance().registerLog(dir / "swtpm.log", config.name + "-swtpm");
    try {
      eventually(fmt::format("swtpm of '{}' listens on {}", config.name, rt.tpm_socket.string()), 10s, [&] {
        if (fs::exists(rt.tpm_socket)) return Attempt::done();
        if (!s.swtpm->running()) return Attempt::fail(fmt::format("swtpm {}: {}", s.swtpm->exitStatus()->describe(), s.swtpm->logTail(10)));
        return Attempt::retry("no socket yet");
      });
    } catch (const WaitError& e) {
      throw QemuError(fmt::format("machine '{}': {}", config.name, e.what()));
    }
  }

  const Deadline deadline = Deadline::after(config.start_timeout);
  for (int attempt = 1;; ++attempt) {
    rt.host_ports.clear();
    s.port_reservations.clear();
    bool picked_any = false;
    for (const auto& f : config.port_forwards) {
      if (f.host_port != 0) {
        rt.host_ports[f.guest_port] = f.host_port;
        continue;
      }
      try {
        s.port_reservations.push_back(reservePort());
      } catch (const PortError& e) {
        throw QemuError(fmt::format("machine '{}': no host port for guest port {}: {}", config.name, f.guest_port, e.what()));
      }
      rt.host_ports[f.guest_port] = s.port_reservations.back().port();
      picked_any = true;
    }
    std::vector<std::string> args = makeQemuArgs(config, rt);
    s.command_line = {qemu_bin->string()};
    s.command_line.insert(s.command_line.end(), args.begin(), args.end());
    const std::uint64_t console_start = fileSize(rt.console_log);
    const std::uint64_t log_start = fileSize(s.log_path);
    {
      std::ofstream cmd(dir / "qemu.cmdline", std::ios::app);
      for (const auto& arg : s.command_line) cmd << shellQuote(arg) << ' ';
      cmd << '\n';
    }
    fs::remove(rt.qmp_socket, ec);
    s.qemu = ChildProcess::start(ChildProcessConfig{.name = config.name + "-qemu",
                                                    .executable = *qemu_bin,
                                                    .args = args,
                                                    .log_path = s.log_path,
                                                    .stop_grace = 5000ms});
    s.console = std::make_unique<ConsoleReader>(rt.console_log, console_start);
    std::string failure;
    try {
      eventually(fmt::format("QEMU of '{}' opens its QMP socket", config.name), deadline, [&] {
        if (!s.qemu->running()) return Attempt::fail(fmt::format("qemu {}", s.qemu->exitStatus()->describe()));
        return Attempt::check(fs::exists(rt.qmp_socket), "no socket yet");
      }, WaitOptions{.first_interval = 5ms, .max_interval = 100ms});
      s.qmp = Qmp::connect(rt.qmp_socket, deadline);
      if (!config.incoming_state.empty()) {
        eventually(fmt::format("QEMU of '{}' loads its state from {}", config.name, config.incoming_state.string()),
                   deadline, [&] {
                     if (!s.qemu->running()) return Attempt::fail(fmt::format("qemu {}", s.qemu->exitStatus()->describe()));
                     const std::string status = s.qmp->status();
                     if (status == "running") return Attempt::done();
                     auto migration = s.qmp->execute("query-migrate");
                     const std::string migration_status = migration.value("status", "");
                     if (migration_status == "failed") {
                       return Attempt::fail("migration failed: " + migration.value("error-desc", std::string("(no reason)")));
                     }
                     // saveState pauses the guest first, and a state saved paused loads paused.
                     if (migration_status == "completed" && status == "paused") s.qmp->resumeCpus();
                     return Attempt::retry(fmt::format("status {}, migration {}", status, migration_status));
                   }, WaitOptions{.first_interval = 10ms, .max_interval = 100ms});
      }
      return machine;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    // QEMU failed or is stuck: collect its words, end it, and maybe retry on fresh ports
    // (a program outside the port allocator may have bound a reserved port first).
    s.qmp.reset();
    s.qemu->stop(1000ms);
    std::string log;
    {
      std::ifstream in(s.log_path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(log_start));
      log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (picked_any && attempt < 3 && log.find("host forwarding") != std::string::npos && !deadline.expired()) continue;
    if (auto exited = s.qemu->exitStatus(); exited && !(exited->kind == ExitStatus::Kind::kSignaled)) {
      failure = fmt::format("qemu {} before QMP answered", exited->describe());
    }
    std::string boot;
    if (const auto* k = std::get_if<QemuKernelBoot>(&config.boot)) {
      boot = fmt::format("kernel {}{}", k->kernel.string(), k->initrd.empty() ? "" : ", initrd " + k->initrd.string());
    } else {
      boot = fmt::format("UEFI {}", std::get<QemuUefiBoot>(config.boot).code.string());
    }
    throw QemuError(fmt::format("machine '{}' ({}): QEMU did not start: {}\nqemu log {}:\n{}\ncommand line: {}",
                                config.name, boot, failure, s.log_path.string(), log.empty() ? "(empty)" : log,
                                (dir / "qemu.cmdline").string()));
  }
}

const std::string& QemuMachine::name() const { return state_->config.name; }
const QemuMachineConfig& QemuMachine::config() const { return state_->config; }
const QemuRuntime& QemuMachine::runtime() const { return state_->runtime; }
QemuAccel QemuMachine::accelerator() const { return state_->runtime.accel; }
const std::vector<std::string>& QemuMachine::commandLine() const { return state_->command_line; }
const fs::path& QemuMachine::consolePath() const { return state_->runtime.console_log; }
const fs::path& QemuMachine::logPath() const { return state_->log_path; }
ConsoleReader& QemuMachine::console() { return *state_->console; }

Qmp& QemuMachine::qmp() {
  if (!state_->qmp) throw QemuError(fmt::format("machine '{}': no QMP connection", name()));
  return *state_->qmp;
}

std::uint16_t QemuMachine::hostPort(std::uint16_t guest_port) const {
  auto it = state_->runtime.host_ports.find(guest_port);
  if (it == state_->runtime.host_ports.end()) {
    throw QemuError(fmt::format("machine '{}': guest port {} is not forwarded (add it to port_forwards)", name(), guest_port));
  }
  return it->second;
}

bool QemuMachine::running() { return state_->qemu && !state_->stopped && state_->qemu->running(); }

std::optional<ExitStatus> QemuMachine::exitStatus() {
  if (state_->final_status) return state_->final_status;
  return state_->qemu ? state_->qemu->exitStatus() : std::nullopt;
}

std::string QemuMachine::waitForConsoleLine(std::string_view pattern, const Deadline& deadline) {
  State& s = *state_;
  ConsoleWaitOptions options{
      .fatal_patterns = s.config.console_fatal_patterns,
      .abort_check = [&s]() -> std::optional<std::string> {
        if (s.stopped) return fmt::format("machine '{}' was stopped", s.config.name);
        if (s.qemu->running()) return std::nullopt;
        return fmt::format("qemu of '{}' {}; qemu log: {}", s.config.name, s.qemu->exitStatus()->describe(),
                           s.qemuLogTail(5));
      }};
  return s.console->waitForLine(pattern, deadline, options);
}

ExitStatus QemuMachine::waitForExit(const Deadline& deadline) {
  if (state_->final_status) return *state_->final_status;
  return state_->qemu->wait(deadline);
}

std::uint64_t QemuMachine::saveState(const fs::path& path, const Deadline& deadline) {
  State& s = *state_;
  const fs::path target = fs::absolute(path);
  auto fail = [&](const std::string& what) {
    return QemuError(fmt::format("machine '{}': saving its state to {}: {}; qemu log {}:\n{}", s.config.name,
                                 target.string(), what, s.log_path.string(), s.qemuLogTail(10)));
  };
  if (!running()) throw fail("QEMU is not running");
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  fs::remove(target, ec);
  try {
    qmp().stopCpus();
    // QEMU 7.2 limits migration to 128 MiB/s by default; a paused guest has nothing to race.
    qmp().execute("migrate-set-parameters", {{"max-bandwidth", std::int64_t{1} << 40}});
    qmp().execute("migrate", {{"uri", "exec:cat > " + shellQuote(target.string())}});
    eventually(fmt::format("machine '{}' writes its state to {}", s.config.name, target.string()), deadline, [&] {
      if (!s.qemu->running()) return Attempt::fail(fmt::format("qemu {}", s.qemu->exitStatus()->describe()));
      auto migration = qmp().execute("query-migrate");
      const std::string status = migration.value("status", "");
      if (status == "completed") return Attempt::done();
      if (status == "failed" || status == "cancelled") {
        return Attempt::fail(fmt::format("migration {}: {}", status, migration.value("error-desc", std::string("(no reason)"))));
      }
      const auto transferred = migration.contains("ram") ? migration["ram"].value("transferred", std::uint64_t{0}) : 0;
      return Attempt::retry(fmt::format("status {}, {} bytes of RAM written", status, transferred));
    }, WaitOptions{.first_interval = 20ms, .max_interval = 200ms});
  } catch (const QmpError& e) {
    throw fail(e.what());
  } catch (const WaitError& e) {
    throw fail(e.what());
  }
  const auto size = fileSize(target);
  if (size == 0) throw fail("the state file is empty");
  return size;
}

ExitStatus QemuMachine::stop() { return state_->stop(state_->config.powerdown_grace); }
ExitStatus QemuMachine::stop(std::chrono::milliseconds powerdown_grace) { return state_->stop(powerdown_grace); }

}  // namespace e2e
