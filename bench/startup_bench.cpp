// Cold start to ready, the framework against the bare minimum, both in this one invocation.
//   devnet: L1Devnet::start (local mode; ready = block >= 1 and beacon slot >= 1) against
//           bench/devnet_baseline.sh (the same bnet-devnet command and readiness, in bash).
//   twin:   QemuMachine::start + the first SSH banner on the forwarded port against
//           bench/twin_boot_baseline.sh (the same QEMU command line - makeQemuArgs - and the
//           same overlay creation, started by bash). One VM at a time: waits until no other
//           qemu-system-x86_64 runs and holds /tmp/bnet-e2e-bench-vm.lock.
// Usage: startup_bench devnet [runs, default 3] | startup_bench twin [runs, default 1]
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixtures/common/programs.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/qemu/qemu_machine.hpp"
#include "framework/wait/eventually.hpp"
#include "tests/qemu/twin_image.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double runScript(const fs::path& script, std::vector<std::string> args, const fs::path& log) {
  auto result = e2e::runCommand({.name = script.filename().string(), .executable = script, .args = std::move(args),
                                 .log_path = log},
                                e2e::Deadline::after(std::chrono::seconds(300)));
  if (!result.status.success()) {
    throw std::runtime_error(fmt::format("{} failed ({}): {}", script.string(), result.status.describe(), result.output));
  }
  // The script's last line is its figure.
  std::string out = result.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  try {
    return std::stod(last);
  } catch (const std::exception&) {
    throw std::runtime_error(fmt::format("{}: no figure in its output: {}", script.string(), result.output));
  }
}

int benchDevnet(int runs, const fs::path& work) {
  auto anvil = bnet::findAnvil();
  if (!anvil) {
    std::fprintf(stderr, "anvil not found: run tools/setup.sh or set BNET_ANVIL\n");
    return 2;
  }
  fs::path devnet = bnet::findProjectProgram("bnet-devnet");
  std::vector<double> framework, baseline;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    {
      auto l1 = bnet::L1Devnet::start({.mode = bnet::L1Mode::kLocal, .slot_seconds = 1,
                                       .work_dir = work / fmt::format("framework-{}", i),
                                       .devnet_program = devnet});
      framework.push_back(secondsSince(t));
    }
    baseline.push_back(runScript(fs::path(BNET_BENCH_DIR) / "devnet_baseline.sh",
                                 {devnet.string(), anvil->string(), "1", (work / fmt::format("shell-{}", i)).string()},
                                 work / fmt::format("shell-{}.log", i)));
  }
  double f = median(framework), b = median(baseline);
  fmt::print("L1 devnet (local, slot 1 s) cold start to ready, median of {} runs each\n", runs);
  fmt::print("  L1Devnet::start                 : {:6.2f} s\n", f);
  fmt::print("  bash + curl (devnet_baseline.sh): {:6.2f} s\n", b);
  fmt::print("  framework/baseline              : {:.2f}x\n", f / b);
  return 0;
}

// Waits (at most 10 minutes) until no other QEMU runs, then holds an exclusive lock.
int lockVms() {
  int fd = ::open("/tmp/bnet-e2e-bench-vm.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0) throw std::runtime_error("cannot lock /tmp/bnet-e2e-bench-vm.lock");
  e2e::eventually("no other qemu-system-x86_64 running", std::chrono::minutes(10), [] {
    auto r = e2e::runCommand({.name = "pgrep", .executable = "pgrep", .args = {"-c", "-x", "qemu-system-x86"}},
                             e2e::Deadline::after(std::chrono::seconds(10)));
    int n = std::atoi(r.output.c_str());
    return e2e::Attempt::check(n == 0, fmt::format("{} QEMU processes running", n));
  }, {.first_interval = std::chrono::seconds(2), .max_interval = std::chrono::seconds(5)});
  return fd;
}

std::optional<std::string> readBanner(std::uint16_t port) {
  std::string observed;
  return qemu_test::readGreetingLine(port, std::chrono::milliseconds(2000), observed);
}

int benchTwin(int runs, const fs::path& work) {
  std::string why;
  auto twin = qemu_test::findTwinImage(why);
  if (!twin) {
    std::fprintf(stderr, "no twin image: %s\n", why.c_str());
    return 2;
  }
  std::ofstream(work / "authorized_keys")
      << "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0n9L2m4xJ3h8r5dI1kq6Jt0vYb7m0cW4i2m2jH8eE e2e-bench\n";
  constexpr std::uint16_t kSshPort = 40192;
  auto config = [&](const std::string& name) {
    return e2e::QemuMachineConfig{
        .name = name,
        .artifact_dir = work / name,
        .boot = e2e::QemuKernelBoot{.kernel = twin->kernel, .initrd = twin->initrd, .append = twin->cmdline},
        .base_image = twin->rootfs,
        .base_format = twin->rootfs_format,
        .port_forwards = {{.guest_port = kSshPort}},
        .fw_cfg_files = {{"opt/e2e/ssh_authorized_keys", work / "authorized_keys"}},
        .memory_mib = 1024,
        .cpus = 2,
        .powerdown_grace = std::chrono::milliseconds(2000)};
  };
  int lock = lockVms();
  std::vector<double> framework, baseline;
  e2e::QemuAccel accel = e2e::QemuAccel::kTcg;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    {
      auto vm = e2e::QemuMachine::start(config(fmt::format("framework-{}", i)));
      accel = vm.accelerator();
      std::uint16_t port = vm.hostPort(kSshPort);
      e2e::eventually("SSH banner", std::chrono::seconds(300), [&] {
        auto line = readBanner(port);
        return e2e::Attempt::check(line && line->rfind("SSH-", 0) == 0, "no banner yet");
      }, {.first_interval = std::chrono::milliseconds(100), .max_interval = std::chrono::milliseconds(100)});
      framework.push_back(secondsSince(t));
    }
    // The same command line for a machine of the same config, with its own paths and port.
    auto cfg = config(fmt::format("shell-{}", i));
    fs::create_directories(cfg.artifact_dir);
    auto port = e2e::reservePort();
    e2e::QemuRuntime rt{.overlay = cfg.artifact_dir / "os-overlay.qcow2",
                        .console_log = cfg.artifact_dir / "console.log",
                        .qmp_socket = cfg.artifact_dir / "qmp.sock",
                        .host_ports = {{kSshPort, port.port()}},
                        .accel = accel};
    auto args = e2e::makeQemuArgs(cfg, rt);
    {
      std::ofstream out(cfg.artifact_dir / "qemu-args.txt");
      for (const auto& a : args) out << a << "\n";
    }
    port.release();
    baseline.push_back(runScript(fs::path(BNET_BENCH_DIR) / "twin_boot_baseline.sh",
                                 {twin->rootfs.string(), twin->rootfs_format, rt.overlay.string(),
                                  std::to_string(port.port()), (cfg.artifact_dir / "qemu-args.txt").string()},
                                 cfg.artifact_dir / "baseline.log"));
  }
  ::close(lock);
  double f = median(framework), b = median(baseline);
  fmt::print("twin VM boot to SSH banner ({}), median of {} runs each\n", e2e::toString(accel), runs);
  fmt::print("  QemuMachine::start + banner wait   : {:6.2f} s\n", f);
  fmt::print("  bash + same qemu command (baseline): {:6.2f} s\n", b);
  fmt::print("  framework/baseline                 : {:.2f}x\n", f / b);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "";
  if (what != "devnet" && what != "twin") {
    std::fprintf(stderr, "usage: startup_bench devnet [runs] | startup_bench twin [runs]\n");
    return 2;
  }
  int runs = argc > 2 ? std::stoi(argv[2]) : (what == "devnet" ? 3 : 1);
  if (!std::getenv("BNET_E2E_SOURCE_DIR")) ::setenv("BNET_E2E_SOURCE_DIR", BNET_SOURCE_DIR, 0);
  fs::path work = fs::temp_directory_path() / fmt::format("startup-bench-{}", ::getpid());
  fs::create_directories(work);
  int rc = what == "devnet" ? benchDevnet(runs, work) : benchTwin(runs, work);
  std::error_code ec;
  fs::remove_all(work, ec);
  return rc;
}
