// bnet-e2e measure and bnet-e2e hub allow, end to end: the real program against the
// stand-in, then a VM's request through an attestation gateway.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <fstream>

#include "fixtures/hub/builder_config.hpp"
#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/hub/hub_matchers.hpp"
#include "fixtures/hub/twin_measurement.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class BnetE2eCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("bnet-e2e-cli-test-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "twin");
    cli_ = findProjectProgram("bnet-e2e", {}, "BNET_E2E_CLI");
    write("twin/vmlinuz", "kernel");
    write("twin/initrd.img", "initrd");
    write("twin/rootfs.qcow2", "rootfs");
    write("twin/manifest.json", R"({"cmdline": "console=ttyS0 root=LABEL=twin"})");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& name, const std::string& text) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out << text;
  }
  e2e::CommandResult run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return e2e::runCommand({.name = "bnet-e2e", .executable = cli_, .args = std::move(args), .env = std::move(env),
                            .unset_env = {"BNET_HUB_ADMIN_PASSWORD"}, .log_path = dir_ / fmt::format("cli-{}.log", runs_++)},
                           e2e::Deadline::after(30s));
  }
  // `bnet-e2e measure` output, as JSON.
  nlohmann::json measure(const std::string& image) {
    auto r = run({"measure", (dir_ / image).string()});
    EXPECT_TRUE(r.status.success()) << r.output;
    return nlohmann::json::parse(r.output);
  }
  // `check_config` false: --no-config-check, for the tests whose secrets are toy documents.
  e2e::CommandResult allow(const BuilderHub& hub, const std::string& measurement_file, const std::string& builder_file,
                           const std::string& kind = "dev", bool check_config = false) {
    std::vector<std::string> args{"hub", "allow", "--measurement", (dir_ / measurement_file).string(), "--builder",
                                  (dir_ / builder_file).string(), "--admin-url", hub.adminUrl(), "--internal-url",
                                  hub.internalUrl(), "--environment-kind", kind};
    if (!check_config) args.push_back("--no-config-check");
    return run(args, {{"BNET_HUB_ADMIN_PASSWORD", hub.adminPassword()}});
  }

  fs::path dir_;
  fs::path cli_;
  int runs_ = 0;
};

TEST_F(BnetE2eCli, MeasureGivesTheSameJsonForTheSameImageOnly) {
  auto first = measure("twin");
  EXPECT_EQ(first, measure("twin"));
  EXPECT_EQ(first.at("attestation_type"), "bnet-twin");
  ASSERT_EQ(first.at("measurements").size(), 5u);
  EXPECT_EQ(first, measureTwinImage(TwinImage::open(dir_ / "twin")).toJson()) << "the CLI and the library agree";
  write("twin/vmlinuz", "kernel2");
  auto changed = measure("twin");
  EXPECT_NE(changed.at("measurements").at("0"), first.at("measurements").at("0"));
  EXPECT_NE(changed.at("measurement_id"), first.at("measurement_id"));
}

TEST_F(BnetE2eCli, MeasurePassesARealMeasurementsFileThroughAfterChecking) {
  const auto record = nlohmann::json::parse(R"({"measurement_id": "buildernet-v2.3.1-azure", "attestation_type": "azure-tdx",
      "measurements": {"4": {"expected": "ea92ff76"}, "11": {"expected_any": ["efa43e0b", "abc123"]}}})");
  write("real.json", record.dump());
  auto ok = run({"measure", "--measurements-file", (dir_ / "real.json").string()});
  ASSERT_TRUE(ok.status.success()) << ok.output;
  EXPECT_EQ(nlohmann::json::parse(ok.output), record);
  write("broken.json", R"({"measurement_id": "x", "attestation_type": "azure-tdx", "measurements": {"4": {"expected": 4}}})");
  auto bad = run({"measure", "--measurements-file", (dir_ / "broken.json").string()});
  EXPECT_EQ(bad.status.describe(), "exited with code 2");
  EXPECT_THAT(bad.output, HasSubstr("broken.json: measurements[\"4\"]: \"expected\" must be a string"));
  auto no_image = run({"measure", (dir_ / "nothing").string()});
  EXPECT_EQ(no_image.status.describe(), "exited with code 2");
  EXPECT_THAT(no_image.output, HasSubstr("not a directory"));
}

TEST_F(BnetE2eCli, AllowThenTheVmGetsExactlyItsSecretsThroughAGateway) {
  auto hub = BuilderHub::start({});
  write("m.json", measure("twin").dump());
  const std::string secrets = "{\"instance_name\": \"twin_1\",\n \"rbuilder\": {\"relay_secret_key\": \"0xfeed\"}}";
  write("secrets.json", secrets);
  write("b.json", R"({"name": "twin_1", "ip_address": "10.0.2.15", "network": "dev",
                      "configuration": {"dns_name": "twin-1"}, "secrets_file": "secrets.json"})");
  auto first = allow(hub, "m.json", "b.json");
  ASSERT_TRUE(first.status.success()) << first.output;
  EXPECT_THAT(first.output, HasSubstr("done     activate builder twin_1"));
  EXPECT_THAT(first.output, Not(HasSubstr("0xfeed"))) << "secrets are never printed";

  auto image = TwinImage::open(dir_ / "twin");
  auto gateway = hub.startGateway(twinIdentity(image, "10.0.2.15"));
  EXPECT_EQ(gateway.builderApi().configuration(), secrets) << "byte for byte";

  auto again = allow(hub, "m.json", "b.json");
  ASSERT_TRUE(again.status.success()) << again.output;
  EXPECT_THAT(again.output, Not(HasSubstr("done "))) << "a second run changes nothing:\n" << again.output;

  write("twin/initrd.img", "another initrd");
  auto changed = hub.startGateway(twinIdentity(TwinImage::open(dir_ / "twin"), "10.0.2.15"));
  EXPECT_THAT(hubOutcomeOf([&] { changed.builderApi().configuration(); }), IsForbiddenWithEmptyBody());
}

TEST_F(BnetE2eCli, AllowRefusesProductionAndAllowAnyOutsideDev) {
  auto hub = BuilderHub::start({});
  write("any.json", R"({"measurement_id": "dev-any", "attestation_type": "test", "measurements": {}})");
  write("exact.json", measure("twin").dump());
  write("b.json", R"({"name": "b1", "ip_address": "10.0.2.15", "network": "dev", "secrets": {}})");
  auto prod = allow(hub, "exact.json", "b.json", "production");
  EXPECT_EQ(prod.status.describe(), "exited with code 3");
  EXPECT_THAT(prod.output, HasSubstr("refusing to write to an environment marked production"));
  auto staging_any = allow(hub, "any.json", "b.json", "staging");
  EXPECT_EQ(staging_any.status.describe(), "exited with code 3");
  EXPECT_THAT(staging_any.output, HasSubstr("only allowed in a dev environment"));
  EXPECT_EQ(hub.admin().activeConfiguration("b1"), std::nullopt) << "nothing was written";
  auto dev_any = allow(hub, "any.json", "b.json", "dev");
  EXPECT_TRUE(dev_any.status.success()) << dev_any.output;
}

TEST_F(BnetE2eCli, AllowTakesTheHubAndItsKindFromAnEnvironmentFile) {
  auto hub = BuilderHub::start({});
  write("m.json", measure("twin").dump());
  write("b.json", R"({"name": "b1", "ip_address": "10.0.2.15", "network": "dev", "secrets": {"k": "v"}})");
  auto envFile = [&](const std::string& name, const std::string& kind, bool staging_safe) {
    nlohmann::json env = {{"name", name}, {"kind", kind}, {"staging_safe_only", staging_safe},
                          {"l1", {{"mode", "local"}}}, {"vm", {{"mode", "twin"}}},
                          {"hub", {{"mode", "attach"}, {"builder_url", hub.instanceUrl()},
                                   {"admin_url", hub.adminUrl()}, {"internal_url", hub.internalUrl()},
                                   {"admin_password", "${BNET_TEST_HUB_PASSWORD}"}}}};
    write(name + ".json", env.dump(2));
    return (dir_ / (name + ".json")).string();
  };
  auto with_env = [&](const std::string& file) {
    return run({"hub", "allow", "--measurement", (dir_ / "m.json").string(), "--builder", (dir_ / "b.json").string(),
                "--env", file, "--no-config-check"},
               {{"BNET_TEST_HUB_PASSWORD", hub.adminPassword()}});
  };
  auto prod = with_env(envFile("prod", "production", true));
  EXPECT_EQ(prod.status.describe(), "exited with code 3");
  EXPECT_THAT(prod.output, HasSubstr("marked production"));
  auto dev = with_env(envFile("dev", "dev", false));
  EXPECT_TRUE(dev.status.success()) << dev.output;
  EXPECT_EQ(hub.admin().fullConfiguration("b1"), R"({"k":"v"})");
  auto local = run({"hub", "allow", "--measurement", (dir_ / "m.json").string(), "--builder",
                    (dir_ / "b.json").string(), "--env", "local"});
  EXPECT_EQ(local.status.describe(), "exited with code 2");
  EXPECT_THAT(local.output, HasSubstr("hub.admin_url is empty"));
  auto both = run({"hub", "allow", "--measurement", "m", "--builder", "b", "--env", "local", "--environment-kind", "dev"});
  EXPECT_FALSE(both.status.success());
  EXPECT_THAT(both.output, HasSubstr("excludes")) << "--env and --environment-kind do not go together";
}

TEST_F(BnetE2eCli, AllowReportsTheHubsAnswerToBadInput) {
  auto hub = BuilderHub::start({});
  write("m.json", measure("twin").dump());
  write("bad-ip.json", R"({"name": "b1", "ip_address": "10.0.2", "network": "dev", "secrets": {}})");
  auto bad_ip = allow(hub, "m.json", "bad-ip.json");
  EXPECT_EQ(bad_ip.status.describe(), "exited with code 1");
  EXPECT_THAT(bad_ip.output, HasSubstr("400 failed to convert builder to domain builder (invalid ip address)"));
  write("no-secrets.json", R"({"name": "b1", "ip_address": "10.0.2.15", "network": "dev"})");
  auto no_secrets = allow(hub, "m.json", "no-secrets.json");
  EXPECT_EQ(no_secrets.status.describe(), "exited with code 2");
  EXPECT_THAT(no_secrets.output, HasSubstr("\"secrets\" (or \"secrets_file\") is required"));
  auto wrong_password = run({"hub", "allow", "--measurement", (dir_ / "m.json").string(), "--builder",
                             (dir_ / "bad-ip.json").string(), "--admin-url", hub.adminUrl(), "--environment-kind", "dev",
                             "--no-config-check"},
                            {{"BNET_HUB_ADMIN_PASSWORD", "wrong"}});
  EXPECT_EQ(wrong_password.status.describe(), "exited with code 1");
  // The hub's plain-text answer is quoted (short, never a secret); a JSON body would be counted.
  EXPECT_THAT(wrong_password.output, HasSubstr(": 401 \"Unauthorized\""));
  EXPECT_THAT(wrong_password.output, Not(HasSubstr("wrong")));
}

// The secrets must follow builder-config.md (the schema): the framework's own document goes
// through, byte for byte; the old shape (JSON arrays for TOML text, twin-only keys) is
// refused before anything is written, naming the keys, never the values.
TEST_F(BnetE2eCli, AllowChecksTheSecretsAgainstTheBuilderConfigSchema) {
  auto hub = BuilderHub::start({});
  write("m.json", measure("twin").dump());
  const auto good = nlohmann::json(builderConfiguration(
      {.instance_name = "twin-1",
       .disk_encryption_key = "disk-key-that-is-secret",
       .extra_data = "e2e",
       .coinbase_secret_key = "0x6a4254d9cb2f348290f65002d4e45cb7a447f287ef03ac226a3710ee91c9bc80",
       .relay_secret_key = "0x5eae315483f028b5cdd5d1090ff0c7618b18737ea9bf3c35047189db22835c48",
       .relays = {{.name = "local", .url = "http://10.0.2.2:5555"}}}));
  write("good.json", good.dump());
  write("b.json", R"({"name": "twin_1", "ip_address": "10.0.2.15", "network": "dev", "secrets_file": "good.json"})");
  auto ok = allow(hub, "m.json", "b.json", "dev", true);
  ASSERT_TRUE(ok.status.success()) << ok.output;
  EXPECT_EQ(hub.admin().fullConfiguration("twin_1"), good.dump());

  auto old_shape = good;
  old_shape["rbuilder"]["relays"] = nlohmann::json::array({{{"name", "local"}, {"url", "http://10.0.2.2:5555"}}});
  old_shape["rbuilder"]["el_node_url"] = "http://10.0.2.2:8545";
  write("old.json", old_shape.dump());
  write("b2.json", R"({"name": "twin_2", "ip_address": "10.0.2.16", "network": "dev", "secrets_file": "old.json"})");
  auto refused = allow(hub, "m.json", "b2.json", "dev", true);
  EXPECT_EQ(refused.status.describe(), "exited with code 2");
  EXPECT_THAT(refused.output, HasSubstr("do not follow builder-config.md"));
  EXPECT_THAT(refused.output, HasSubstr("/rbuilder/relays"));
  EXPECT_THAT(refused.output, Not(HasSubstr("disk-key-that-is-secret")));
  EXPECT_EQ(hub.admin().activeConfiguration("twin_2"), std::nullopt) << "nothing was written";
  auto forced = allow(hub, "m.json", "b2.json", "dev", false);
  EXPECT_TRUE(forced.status.success()) << "--no-config-check sends it anyway: " << forced.output;
}

}  // namespace
}  // namespace bnet
