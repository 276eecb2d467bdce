// The twin image's boot sequence, end to end on the local environment: the devnet, the
// BuilderHub stand-in and a twin VM running the builder stand-in. One VM boots for the
// TwinBoot suite and its tests share it (ONE_PROCESS); a second boot reuses its data disk;
// the UnknownMeasurement suite boots one more VM that must stop at render-config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/image/boot_order.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/ssh/systemd.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/artifacts/artifacts.hpp"

namespace {
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace fs = std::filesystem;

// TCG on a shared 2-core machine: a cold boot to /readyz takes one to two minutes.
constexpr auto kBootBudget = 600s;

// Shared by both suites; members in start order, so they stop in reverse (the VMs first:
// they use the gateways, the hub and the devnet).
struct LocalWorld {
  std::optional<bnet::TwinImage> image;
  std::optional<bnet::L1Devnet> devnet;
  std::optional<bnet::BuilderHub> hub;
  std::string skip;  // why nothing can run here
  std::string error;  // setup failed

  static LocalWorld& get() {
    static LocalWorld world;
    return world;
  }
  // Starts the devnet and the hub once; records a skip reason or an error instead of throwing.
  void ensure() {
    if (hub || !skip.empty() || !error.empty()) return;
    bnet::BuilderVmConfig probe;
    if (auto why = bnet::BuilderVm::unavailableReason(probe)) {
      skip = *why;
      return;
    }
    std::string why;
    image = bnet::findTwinImage(why);
    if (!image) {
      skip = why;
      return;
    }
    bnet::L1DevnetConfig l1;
    if (auto reason = bnet::L1Devnet::unavailableReason(l1)) {
      skip = *reason;
      return;
    }
    try {
      devnet.emplace(bnet::L1Devnet::start(l1));
      hub.emplace(bnet::BuilderHub::start({}));
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  void release() {
    hub.reset();
    devnet.reset();
  }
};

// Every file under dir whose bytes contain one of the secrets, with which one. anvil's log
// lists the devnet's public prefunded keys, the coinbase key among them: not a leak.
std::vector<std::string> filesContainingSecrets(const fs::path& dir,
                                                const std::vector<bnet::LocalBuilderSetup::Secret>& secrets) {
  std::vector<std::string> hits;
  if (!fs::exists(dir)) return hits;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext == ".raw" || ext == ".qcow2" || ext == ".ext4") continue;  // disk images: encrypted or not ours
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    for (const auto& secret : secrets) {
      if (entry.path().filename() == "anvil.log" && secret.name.rfind("rbuilder.coinbase_secret_key", 0) == 0) continue;
      if (content.find(secret.value) != std::string::npos) {
        hits.push_back(fmt::format("{} ({})", entry.path().string(), secret.name));
      }
    }
  }
  return hits;
}

class TwinBoot : public ::testing::Test {
 protected:
  struct Shared {
    std::optional<bnet::LocalBuilderSetup> setup;
    std::optional<bnet::BuilderVm> vm;
    std::string error;
    double ready_seconds = 0;
  };
  static Shared& shared() {
    static Shared s;
    return s;
  }

  static void SetUpTestSuite() {
    auto& world = LocalWorld::get();
    world.ensure();
    if (!world.skip.empty() || !world.error.empty()) return;
    auto& s = shared();
    try {
      s.setup.emplace(bnet::LocalBuilderSetup::start(*world.hub, *world.devnet, *world.image, {}));
      s.vm.emplace(bnet::BuilderVm::start(s.setup->vmConfig({.name = "twin"})));
      std::cout << "twin VM under " << e2e::toString(s.vm->machine().accelerator()) << "\n";
      s.vm->waitForReady(e2e::Deadline::after(kBootBudget));
      s.ready_seconds = *s.vm->readySeconds();
      std::cout << fmt::format("twin VM ready (/readyz 200) {:.1f}s after start\n", s.ready_seconds);
    } catch (const std::exception& e) {
      s.error = e.what();
    }
  }
  static void TearDownTestSuite() {
    auto& s = shared();
    s.vm.reset();
    s.setup.reset();
  }

  void SetUp() override {
    auto& world = LocalWorld::get();
    if (!world.skip.empty()) GTEST_SKIP() << world.skip;
    ASSERT_TRUE(world.error.empty()) << "local environment setup failed: " << world.error;
    ASSERT_TRUE(shared().error.empty()) << "twin VM setup failed: " << shared().error;
    ASSERT_TRUE(shared().vm.has_value()) << "the twin VM was stopped by an earlier test";
  }

  bnet::BuilderVm& vm() { return *shared().vm; }
  bnet::LocalBuilderSetup& setup() { return *shared().setup; }
  std::vector<bnet::HubEvent> eventsOfThisBuilder() {
    std::vector<bnet::HubEvent> mine;
    for (auto& e : LocalWorld::get().hub->events()) {
      if (e.builder_name == setup().builderName()) mine.push_back(e);
    }
    return mine;
  }
};

TEST_F(TwinBoot, ColdBootReachesReadyz) {
  RecordProperty("boot_to_readyz_seconds", fmt::format("{:.1f}", shared().ready_seconds));
  RecordProperty("accelerator", std::string(e2e::toString(vm().machine().accelerator())));
  e2e::HttpClient http({.base_url = vm().httpsUrl(), .tls = {.verify = false}});
  auto livez = http.get("/livez");
  EXPECT_EQ(livez.status, 200);
  EXPECT_EQ(livez.body, "OK\n");  // HAProxy's own answer
  EXPECT_EQ(http.get("/readyz").status, 200);
}

TEST_F(TwinBoot, BootTimelineKeepsTheRealPartialOrder) {
  auto timeline = vm().bootTimeline();
  std::cout << timeline.describe();
  // The edges the real units guarantee (real-image-contract.md §2), nothing more: `after`
  // starts once `before` finished starting (started, for a Type=exec `before`).
  struct Edge {
    const char* before;
    const char* after;
    bool started_only;
  };
  const Edge edges[] = {{"attested-tls-proxy-client", "render-config", true},
                        {"render-config", "hostname-set", false},
                        {"render-config", "persistent-setup", false},
                        // basic.target: after hostname-set and local-fs.target (persistent-setup).
                        {"hostname-set", "haproxy", false},
                        {"persistent-setup", "haproxy", false},
                        {"persistent-setup", "flowproxy", false},
                        {"persistent-setup", "config-watchdog", false},
                        // The first boot's watchdog run enables rbuilder.
                        {"config-watchdog", "rbuilder-operator", true}};
  for (const auto& edge : edges) {
    const auto* before = timeline.find(edge.before);
    const auto* after = timeline.find(edge.after);
    ASSERT_TRUE(before && after) << edge.before << " / " << edge.after << " not in the timeline\n" << timeline.describe();
    ASSERT_TRUE(after->started_s.has_value()) << edge.after << " never started\n" << timeline.describe();
    auto bound = edge.started_only ? before->started_s : before->finished_s;
    ASSERT_TRUE(bound.has_value()) << edge.before << " has no timestamp\n" << timeline.describe();
    EXPECT_GE(*after->started_s, *bound) << edge.after << " started before " << edge.before
                                         << (edge.started_only ? " started" : " finished") << "\n" << timeline.describe();
  }
  // And every edge of the twin profile's partial order (environments/images/twin.json).
  const auto profile = bnet::ImageProfile::load(bnet::ImageProfile::defaultDir() / "twin.json");
  auto order = bnet::checkBootOrder(profile, timeline);
  EXPECT_TRUE(order.ok()) << order.describe() << "\n" << timeline.describe();
  EXPECT_FALSE(order.held.empty()) << order.describe();
  for (const auto& step : timeline.steps) {
    EXPECT_TRUE(step.finished_s.has_value()) << step.unit << " never finished starting\n" << timeline.describe();
    if (step.started_s && step.finished_s) {
      EXPECT_LE(*step.started_s, *step.finished_s) << step.unit;
    }
  }
  const auto* render = timeline.find("render-config");
  ASSERT_NE(render, nullptr);
  EXPECT_EQ(render->result, "success");
  EXPECT_TRUE(render->console_s.has_value()) << "no console status line for render-config";
  auto lines = bnet::journal(vm().ssh(), bnet::JournalQuery{.unit = "render-config.service", .this_boot = true});
  std::string text = bnet::formatJournal(lines);
  EXPECT_THAT(text, HasSubstr("Fetching configuration..."));
  EXPECT_THAT(text, HasSubstr("Rendered /etc/hostname"));
  EXPECT_THAT(text, HasSubstr("Rendered /etc/rbuilder-operator/config.toml"));
  EXPECT_THAT(text, HasSubstr("All templates rendered successfully."));
  EXPECT_EQ(vm().ssh().run("hostname").out, setup().config().instance_name + "\n");
}

TEST_F(TwinBoot, DataDiskIsADmCryptMappingMountedAtVarLibPersistent) {
  auto& ssh = vm().ssh();
  auto lsblk = ssh.run("lsblk -J -o NAME,TYPE,MOUNTPOINT,SERIAL");
  ASSERT_TRUE(lsblk.success()) << lsblk.err;
  auto tree = nlohmann::json::parse(lsblk.out);
  bool found = false;
  for (const auto& disk : tree["blockdevices"]) {
    if (disk.value("serial", "") != "persistent") continue;
    ASSERT_TRUE(disk.contains("children")) << lsblk.out;
    const auto& child = disk["children"][0];
    EXPECT_EQ(child.value("type", ""), "crypt");
    EXPECT_EQ(child.value("name", ""), "persistent");
    EXPECT_EQ(child.value("mountpoint", ""), "/var/lib/persistent");
    found = true;
  }
  EXPECT_TRUE(found) << "no disk with serial 'persistent' in\n" << lsblk.out;
  auto table = ssh.run("sudo -n dmsetup table persistent");
  EXPECT_THAT(table.out, HasSubstr(" crypt ")) << table.err;
  auto status = ssh.run("sudo -n cryptsetup status persistent");
  EXPECT_THAT(status.out, HasSubstr("type:    LUKS2")) << status.err;
  // The key was shredded after use, as the real persistent-setup does.
  EXPECT_NE(ssh.run("sudo -n test -e /etc/disk-encryption-key").exit_status, 0);
  auto journal = bnet::formatJournal(bnet::journal(ssh, bnet::JournalQuery{.unit = "persistent-setup.service", .this_boot = true}));
  EXPECT_THAT(journal, HasSubstr("persistent-setup: Found device /dev/vdb for serial persistent"));
  EXPECT_THAT(journal, HasSubstr("is not encrypted, performing initial setup"));
  EXPECT_THAT(journal, HasSubstr("persistent-setup: Completed setup for serial persistent on device /dev/vdb with "
                                 "passphrase-based encryption"));
}

TEST_F(TwinBoot, HubSawTheConfigDownloadsAndTheOrderflowSignerRegistration) {
  auto events = eventsOfThisBuilder();
  int downloads = 0, signer = 0;
  for (const auto& e : events) {
    if (e.event_name == "GetConfig") ++downloads;
    if (e.event_name == "RegisterCredentials" && e.service == "orderflow_proxy") ++signer;
  }
  // render-config's one, plus at most one per config-watchdog run (it reads /configuration
  // after each 200 from /builders; real-image-contract.md §4). Runs are counted after the
  // events were read, so they can only be more.
  auto runs = vm().ssh().run(
      "sudo -n journalctl -b -o cat --no-pager -u config-watchdog.service | grep -c '^Starting config-watchdog.service'");
  const int watchdog_runs = std::atoi(runs.out.c_str());
  EXPECT_GE(downloads, 1);
  EXPECT_LE(downloads, 1 + watchdog_runs) << "configuration downloads beyond render-config's and the watchdog's";
  EXPECT_GE(signer, 1);
  auto id = vm().identity();
  EXPECT_EQ(id.builder_name, setup().builderName());
  EXPECT_THAT(id.orderflow_signer_address, StartsWith("0x"));
  EXPECT_EQ(id.orderflow_signer_address.size(), 42u);
  EXPECT_EQ(id.coinbase_address, setup().coinbaseAddress());
  EXPECT_EQ(id.extra_data, setup().config().extra_data);
}

TEST_F(TwinBoot, NoSecretValueReachesTheConsoleJournalOrArtifacts) {
  const auto& secrets = setup().secrets();
  ASSERT_GE(secrets.size(), 4u);
  // The whole journal of this boot, read raw (not through the redacting artifact writer).
  auto journal = vm().ssh().run("sudo -n journalctl -b -o cat --no-pager", 120s);
  ASSERT_TRUE(journal.success()) << journal.err;
  for (const auto& secret : secrets) {
    EXPECT_EQ(journal.out.find(secret.value), std::string::npos) << secret.name << " is in the guest's journal";
  }
  vm().collectArtifacts();
  // The console and QEMU logs are written by QEMU itself, raw; the hub's and the gateway's
  // logs by their programs. None may hold a secret.
  auto hits = filesContainingSecrets(e2e::Artifacts::instance().runDir(), secrets);
  EXPECT_TRUE(hits.empty()) << "secrets found in: " << ::testing::PrintToString(hits);
}

TEST_F(TwinBoot, DeactivatedBuilderIsStoppedByTheWatchdog) {
  ASSERT_EQ(bnet::unitState(vm().ssh(), "rbuilder-operator").active_state, "active");
  const auto from = vm().machine().console().lineCount();
  setup().deactivateBuilder();
  auto line = vm().machine().console().waitForLine(
      "rbuilder-status-watchdog: rbuilder was disabled in BuilderHub, service stopped", e2e::Deadline::after(120s),
      {.from_line = from});
  EXPECT_THAT(line, HasSubstr("service stopped"));
  EXPECT_NE(bnet::unitState(vm().ssh(), "rbuilder-operator").active_state, "active");
  EXPECT_NE(vm().ssh().run("test -e /var/lib/persistent/rbuilder-operator/rbuilder.enabled").exit_status, 0);
  // Active again: the watchdog starts rbuilder once more.
  setup().activateBuilder();
  vm().machine().console().waitForLine("rbuilder-status-watchdog: rbuilder was enabled in BuilderHub, service started",
                                       e2e::Deadline::after(120s), {.from_line = from});
  EXPECT_EQ(bnet::waitForUnit(vm().ssh(), "rbuilder-operator", "active", e2e::Deadline::after(60s)).active_state,
            "active");
}

TEST_F(TwinBoot, SecondBootOfTheSameDataDiskUnlocksInsteadOfFormatting) {
  const fs::path disk = vm().dataDisk();
  shared().vm.reset();  // powers the first VM down: the disk is free
  // The VM outlives this test (the next one uses it): its files go to the run's folder, not
  // to this test's, which is pruned when the test passes.
  auto& second = shared().vm.emplace(bnet::BuilderVm::start(setup().vmConfig(
      {.name = "twin-second-boot",
       .artifact_dir = e2e::Artifacts::instance().runDir() / "twin-second-boot",
       .data_disk = disk})));
  const auto deadline = e2e::Deadline::after(kBootBudget);
  second.waitForConsoleLine("persistent-setup: Device /dev/vdb is already LUKS encrypted, attempting to unlock",
                            deadline);
  second.waitForConsoleLine("persistent-setup: Successfully unlocked encrypted device with passphrase", deadline);
  second.waitForConsoleLine("persistent-setup: Completed setup for serial persistent", deadline);
  for (const auto& line : second.machine().console().lines()) {
    EXPECT_THAT(line, Not(HasSubstr("performing initial setup")));
  }
  // The flag file on the persistent disk survived: rbuilder starts without waiting for the watchdog.
  second.waitForSsh(deadline);
  EXPECT_EQ(bnet::waitForUnit(second.ssh(), "rbuilder-operator", "active", deadline).active_state, "active");
}

TEST_F(TwinBoot, WatchdogReportsAHubItCannotReach) {
  ASSERT_EQ(vm().config().name, "twin-second-boot") << "runs on the second boot's VM";
  const auto from = vm().machine().console().lineCount();
  setup().stopGateway();
  // The forwarder accepts, the gateway behind it is gone: curl gets no HTTP answer (000).
  auto line = vm().machine().console().waitForLine("rbuilder-status-watchdog: Failed to fetch active builders \\(HTTP [0-9]+\\)",
                                                   e2e::Deadline::after(120s), {.from_line = from});
  EXPECT_THAT(line, HasSubstr("(HTTP 000)"));
  // Not a deactivation: rbuilder keeps running.
  EXPECT_EQ(bnet::unitState(vm().ssh(), "rbuilder-operator").active_state, "active");
}

class UnknownMeasurement : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { LocalWorld::get().release(); }
  void SetUp() override {
    auto& world = LocalWorld::get();
    world.ensure();
    if (!world.skip.empty()) GTEST_SKIP() << world.skip;
    ASSERT_TRUE(world.error.empty()) << "local environment setup failed: " << world.error;
  }
};

TEST_F(UnknownMeasurement, StopsTheBootAtRenderConfig) {
  auto& world = LocalWorld::get();
  auto setup = bnet::LocalBuilderSetup::start(
      *world.hub, *world.devnet, *world.image,
      {.instance_name = "e2e-twin-unknown", .present_unknown_measurement = true});
  auto vm = bnet::BuilderVm::start(setup.vmConfig({.name = "twin-unknown-measurement"}));
  const auto deadline = e2e::Deadline::after(kBootBudget);
  vm.waitForConsoleLine("Failed to fetch configuration\\.", deadline);
  try {
    vm.waitForReady(e2e::Deadline::after(30s));
    ADD_FAILURE() << "the VM became ready without a configuration";
  } catch (const e2e::WaitFailed& e) {
    EXPECT_THAT(e.what(), HasSubstr("Failed to fetch configuration."));
  }
  vm.waitForSsh(deadline);
  EXPECT_EQ(bnet::unitState(vm.ssh(), "render-config").active_state, "failed");
  auto rbuilder = bnet::unitState(vm.ssh(), "rbuilder-operator");
  EXPECT_NE(rbuilder.active_state, "active");
  EXPECT_EQ(rbuilder.active_enter_monotonic_usec, 0u) << rbuilder.describe();
  EXPECT_NE(bnet::unitState(vm.ssh(), "flowproxy").active_state, "active");
  for (const auto& e : world.hub->events()) {
    EXPECT_FALSE(e.builder_name == setup.builderName() && e.event_name == "GetConfig")
        << "the hub served a configuration to a VM with an unknown measurement";
  }
}

}  // namespace
