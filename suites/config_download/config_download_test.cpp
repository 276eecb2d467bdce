// The builder fetched its configuration once through its attested channel, rendered it,
// unlocked its encrypted disk, registered its credentials, and leaked no secret; a builder
// with an unknown measurement gets nothing, and a deactivated one stops building.
#include <fstream>
#include <sstream>

#include "fixtures/ssh/systemd.hpp"
#include "fixtures/testbed/testbed_test.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/ssh/shell.hpp"

namespace bnet {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
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

TEST_F(ConfigDownload, ConfigurationWasFetchedOnceAndRendered) {
  if (hub().hasEventLog()) {
    int downloads = 0;
    for (const auto& e : hub().events()) downloads += e.event_name == "GetConfig" && e.builder_name == builder().identity().builder_name;
    EXPECT_EQ(downloads, 1) << "configuration downloads by " << builder().identity().builder_name;
  }
  auto& ssh = builder().ssh();
  EXPECT_EQ(ssh.run("hostname").out, builder().identity().instance_name + "\n");
  for (const auto& file : env().expect.rendered_files) {
    EXPECT_TRUE(ssh.run("sudo -n test -s " + e2e::shellQuote(file)).success()) << file << " was not rendered";
  }
  auto log = journal(ssh, {.unit = "render-config.service", .this_boot = true});
  EXPECT_THAT(formatJournal(log), HasSubstr("All templates rendered successfully."));
}

TEST_F(ConfigDownload, DataDiskIsEncryptedAndMounted) {
  auto& ssh = builder().ssh();
  auto source = ssh.run("findmnt -n -o SOURCE /var/lib/persistent");
  ASSERT_TRUE(source.success()) << "/var/lib/persistent is not mounted: " << source.err;
  EXPECT_EQ(source.out, "/dev/mapper/persistent\n");
  auto status = ssh.run("sudo -n cryptsetup status persistent");
  EXPECT_THAT(status.out, HasSubstr("type:    LUKS2"));
  EXPECT_THAT(ssh.run("lsblk -n -o TYPE /dev/mapper/persistent").out, HasSubstr("crypt"));
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
  auto extra = testbed().startExtraBuilder({.instance_name = "e2e-unknown-measurement", .present_unknown_measurement = true});
  auto& vm = *extra.vm;
  vm.waitForConsoleLine("Failed to fetch configuration\\.", e2e::Deadline::after(300s));
  vm.waitForSsh(e2e::Deadline::after(120s));
  auto render = unitState(vm.ssh(), "render-config.service");
  EXPECT_EQ(render.active_state, "failed") << render.describe();
  auto rbuilder = unitState(vm.ssh(), "rbuilder-operator.service");
  EXPECT_EQ(rbuilder.active_enter_monotonic_usec, 0u) << "rbuilder-operator started: " << rbuilder.describe();
  if (hub().hasEventLog()) {
    for (const auto& e : hub().events()) {
      EXPECT_FALSE(e.event_name == "GetConfig" && e.builder_name == extra.setup->builderName())
          << "the hub served a configuration to an unknown measurement";
    }
  }
}

TEST_F(ConfigDownload, DeactivatedBuilderHasItsRbuilderStoppedByTheWatchdog) {
  BNET_REQUIRE_MUTATION();
  auto& ssh = builder().ssh();
  const auto name = builder().identity().builder_name;
  waitForUnit(ssh, "rbuilder-operator.service", "active", e2e::Deadline::after(120s));
  hub().admin().deactivateBuilder(name);
  try {
    waitForUnit(ssh, "rbuilder-operator.service", "inactive", e2e::Deadline::after(120s));
    auto watchdog = formatJournal(journal(ssh, {.unit = "config-watchdog.service", .this_boot = true}));
    EXPECT_THAT(watchdog, HasSubstr("rbuilder-status-watchdog: rbuilder was disabled in BuilderHub, service stopped"));
  } catch (...) {
    hub().admin().activateBuilder(name);
    throw;
  }
  // Leave the shared builder as it was for the tests after this one.
  hub().admin().activateBuilder(name);
  waitForUnit(ssh, "rbuilder-operator.service", "active", e2e::Deadline::after(120s));
  builder().waitForReady(e2e::Deadline::after(180s));
}

}  // namespace
}  // namespace bnet
