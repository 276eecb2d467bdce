// The BuilderHub fixture and clients against the local stand-in: real processes, real HTTP
// over loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/hub/hub_matchers.hpp"
#include "framework/env/selection.hpp"
#include "framework/process/child_process.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

bool canConnect(const std::string& url) {
  auto port = std::stoi(url.substr(url.rfind(':') + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string fileText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The admin sequence for one builder with a {} measurement of its own type.
BuilderIdentity allowSimple(HubAdmin& admin, const std::string& name, const std::string& ip, const std::string& type,
                            const std::string& secrets) {
  admin.addMeasurement({.measurement_id = name + "-m", .attestation_type = type});
  admin.activateMeasurement(name + "-m");
  admin.addBuilder({.name = name, .ip_address = ip, .network = "dev"});
  admin.setConfiguration(name, "{}");
  admin.setSecrets(name, secrets);
  admin.activateBuilder(name);
  return BuilderIdentity{.ip = ip, .attestation_type = type};
}

TEST(HubStandin, StartsOnFreePortsAndReleasesThemOnStop) {
  auto hub = BuilderHub::start({});
  std::vector<std::string> urls = {hub.instanceUrl(), hub.adminUrl(), hub.internalUrl()};
  for (const auto& url : urls) EXPECT_TRUE(canConnect(url)) << url;
  ASSERT_TRUE(hub.logPath().has_value());
  EXPECT_THAT(hub.logText(), HasSubstr("Starting admin HTTP server"));
  hub.stop();
  for (const auto& url : urls) EXPECT_FALSE(canConnect(url)) << url << " still accepts connections after stop()";
}

TEST(HubStandin, BadAdminInputGetsTheRealHubsStatusCodes) {
  auto hub = BuilderHub::start({});
  auto admin = hub.admin();
  EXPECT_THAT(hubOutcomeOf([&] { admin.addBuilder({.name = "b", .ip_address = "300.1.2.3", .network = "dev"}); }),
              IsBadRequestWithError("failed to convert builder to domain builder", "invalid ip address"));
  EXPECT_THAT(hubOutcomeOf([&] { admin.setConfiguration("unknown", "{}"); }), IsServerErrorWithEmptyBody());
  admin.addBuilder({.name = "b", .ip_address = "10.0.2.15", .network = "dev"});
  EXPECT_THAT(hubOutcomeOf([&] { admin.activateBuilder("b"); }),
              IsBadRequest("active config not found: please set config for the builder first"));
  auto raw = admin.send("POST", "/api/admin/v1/builders/activation/b", "");
  EXPECT_EQ(raw.status, 400) << "an empty activation body";
  EXPECT_EQ(raw.body, "{\"message\":\"failed to decode request body\",\"error\":\"EOF\"}\n");
  auto oversized = admin.send("POST", "/api/admin/v1/builders/secrets/b", std::string((1 << 20) + 1, ' '));
  EXPECT_EQ(oversized.status, 413);
}

TEST(HubStandin, WrongPasswordGets401WithTheExactBody) {
  auto hub = BuilderHub::start({});
  HubAdmin wrong({.admin_url = hub.adminUrl(), .user = "admin", .password = "not-it"});
  auto outcome = hubOutcomeOf([&] { wrong.addBuilder({.name = "b", .ip_address = "1.2.3.4"}); });
  EXPECT_EQ(outcome.status, 401);
  EXPECT_EQ(outcome.body, "Unauthorized\n");
  EXPECT_THAT(hubOutcomeOf([&] { hub.admin().addBuilder({.name = "b", .ip_address = "1.2.3.4"}); }), Succeeds());
}

TEST(HubStandin, AdminAuthCanBeDisabledWithAWarning) {
  auto hub = BuilderHub::start({.disable_admin_auth = true});
  HubAdmin anyone({.admin_url = hub.adminUrl(), .user = "who", .password = "ever"});
  EXPECT_THAT(hubOutcomeOf([&] { anyone.addBuilder({.name = "b", .ip_address = "1.2.3.4"}); }), Succeeds());
  EXPECT_THAT(hub.logText(), HasSubstr("level=WARN msg=\"ADMIN AUTH DISABLED! DO NOT USE IN PRODUCTION\""));
}

TEST(HubStandin, SecretsNeverAppearInItsLog) {
  auto hub = BuilderHub::start({});
  auto admin = hub.admin();
  const std::string secret_value = "0x5ec2e7000000000000000000000000000000000000000000000000000000c0de";
  const std::string secrets = fmt::format(R"({{"rbuilder":{{"relay_secret_key":"{}"}}}})", secret_value);
  auto id = allowSimple(admin, "b1", "10.0.2.15", "test", secrets);
  EXPECT_EQ(hub.builderApi(id).configuration(), secrets);
  EXPECT_EQ(admin.fullConfiguration("b1"), secrets);
  auto log = fileText(*hub.logPath());
  EXPECT_THAT(log, HasSubstr(fmt::format("secrets for b1 stored ({} bytes)", secrets.size())));
  EXPECT_THAT(log, Not(HasSubstr(secret_value)));
  EXPECT_THAT(log, Not(HasSubstr(hub.adminPassword()))) << "nor the admin password";
}

TEST(HubStandin, EventsRecordDownloadsAndRegistrations) {
  auto hub = BuilderHub::start({});
  auto admin = hub.admin();
  auto id = allowSimple(admin, "b1", "10.0.2.15", "test", "{}");
  auto vm = hub.builderApi(id);
  vm.configuration();
  vm.registerCredentials("rbuilder", ServiceCredentials{.ecdsa_pubkey_address = "0x" + std::string(40, 'a')});
  auto events = hub.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event_name, "GetConfig");
  EXPECT_EQ(events[0].builder_name, "b1");
  EXPECT_EQ(events[0].measurement_id, "b1-m");
  EXPECT_EQ(events[1].event_name, "RegisterCredentials");
  EXPECT_EQ(events[1].service, "rbuilder");
}

TEST(HubStandin, DrainMakesReadyzAnswer503UntilUndrain) {
  auto hub = BuilderHub::start({});
  auto vm = hub.builderApi({.ip = "10.0.2.15"});
  EXPECT_EQ(vm.send("GET", "/readyz").status, 200);
  EXPECT_EQ(vm.send("GET", "/drain").status, 200);
  EXPECT_EQ(vm.send("GET", "/readyz").status, 503);
  EXPECT_EQ(vm.send("GET", "/livez").status, 200);
  EXPECT_EQ(vm.send("GET", "/undrain").status, 200);
  EXPECT_EQ(vm.send("GET", "/readyz").status, 200);
  HubAdmin admin = hub.admin();
  EXPECT_EQ(admin.send("GET", "/livez").status, 404) << "health lives on the instance server only";
}

TEST(HubStandin, AttachedReadOnlyRefusesAdminWrites) {
  auto local = BuilderHub::start({});
  auto attached = BuilderHub::start({.mode = HubMode::kAttach,
                                     .instance_url = local.instanceUrl(),
                                     .admin_url = local.adminUrl(),
                                     .internal_url = local.internalUrl(),
                                     .admin_password = local.adminPassword(),
                                     .read_only = true});
  auto admin = attached.admin();
  try {
    admin.addBuilder({.name = "b", .ip_address = "1.2.3.4"});
    FAIL() << "a read-only hub accepted a write";
  } catch (const HubReadOnlyError& e) {
    EXPECT_THAT(e.what(), HasSubstr("attached read-only; refusing POST /api/admin/v1/builders"));
  }
  EXPECT_EQ(admin.activeConfiguration("b"), std::nullopt) << "reads still work (404: no such builder)";
  EXPECT_TRUE(admin.activeMeasurements().empty());
  EXPECT_THROW(attached.events(), std::logic_error) << "no event log on an attached hub";
  attached.stop();
  EXPECT_TRUE(canConnect(local.instanceUrl())) << "stopping an attached hub must not stop the hub";
}

TEST(HubStandin, AttachToNothingFailsWithTheUrl) {
  try {
    BuilderHub::start({.mode = HubMode::kAttach, .start_timeout = 300ms, .instance_url = "http://127.0.0.1:1"});
    FAIL() << "attached to a port where nothing listens";
  } catch (const HubSetupError& e) {
    EXPECT_THAT(e.what(), HasSubstr("http://127.0.0.1:1/livez"));
  }
}

TEST(HubStandin, ComposeModeSkipsWithoutADockerEngine) {
  auto reason = BuilderHub::unavailableReason({.mode = HubMode::kCompose});
  auto docker = e2e::findProgram("docker");
  bool engine = false;
  if (docker) {
    auto dir = fs::temp_directory_path() / fmt::format("bnet-e2e-hub-docker-{}.log", ::getpid());
    engine = e2e::runCommand({.name = "docker-info", .executable = *docker, .args = {"info"}, .log_path = dir},
                             e2e::Deadline::after(20s)).status.success();
    fs::remove(dir);
  }
  if (engine) {
    EXPECT_EQ(reason, std::nullopt) << "a Docker engine answers here";
  } else {
    ASSERT_TRUE(reason.has_value()) << "no Docker engine, but no skip reason";
    EXPECT_THAT(*reason, HasSubstr("Docker"));
    EXPECT_THROW(BuilderHub::start({.mode = HubMode::kCompose}), HubUnavailable);
  }
  EXPECT_EQ(BuilderHub::unavailableReason({}), std::nullopt) << "local mode needs nothing";
}

TEST(HubStandin, ListensOnLoopbackOnly) {
  auto program = findProjectProgram("bnet-hub-standin", {}, "BNET_HUB_STANDIN");
  auto log = fs::temp_directory_path() / fmt::format("bnet-e2e-hub-standin-{}.log", ::getpid());
  auto result = e2e::runCommand({.name = "standin", .executable = program, .args = {"--listen", "0.0.0.0:0"},
                                 .log_path = log}, e2e::Deadline::after(10s));
  fs::remove(log);
  EXPECT_EQ(result.status.describe(), "exited with code 2");
  EXPECT_THAT(result.output, HasSubstr("--listen '0.0.0.0:0': only loopback addresses"));
}

TEST(HubStandin, EnvironmentFilesSelectTheHub) {
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto local = BuilderHubConfig::fromEnvironment(Environment::load(e2e::resolveEnvironmentPath("local"), none));
  EXPECT_EQ(local.mode, HubMode::kLocal);
  EXPECT_EQ(local.admin_password, "local-hub-admin-password") << "the file's default";
  EXPECT_FALSE(local.read_only);
  auto staging_vars = [](const std::string& name) -> std::optional<std::string> {
    if (name == "BNET_STAGING_HUB_INTERNAL_URL") return "https://hub.staging.example:8082";
    if (name.rfind("BNET_STAGING_", 0) != 0) return std::nullopt;
    if (name.ends_with("_URL")) return "https://x.example";
    if (name.ends_with("_PORT") || name.ends_with("_SECONDS") || name.ends_with("_CHAIN_ID")) return "12";
    return "x";
  };
  auto staging = BuilderHubConfig::fromEnvironment(Environment::load(e2e::resolveEnvironmentPath("staging"), staging_vars));
  EXPECT_EQ(staging.mode, HubMode::kAttach);
  EXPECT_EQ(staging.internal_url, "https://hub.staging.example:8082");
  EXPECT_TRUE(staging.read_only) << "a staging-safe environment is attached read-only";

  auto hub = BuilderHub::start(local);
  EXPECT_EQ(hub.adminPassword(), "local-hub-admin-password");
  EXPECT_THAT(hubOutcomeOf([&] { hub.admin().addBuilder({.name = "b", .ip_address = "1.2.3.4"}); }), Succeeds());
}

TEST(HubStandin, EnvironmentVariablesOverrideTheHub) {
  ::setenv("BNET_HUB_URL", "http://127.0.0.1:18080", 1);
  ::setenv("BNET_HUB_ADMIN_URL", "http://127.0.0.1:18081", 1);
  ::setenv("BNET_HUB_ADMIN_PASSWORD", "pw", 1);
  auto attach = BuilderHubConfig::fromEnvironment();
  ::unsetenv("BNET_HUB_ADMIN_URL");
  auto read_only = BuilderHubConfig::fromEnvironment();
  ::unsetenv("BNET_HUB_URL");
  ::unsetenv("BNET_HUB_ADMIN_PASSWORD");
  auto local = BuilderHubConfig::fromEnvironment();  // the current environment: local
  EXPECT_EQ(attach.mode, HubMode::kAttach);
  EXPECT_EQ(attach.admin_url, "http://127.0.0.1:18081");
  EXPECT_EQ(attach.admin_password, "pw");
  EXPECT_FALSE(attach.read_only);
  EXPECT_TRUE(read_only.read_only) << "no admin URL: read-only";
  EXPECT_EQ(local.mode, HubMode::kLocal);
}

}  // namespace
}  // namespace bnet
