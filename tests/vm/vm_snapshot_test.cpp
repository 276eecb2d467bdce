// Fresh twin VMs restored from one snapshot: the template boots once to /readyz and is
// saved; each test restores copies and checks they are ready, reachable on their own ports
// and share no disk state, host key, RNG output or stale clock. Needs the twin image, QEMU,
// anvil and build/twin-payload; skipped with the reason otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "fixtures/vm/vm_snapshot.hpp"

namespace {
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Ne;

// Members in start order, so they stop in reverse (the snapshot's copies are stopped by
// each test; the snapshot needs the gateway, the hub and the devnet).
struct SnapshotWorld {
  std::optional<bnet::TwinImage> image;
  std::optional<bnet::L1Devnet> devnet;
  std::optional<bnet::BuilderHub> hub;
  std::optional<bnet::LocalBuilderSetup> setup;
  std::optional<bnet::VmSnapshot> snapshot;
  std::string skip;
  std::string error;
};

SnapshotWorld& world() {
  static SnapshotWorld w;
  return w;
}

double secondsSince(e2e::Clock::time_point start) {
  return std::chrono::duration<double>(e2e::Clock::now() - start).count();
}

class VmSnapshotTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& w = world();
    bnet::BuilderVmConfig probe;
    if (auto why = bnet::BuilderVm::unavailableReason(probe)) {
      w.skip = *why;
      return;
    }
    std::string why;
    w.image = bnet::findTwinImage(why);
    if (!w.image) {
      w.skip = why;
      return;
    }
    bnet::L1DevnetConfig l1;
    if (auto reason = bnet::L1Devnet::unavailableReason(l1)) {
      w.skip = *reason;
      return;
    }
    try {
      w.devnet.emplace(bnet::L1Devnet::start(l1));
      w.hub.emplace(bnet::BuilderHub::start({}));
      w.setup.emplace(bnet::LocalBuilderSetup::start(*w.hub, *w.devnet, *w.image, {}));
      w.snapshot.emplace(bnet::VmSnapshot::make(w.setup->vmConfig({.name = "template"})));
      std::cout << fmt::format("template: cold boot to /readyz {:.1f} s, state saved in {:.1f} s ({} MiB)\n",
                               w.snapshot->coldBootSeconds(), w.snapshot->saveSeconds(),
                               w.snapshot->stateBytes() >> 20);
    } catch (const std::exception& e) {
      w.error = e.what();
    }
  }
  static void TearDownTestSuite() {
    auto& w = world();
    w.snapshot.reset();
    w.setup.reset();
    w.hub.reset();
    w.devnet.reset();
  }
  void SetUp() override {
    if (!world().skip.empty()) GTEST_SKIP() << world().skip;
    ASSERT_TRUE(world().error.empty()) << "snapshot setup failed: " << world().error;
    RecordProperty("cold_boot_to_ready_seconds", fmt::format("{:.2f}", world().snapshot->coldBootSeconds()));
  }

  bnet::BuilderVm restoreTimed(const std::string& name) {
    const auto started = e2e::Clock::now();
    auto vm = world().snapshot->restore({.name = name});
    const double seconds = secondsSince(started);
    RecordProperty("restore_to_ready_seconds_" + name, fmt::format("{:.2f}", seconds));
    std::ifstream timeline(vm.artifactDir() / "restore-timeline.json");
    std::cout << fmt::format("copy '{}': restored to /readyz in {:.2f} s; phases: {}\n", name, seconds,
                             std::string(std::istreambuf_iterator<char>(timeline), {}));
    return vm;
  }

  static std::string run(bnet::BuilderVm& vm, const std::string& command) {
    auto result = vm.ssh().run(command, 30s);
    EXPECT_TRUE(result.success()) << command << " on " << vm.config().name << ": " << result.describe() << " "
                                  << result.err;
    return result.out;
  }
  // exit 0 if the file exists, 1 if not
  static int exists(bnet::BuilderVm& vm, const std::string& path) {
    return vm.ssh().run("sudo test -e " + path, 30s).exit_status;
  }
};

TEST_F(VmSnapshotTest, TwoCopiesAtOnceShareNoDiskStateHostKeyOrRandomness) {
  auto a = restoreTimed("copy-a");
  auto b = restoreTimed("copy-b");

  EXPECT_THAT(a.sshPort(), Ne(b.sshPort()));
  EXPECT_THAT(a.httpsUrl(), Ne(b.httpsUrl()));
  EXPECT_THAT(a.machine().runtime().overlay, Ne(b.machine().runtime().overlay));
  EXPECT_THAT(a.dataDisk(), Ne(b.dataDisk()));
  EXPECT_EQ(run(a, "hostname"), run(b, "hostname")) << "restored at ready: both are the template's builder";

  // Root disk and the LUKS data disk: A's writes stay A's.
  run(a, "echo a | sudo tee /var/tmp/e2e-copy-a /var/lib/persistent/e2e-copy-a > /dev/null && sync");
  EXPECT_EQ(exists(a, "/var/tmp/e2e-copy-a"), 0);
  EXPECT_EQ(exists(a, "/var/lib/persistent/e2e-copy-a"), 0);
  // Drop B's page cache so its checks read its own overlays, not memory from the template.
  run(b, "sync && echo 3 | sudo tee /proc/sys/vm/drop_caches > /dev/null");
  EXPECT_EQ(exists(b, "/var/tmp/e2e-copy-a"), 1) << "copy B sees copy A's root disk file";
  EXPECT_EQ(exists(b, "/var/lib/persistent/e2e-copy-a"), 1) << "copy B sees copy A's data disk file";
  EXPECT_THAT(run(b, "findmnt -n -o SOURCE /var/lib/persistent"), HasSubstr("/dev/mapper/"));

  // Identity made after the restore.
  a.ssh().connect(e2e::Deadline::after(15s));
  b.ssh().connect(e2e::Deadline::after(15s));
  EXPECT_THAT(a.ssh().hostKeyFingerprint(), Ne(b.ssh().hostKeyFingerprint()));
  const std::string random_cmd = "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'";
  EXPECT_THAT(run(a, random_cmd), Ne(run(b, random_cmd)));

  // Clocks stepped to the host's.
  for (auto* vm : {&a, &b}) {
    const double guest = std::stod(run(*vm, "date +%s.%N"));
    const double host = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NEAR(guest, host, 3.0) << "guest clock of " << vm->config().name;
  }
}

TEST_F(VmSnapshotTest, ACopysWritesNeverReachTheSnapshot) {
  {
    auto a = restoreTimed("writer");
    run(a, "echo a | sudo tee /var/tmp/e2e-writer /var/lib/persistent/e2e-writer > /dev/null && sync");
    a.stop();
  }
  auto c = restoreTimed("after-writer");
  EXPECT_EQ(exists(c, "/var/tmp/e2e-writer"), 1);
  EXPECT_EQ(exists(c, "/var/lib/persistent/e2e-writer"), 1);
  EXPECT_THAT(run(c, "systemctl is-active flowproxy"), HasSubstr("active"));
}

}  // namespace
