// The builder fetched its configuration through its attested channel once at boot and then
// as its watchdog's schedule allows, rendered it with the modes its image profile states,
// unlocked its encrypted disk, registered its credentials, and leaked no secret; a builder
// with an unknown measurement gets nothing, and a deactivated one stops building.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "fixtures/image/image_profile.hpp"
#include "fixtures/ssh/systemd.hpp"
#include "fixtures/testbed/testbed_test.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/ssh/shell.hpp"

namespace bnet {
namespace {

using namespace std::chrono_literals;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class ConfigDownload : public TestbedTest {
 protected:
  // The secret values found in text, by position only (never printed).
  static std::vector<std::size_t> secretsIn(const std::string& text, const std::vector<std::string>& secrets) {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      if (secrets[i].size() >= 8 && text.find(secrets[i]) != std::string::npos) found.push_back(i);
    }
    return found;
  }
};

TEST_F(ConfigDownload, ConfigurationIsDownloadedOnceAtBootAndOncePerWatchdogRun) {
  const ImageProfile& image = env().image();
  const ProfileUnit& download = image.unit("config_download");
  const WatchdogProfile& watchdog = image.watchdog;
  auto& ssh = builder().ssh();
  auto log = journal(ssh, {.unit = download.id(), .this_boot = true});
  EXPECT_EQ(countMatching(log, linePattern(download.lines.start)),
            static_cast<std::size_t>(image.config_download.runs_per_boot))
      << "configuration downloads at boot:\n" << formatJournal(log);
  EXPECT_EQ(countMatching(log, linePattern(download.lines.success)), 1u) << formatJournal(log);
  if (!hub().hasEventLog()) return;  // the hub keeps no event log here: the guest's side was checked

  // The watchdog's runs are counted around the hub's log, so that every download the hub
  // saw belongs to a run already counted.
  const std::size_t runs_before = unitStartsThisBoot(ssh, image.unit("watchdog").id());
  std::size_t downloads = 0;
  for (const auto& e : hub().events()) {
    downloads += e.event_name == "GetConfig" && e.builder_name == builder().identity().builder_name;
  }
  const std::size_t runs = unitStartsThisBoot(ssh, image.unit("watchdog").id());
  const double since_boot = secondsSinceBoot(ssh);
  RecordProperty("configuration_downloads", static_cast<int>(downloads));
  RecordProperty("watchdog_runs", static_cast<int>(runs));
  EXPECT_GE(runs_before, 1u) << "the watchdog never ran (it is what starts rbuilder)";
  EXPECT_LE(static_cast<std::int64_t>(runs), watchdog.schedule.maxRunsWithin(since_boot))
      << runs << " watchdog runs in " << since_boot << " s since boot, more than its schedule allows (every "
      << watchdog.schedule.interval_s << " s" << (watchdog.schedule.boot_run ? ", plus one at boot" : "") << ")";
  EXPECT_GE(downloads, 1u) << "the hub served no configuration to " << builder().identity().builder_name;
  const std::size_t most = 1 + (watchdog.downloadsConfiguration() ? runs : 0);
  EXPECT_LE(downloads, most) << "configuration downloads by " << builder().identity().builder_name
                             << ": one at boot plus at most one per watchdog run (" << runs << " runs, "
                             << watchdog.fetches_configuration << ")";
}

TEST_F(ConfigDownload, RenderedFilesHaveTheModesOfTheImageProfile) {
  auto& ssh = builder().ssh();
  EXPECT_EQ(ssh.run("hostname").out, builder().identity().instance_name + "\n");
  for (const auto& file : env().image().rendered_files) {
    auto stat = ssh.run("sudo -n stat -c %a " + e2e::shellQuote(file.path));
    if (!stat.success() && !file.removed_by.empty()) continue;  // its step may remove it (the disk key)
    if (!stat.success()) {
      ADD_FAILURE() << file.path << " was not rendered: " << stat.err;
      continue;
    }
    EXPECT_EQ(std::stoi(stat.out, nullptr, 8), std::stoi(file.mode, nullptr, 8))
        << file.path << " has mode " << stat.out << ", the profile says " << file.mode;
    if (!file.may_be_empty) {
      EXPECT_TRUE(ssh.run("sudo -n test -s " + e2e::shellQuote(file.path)).success()) << file.path << " is empty";
    }
  }
}

TEST_F(ConfigDownload, DataDiskIsEncryptedAndMounted) {
  const DiskProfile& disk = env().image().disk;
  auto& ssh = builder().ssh();
  ssh.run("sudo -n ls " + e2e::shellQuote(disk.mount_point));  // an automount mounts on first access
  auto source = ssh.run("findmnt -n -o SOURCE " + e2e::shellQuote(disk.mount_point));
  ASSERT_TRUE(source.success()) << disk.mount_point << " is not mounted: " << source.err;
  EXPECT_THAT(source.out, HasSubstr("/dev/mapper/" + disk.mapper + "\n"));
  auto status = ssh.run("sudo -n cryptsetup status " + e2e::shellQuote(disk.mapper));
  std::string luks = disk.luks_type;
  std::transform(luks.begin(), luks.end(), luks.begin(), [](unsigned char c) { return std::toupper(c); });
  EXPECT_THAT(status.out, HasSubstr("type:    " + luks));
  EXPECT_THAT(ssh.run("lsblk -n -o TYPE " + e2e::shellQuote("/dev/mapper/" + disk.mapper)).out, HasSubstr("crypt"));
}

TEST_F(ConfigDownload, RenderedFilesCarryTheServedValues) {
  const auto& expected = env().expect.rendered_values;
  if (expected.empty()) GTEST_SKIP() << "environment '" << env().name << "' lists no expect.rendered_values";
  auto served = testbed().servedConfiguration();
  for (const auto& file : expected) {
    RenderedFile rendered{.path = file.file, .text = builder().readFile(file.file)};
    for (const auto& path : file.values) EXPECT_THAT(rendered, CarriesServedValue(served, path));
  }
}

TEST_F(ConfigDownload, CredentialsAreRegisteredAndListedByTheHub) {
  auto identity = builder().identity();
  ASSERT_FALSE(identity.orderflow_signer_address.empty())
      << "the hub lists no orderflow_proxy credentials for " << identity.builder_name;
  EXPECT_THAT(identity.orderflow_signer_address, IsSameAddressAs(builder().reportedOrderflowSigner()))
      << "the hub's orderflow_proxy credentials are not the key the builder's orderflow proxy signs with";
}

TEST_F(ConfigDownload, NoSecretInConsoleJournalOrArtifacts) {
  const auto& secrets = testbed().secrets();
  if (secrets.empty()) GTEST_SKIP() << "the environment's secret values are not known here (attached to a deployment)";
  auto journal_text = builder().ssh().run("sudo -n journalctl -b -o cat --no-pager", 120s).out;
  EXPECT_THAT(secretsIn(journal_text, secrets), ::testing::IsEmpty()) << "secret values in the journal";
  if (!testbed().state().console_path.empty()) {
    std::ifstream in(testbed().state().console_path);
    std::string console((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THAT(secretsIn(console, secrets), ::testing::IsEmpty()) << "secret values on the serial console";
  }
  builder().collectArtifacts();
  std::vector<std::string> leaking;
  for (const auto& root : {e2e::Artifacts::instance().runDir(), testbed().state().artifact_dir}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file() || it->file_size() > (64u << 20)) continue;
      if (it->path().extension() == ".raw" || it->path().extension() == ".qcow2") continue;  // disks: encrypted or public
      std::ifstream in(it->path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!secretsIn(text, secrets).empty()) leaking.push_back(it->path().string());
    }
  }
  EXPECT_THAT(leaking, ::testing::IsEmpty()) << "artifact files holding a secret value";
}

TEST_F(ConfigDownload, UnknownMeasurementGetsNoConfigurationAndTheBuilderNeverStarts) {
  BNET_REQUIRE_MUTATION();
  const ImageProfile& image = env().image();
  const ProfileUnit& download = image.unit("config_download");
  const FailureLine& refused = download.lines.failure(download.name, "fetch");
  auto extra = testbed().startExtraBuilder({.instance_name = "e2e-unknown-measurement", .present_unknown_measurement = true});
  auto& vm = *extra.vm;
  vm.waitForConsoleLine(linePattern(refused.line), e2e::Deadline::after(300s));
  vm.waitForSsh(e2e::Deadline::after(120s));
  auto render = unitState(vm.ssh(), download.id());
  EXPECT_EQ(render.active_state, refused.active_state) << render.describe();
  if (refused.exit_status) {
    EXPECT_EQ(render.exec_main_status, *refused.exit_status) << render.describe();
  }
  auto log = formatJournal(journal(vm.ssh(), {.unit = download.id(), .this_boot = true}));
  EXPECT_THAT(log, ContainsRegex(linePattern(refused.line)));
  EXPECT_THAT(log, Not(ContainsRegex(linePattern(download.lines.success))));
  auto rbuilder = unitState(vm.ssh(), image.unit("rbuilder").id());
  EXPECT_EQ(rbuilder.active_enter_monotonic_usec, 0u) << "rbuilder started: " << rbuilder.describe();
  if (hub().hasEventLog()) {
    for (const auto& e : hub().events()) {
      EXPECT_FALSE(e.event_name == "GetConfig" && e.builder_name == extra.setup->builderName())
          << "the hub served a configuration to an unknown measurement";
    }
  }
}

TEST_F(ConfigDownload, DeactivatedBuilderHasItsRbuilderStoppedByTheWatchdog) {
  BNET_REQUIRE_MUTATION();
  const ImageProfile& image = env().image();
  const std::string rbuilder = image.unit("rbuilder").id();
  const ProfileUnit& watchdog = image.unit("watchdog");
  // Two watchdog periods (with the timer's accuracy) and time for the unit to stop.
  const auto& schedule = image.watchdog.schedule;
  const auto within = std::max<std::chrono::seconds>(
      120s, std::chrono::seconds(2 * (schedule.interval_s + schedule.accuracy_s)) + 60s);
  auto& ssh = builder().ssh();
  const auto name = builder().identity().builder_name;
  waitForUnit(ssh, rbuilder, "active", e2e::Deadline::after(within));
  hub().admin().deactivateBuilder(name);
  try {
    waitForUnit(ssh, rbuilder, "inactive", e2e::Deadline::after(within));
    auto log = formatJournal(journal(ssh, {.unit = watchdog.id(), .this_boot = true}));
    EXPECT_THAT(log, ContainsRegex(linePattern(watchdog.lines.progressLine(watchdog.name, "disabled"))));
  } catch (...) {
    hub().admin().activateBuilder(name);
    throw;
  }
  // Leave the shared builder as it was for the tests after this one.
  hub().admin().activateBuilder(name);
  waitForUnit(ssh, rbuilder, "active", e2e::Deadline::after(within));
  builder().waitForReady(e2e::Deadline::after(180s));
}

}  // namespace
}  // namespace bnet
