// A fresh twin VM to /readyz: cold boot against a restore from a VmSnapshot, in one run.
//   cold:    BuilderVm::start to the first /readyz 200 (the snapshot's template boot; the
//            same LocalBuilderSetup config a test's cold boot uses)
//   restore: VmSnapshot::restore to /readyz 200, fix-ups (clock, RNG reseed, host key)
//            included; median of `restores` runs, each copy stopped before the next
// Starts anvil (L1Devnet local), the hub stand-in and the VM's gateway first. Holds
// /tmp/bnet-e2e-bench-vm.lock (as startup_bench) so two VM benchmarks do not overlap.
// Usage: snapshot_bench [restores, default 5]
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "fixtures/vm/vm_snapshot.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int restores = argc > 1 ? std::stoi(argv[1]) : 5;
  if (restores < 1) {
    std::cerr << "usage: snapshot_bench [restores >= 1]\n";
    return 2;
  }
  try {
    std::string why;
    auto image = bnet::findTwinImage(why);
    if (!image) {
      std::cerr << "skipped: " << why << "\n";
      return 3;
    }
    if (auto reason = bnet::BuilderVm::unavailableReason({})) {
      std::cerr << "skipped: " << *reason << "\n";
      return 3;
    }
    int lock = ::open("/tmp/bnet-e2e-bench-vm.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock /tmp/bnet-e2e-bench-vm.lock");

    auto devnet = bnet::L1Devnet::start({});
    auto hub = bnet::BuilderHub::start({});
    auto setup = bnet::LocalBuilderSetup::start(hub, devnet, *image, {});
    auto snapshot = bnet::VmSnapshot::make(setup.vmConfig({.name = "bench-template"}));
    fmt::print("cold boot to /readyz: {:.2f} s (state saved in {:.2f} s, {} MiB)\n", snapshot.coldBootSeconds(),
               snapshot.saveSeconds(), snapshot.stateBytes() >> 20);
    std::vector<double> seconds;
    for (int i = 0; i < restores; ++i) {
      const auto started = Clock::now();
      auto vm = snapshot.restore({.name = fmt::format("bench-restore-{}", i)});
      seconds.push_back(std::chrono::duration<double>(Clock::now() - started).count());
      std::ifstream timeline(vm.artifactDir() / "restore-timeline.json");
      std::string phases(std::istreambuf_iterator<char>(timeline), {});
      phases.erase(std::remove(phases.begin(), phases.end(), '\n'), phases.end());
      fmt::print("restore {}: {:.2f} s {}\n", i + 1, seconds.back(), phases);
      vm.stop();
    }
    const double restore = median(seconds);
    fmt::print("\n| what | seconds | ratio |\n|---|---|---|\n");
    fmt::print("| cold boot (`BuilderVm::start` to /readyz) | {:.2f} s | - |\n", snapshot.coldBootSeconds());
    fmt::print("| `VmSnapshot::restore` to /readyz (median of {}; min {:.2f}, max {:.2f}) | {:.2f} s | **{:.1f}x** faster |\n",
               restores, *std::min_element(seconds.begin(), seconds.end()),
               *std::max_element(seconds.begin(), seconds.end()), restore, snapshot.coldBootSeconds() / restore);
    ::close(lock);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "snapshot_bench failed: " << e.what() << "\n";
    return 1;
  }
}
