// Fault injection around a booting twin VM: QEMU killed while the test waits for /readyz,
// and the BuilderHub path failing during the configuration download (the hub stand-in
// stopped; a fault proxy between the VM and its attestation gateway answering 500, slow, or
// 500 for a while and then well). The twin's fetch-config retries 5 times 2 s apart
// (tools/twin-image/README.md), so the boot fails within that window plus a margin, or
// succeeds when the fault clears inside it. Each test boots its own VM on a fresh devnet and
// hub, records time_to_detection_s, and checks nothing is left running.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <optional>
#include <thread>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/image/image_profile.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/ssh/systemd.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/process/registry.hpp"
#include "tests/faults/fault_proxy.hpp"
#include "tests/faults/faults_support.hpp"

namespace e2e::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;

// TCG on a shared 2-core machine: a cold boot to /readyz takes one to two minutes.
constexpr auto kBootBudget = 600s;
// fetch-config as the real one: curl --retry 3 --retry-delay 60 (4 attempts, 3 pauses of
// 60 s; real-image-contract.md §3).
constexpr int kFetchAttempts = 4;
constexpr auto kRetryWindow = 180s;
// On top of a budget: the readiness poll (up to 3 s), the console reader, a slow TCG guest.
constexpr auto kMargin = 30s;

double toSeconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class VmFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = bnet::BuilderVm::unavailableReason(bnet::BuilderVmConfig{})) GTEST_SKIP() << *why;
    std::string why;
    image_ = bnet::findTwinImage(why);
    if (!image_) GTEST_SKIP() << why;
    bnet::L1DevnetConfig l1;
    if (auto reason = bnet::L1Devnet::unavailableReason(l1)) GTEST_SKIP() << *reason;
    devnet_.emplace(bnet::L1Devnet::start(l1));
    hub_.emplace(bnet::BuilderHub::start({}));
  }
  void TearDown() override {
    vm_.reset();
    proxy_.reset();
    setup_.reset();
    hub_.reset();
    devnet_.reset();
    EXPECT_TRUE(nothingLeftRunning());
  }

  // Allow-lists a builder for this test and boots its VM, through the fault proxy when one
  // was started (it stands between the VM and its attestation gateway).
  bnet::BuilderVm& bootVm(const std::string& name) {
    setup_.emplace(bnet::LocalBuilderSetup::start(*hub_, *devnet_, *image_, {.instance_name = "e2e-" + name}));
    auto config = setup_->vmConfig({.name = name, .powerdown_grace = 10s});
    if (proxy_) config.gateway_port = proxy_->port();
    return vm_.emplace(bnet::BuilderVm::start(config));
  }
  // Allow-lists first (the proxy needs the gateway's port), then boots through the proxy.
  bnet::BuilderVm& bootVmThroughProxy(const std::string& name, FaultProxyConfig proxy) {
    setup_.emplace(bnet::LocalBuilderSetup::start(*hub_, *devnet_, *image_, {.instance_name = "e2e-" + name}));
    proxy.upstream_port = setup_->gateway().port();
    proxy_ = FaultProxy::start(std::move(proxy));
    auto config = setup_->vmConfig({.name = name, .powerdown_grace = 10s});
    config.gateway_port = proxy_->port();
    return vm_.emplace(bnet::BuilderVm::start(config));
  }
  // One configuration download at this boot, as the twin's profile counts them: the download
  // unit started once and succeeded once (curl's retries stay inside it), and the hub served
  // at least that one; the watchdog downloads again after each 200 from /builders, so the hub
  // may count up to one more per watchdog run (counted after the hub's log, so that every
  // download counted belongs to a run counted).
  void expectOneDownloadAtBoot(bnet::BuilderVm& vm) {
    const auto profile = bnet::ImageProfile::load(bnet::ImageProfile::resolve("twin", bnet::ImageProfile::defaultDir()));
    const auto& download = profile.unit("config_download");
    auto& ssh = vm.ssh();
    const auto log = bnet::journal(ssh, {.unit = download.id(), .this_boot = true});
    EXPECT_EQ(bnet::countMatching(log, bnet::linePattern(download.lines.start)), 1u) << bnet::formatJournal(log);
    EXPECT_EQ(bnet::countMatching(log, bnet::linePattern(download.lines.success)), 1u) << bnet::formatJournal(log);
    const int downloads = configDownloads();
    const auto runs = static_cast<int>(bnet::unitStartsThisBoot(ssh, profile.unit("watchdog").id()));
    EXPECT_GE(downloads, 1) << "the hub served no configuration";
    EXPECT_LE(downloads, 1 + (profile.watchdog.downloadsConfiguration() ? runs : 0))
        << "one download at boot plus at most one per watchdog run (" << runs << " runs)";
  }
  int configDownloads() {
    int n = 0;
    for (const auto& e : hub_->events()) {
      if (e.builder_name == setup_->builderName() && e.event_name == "GetConfig") ++n;
    }
    return n;
  }
  // Waits for render-config's first line, then for /readyz, which must fail; returns the
  // error and the seconds from that first line to the failure.
  std::pair<std::string, double> bootMustFailAfterFetching(bnet::BuilderVm& vm) {
    const auto deadline = Deadline::after(kBootBudget);
    vm.waitForConsoleLine("Fetching configuration\\.\\.\\.", deadline);
    const auto fetching = Clock::now();
    try {
      vm.waitForReady(deadline);
    } catch (const WaitFailed& e) {
      return {e.what(), secondsSince(fetching)};
    } catch (const WaitTimeout& e) {
      ADD_FAILURE() << "the boot wait ran to its deadline instead of failing when render-config did: " << e.what();
      return {e.what(), secondsSince(fetching)};
    }
    ADD_FAILURE() << "the VM became ready without a configuration";
    return {"", secondsSince(fetching)};
  }

  std::optional<bnet::TwinImage> image_;
  // In start order, so they stop in reverse: the VM uses the proxy, the gateway (setup), the
  // hub and the devnet.
  std::optional<bnet::L1Devnet> devnet_;
  std::optional<bnet::BuilderHub> hub_;
  std::optional<bnet::LocalBuilderSetup> setup_;
  std::unique_ptr<FaultProxy> proxy_;
  std::optional<bnet::BuilderVm> vm_;
};

TEST_F(VmFaults, QemuKilledMidBootFailsTheReadyWaitAtOnceNamingTheVm) {
  auto& vm = bootVm("fault-killed");
  pid_t qemu = 0;
  for (const auto& r : ProcessRegistry::list()) {
    if (r.owner_pid == ::getpid() && r.name == vm.machine().name() + "-qemu") qemu = r.pid;
  }
  ASSERT_NE(qemu, 0) << "the VM's QEMU is not in the process registry";
  Clock::time_point killed{};
  std::string killer_error;
  std::thread killer([&] {
    try {
      // Mid-boot: systemd runs the boot units, /readyz does not answer yet.
      vm.machine().console().waitForLine("Fetching configuration\\.\\.\\.|Started .*attested", Deadline::after(kBootBudget));
    } catch (const std::exception& e) {
      killer_error = e.what();
    }
    killed = Clock::now();
    ::kill(qemu, SIGKILL);
  });
  try {
    vm.waitForReady(Deadline::after(kBootBudget));
    ADD_FAILURE() << "the VM became ready although its QEMU was killed";
  } catch (const WaitFailed& e) {
    killer.join();
    const double detection = secondsSince(killed);
    recordDetection(detection);
    recordReport(e.what());
    EXPECT_THAT(e.what(), AllOf(HasSubstr("VM 'fault-killed'"), HasSubstr("killed by signal 9"), HasSubstr("console:")));
    EXPECT_LT(detection, toSeconds(kMargin)) << "at once, not after the " << toSeconds(kBootBudget) << " s budget";
  } catch (const WaitTimeout& e) {
    ADD_FAILURE() << "ran to the deadline: " << e.what();
  }
  if (killer.joinable()) killer.join();
  EXPECT_EQ(killer_error, "");
}

TEST_F(VmFaults, HubStoppedDuringConfigDownloadFailsTheBootWithinTheRetryWindow) {
  setup_.emplace(bnet::LocalBuilderSetup::start(*hub_, *devnet_, *image_, {.instance_name = "e2e-fault-hub-stopped"}));
  hub_->stop();  // the gateway stays: it answers, but the hub behind it is gone
  auto& vm = vm_.emplace(bnet::BuilderVm::start(setup_->vmConfig({.name = "fault-hub-stopped", .powerdown_grace = 10s})));
  auto [error, detection] = bootMustFailAfterFetching(vm);
  recordDetection(detection);
  recordReport(error);
  EXPECT_THAT(error, AllOf(HasSubstr("VM 'fault-hub-stopped'"), HasSubstr("Failed to fetch configuration.")));
  EXPECT_LT(detection, toSeconds(kRetryWindow + kMargin)) << "fetch-config's retry window plus a margin";
  // The gateway answered each attempt 502 (its body names the hub it could not reach), and
  // each was retried.
  const std::string gateway_log = setup_->gateway().logText();
  int answered_502 = 0;
  for (auto at = gateway_log.find("Response: 502"); at != std::string::npos; at = gateway_log.find("Response: 502", at + 1)) {
    ++answered_502;
  }
  // config-watchdog's /builders requests (after basic.target) can add to fetch-config's.
  EXPECT_GE(answered_502, kFetchAttempts) << "gateway log " << setup_->gateway().logPath();
}

TEST_F(VmFaults, HubAnswering500FailsTheBootAfterFetchConfigsRetries) {
  auto& vm = bootVmThroughProxy("fault-hub-500", {.name = "hub-fault-proxy", .mode = FaultMode::kHttp500});
  auto [error, detection] = bootMustFailAfterFetching(vm);
  recordDetection(detection);
  recordReport(error);
  EXPECT_THAT(error, AllOf(HasSubstr("VM 'fault-hub-500'"), HasSubstr("Failed to fetch configuration.")));
  EXPECT_LT(detection, toSeconds(kRetryWindow + kMargin)) << "fetch-config's retry window plus a margin";
  // At least fetch-config's attempts: once render-config failed, basic.target is reached and
  // config-watchdog's /builders requests (retried on 500 too) can reach the proxy as well.
  EXPECT_GE(proxy_->answered500(), kFetchAttempts) << "fetch-config retries a 500 three times; proxy log "
                                                   << proxy_->logPath();
  EXPECT_EQ(configDownloads(), 0);
}

TEST_F(VmFaults, HubAnswering500ForAWhileIsRetriedAndTheBootSucceeds) {
  constexpr int kFailures = 3;  // inside the retry window
  auto& vm = bootVmThroughProxy("fault-hub-500-then-ok",
                                {.name = "hub-fault-proxy", .mode = FaultMode::kForward, .http500_first = kFailures});
  vm.waitForReady(Deadline::after(kBootBudget));
  RecordProperty("boot_to_readyz_seconds", fmt::format("{:.1f}", vm.readySeconds().value_or(-1)));
  EXPECT_EQ(proxy_->answered500(), kFailures);
  expectOneDownloadAtBoot(vm);  // after the retries
}

TEST_F(VmFaults, SlowHubDelaysTheConfigDownloadButTheBootSucceeds) {
  constexpr auto kDelay = 3s;  // per response, well inside curl's --max-time 60
  auto& vm = bootVmThroughProxy("fault-hub-slow", {.name = "hub-fault-proxy",
                                                    .mode = FaultMode::kDelayResponses,
                                                    .response_delay = kDelay});
  vm.waitForReady(Deadline::after(kBootBudget));
  RecordProperty("boot_to_readyz_seconds", fmt::format("{:.1f}", vm.readySeconds().value_or(-1)));
  expectOneDownloadAtBoot(vm);
  EXPECT_GE(proxy_->connections(), 1);
  EXPECT_EQ(proxy_->answered500(), 0);
}

}  // namespace
}  // namespace e2e::testing
