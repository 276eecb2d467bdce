// Secrets policy (issue #10 item 4): the hub stand-in's admin API needs credentials unless
// its config disables auth explicitly; a staging run refuses a mutating test even when it is
// selected by name.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "framework/http/http_client.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "tests/faults/faults_support.hpp"
#include "tests/ssh/sshd_server.hpp"
#include "tests/support/files.hpp"
#include "framework/fs/fs.hpp"

namespace e2e::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------

TEST(HubAdminAuth, RequiredEvenWhenTheTestProcessHasDisableAdminAuthSet) {
  ::setenv("DISABLE_ADMIN_AUTH", "true", 1);  // a stray variable must not turn auth off
  std::optional<bnet::BuilderHub> started;
  try {
    started.emplace(bnet::BuilderHub::start({}));
  } catch (...) {
    ::unsetenv("DISABLE_ADMIN_AUTH");
    throw;
  }
  ::unsetenv("DISABLE_ADMIN_AUTH");
  auto& hub = *started;
  auto admin = hub.admin();
  const std::string body = R"({"name":"b1","ip_address":"10.0.2.15","network":"e2e"})";
  auto anonymous = admin.sendAs(std::nullopt, "POST", "/api/admin/v1/builders", body);
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  auto wrong = admin.sendAs(std::make_pair(hub.adminUser(), std::string("not-the-password")), "POST",
                            "/api/admin/v1/builders", body);
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  auto right = admin.send("POST", "/api/admin/v1/builders", body);
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_THAT(hub.logText(), Not(HasSubstr("ADMIN AUTH DISABLED")));
  started.reset();
  EXPECT_TRUE(nothingLeftRunning());
}

TEST(HubAdminAuth, DisabledOnlyByAnExplicitSettingAndThenSaidLoudly) {
  {
    auto hub = bnet::BuilderHub::start({.disable_admin_auth = true});
    auto anonymous = hub.admin().sendAs(std::nullopt, "POST", "/api/admin/v1/builders",
                                        R"({"name":"b1","ip_address":"10.0.2.15","network":"e2e"})");
    EXPECT_EQ(anonymous.status, 200) << anonymous.body;
    EXPECT_THAT(hub.logText(), HasSubstr("ADMIN AUTH DISABLED! DO NOT USE IN PRODUCTION"));
  }
  EXPECT_TRUE(nothingLeftRunning());
}

// ---------------------------------------------------------------------------------------
// A staging run with a mutating test selected by name: the staging environment's variables
// point at loopback stand-ins (devnet, hub, a real sshd, a /readyz server), so the testbed
// comes up, and the test must be skipped with the reason, never executed.

TEST(StagingRun, RefusesAMutatingTestSelectedByName) {
  if (auto why = bnet::L1Devnet::unavailableReason({})) GTEST_SKIP() << *why;
  if (!fs::exists("/usr/sbin/sshd")) GTEST_SKIP() << "/usr/sbin/sshd is missing (Debian package openssh-server)";
  {
    TempDir dir("bnet-e2e-faults-staging");
    auto devnet = bnet::L1Devnet::start({});
    auto hub = bnet::BuilderHub::start({});
    auto key = ensureSshKey(dir.path() / "key" / "id_ed25519");
    auto sshd = SshdServer::start({.dir = dir.path() / "sshd", .authorized_key = key.public_key_openssh});
    {
      std::string host_key = readFile(sshd.hostKeyPath().string() + ".pub");
      host_key = host_key.substr(0, host_key.find_last_of(' '));  // type and key, no comment
      std::ofstream(dir.path() / "known_hosts") << fmt::format("[127.0.0.1]:{} {}\n", sshd.port(), host_key);
    }
    // The builder's HAProxy: /readyz and /livez answer 200.
    httplib::Server https_standin;
    https_standin.Get("/readyz", [](const httplib::Request&, httplib::Response& res) { res.set_content("OK\n", "text/plain"); });
    https_standin.Get("/livez", [](const httplib::Request&, httplib::Response& res) { res.set_content("OK\n", "text/plain"); });
    const int https_port = https_standin.bind_to_any_port("127.0.0.1");
    std::thread server([&] { https_standin.listen_after_bind(); });
    struct Join {
      httplib::Server& s;
      std::thread& t;
      ~Join() {
        s.stop();
        if (t.joinable()) t.join();
      }
    } join{https_standin, server};

    const auto& sender = eth::prefundedAccount(7);  // the mutating test's first transaction comes from it
    const auto nonce_before = devnet.execution().getTransactionCount(sender.address, "latest");
    const fs::path xml = dir.path() / "junit.xml";
    const std::string test = "RelayBids.RelayReceivedBidsFromTheBuilderForRecentSlots";
    const auto& l1 = devnet.endpoints();
    auto run = runCommand({.name = "relay-bids-suite-on-staging",
                           .executable = e2e::inBuildTree(RELAY_BIDS_SUITE),
                           .args = {"--gtest_filter=" + test, "--gtest_output=xml:" + xml.string()},
                           .env = {{"BNET_E2E_ENV", "staging"},
                                   {"BNET_E2E_ARTIFACTS", (dir.path() / "artifacts").string()},
                                   {"BNET_STAGING_EL_RPC_URL", l1.el_url},
                                   {"BNET_STAGING_BEACON_URL", l1.beacon_url},
                                   {"BNET_STAGING_RELAY_URL", l1.relay_url},
                                   {"BNET_STAGING_CHAIN_ID", std::to_string(devnet.chainId())},
                                   {"BNET_STAGING_SLOT_SECONDS", std::to_string(devnet.slotSeconds())},
                                   {"BNET_STAGING_HUB_URL", hub.instanceUrl()},
                                   {"BNET_STAGING_HUB_INTERNAL_URL", hub.internalUrl()},
                                   {"BNET_STAGING_HUB_ADMIN_PASSWORD", "planted-staging-token-5e1f"},
                                   {"BNET_STAGING_VM_HOST", "127.0.0.1"},
                                   {"BNET_STAGING_VM_SSH_PORT", std::to_string(sshd.port())},
                                   {"BNET_STAGING_VM_SSH_USER", "root"},
                                   {"BNET_STAGING_VM_SSH_KEY", key.private_key.string()},
                                   {"BNET_STAGING_VM_KNOWN_HOSTS", (dir.path() / "known_hosts").string()},
                                   {"BNET_STAGING_VM_HTTPS_URL", fmt::format("http://127.0.0.1:{}", https_port)},
                                   {"BNET_STAGING_INSTANCE_NAME", "staging-builder"}},
                           .unset_env = {"BNET_E2E_STATE"},
                           .log_path = dir.path() / "suite-output.txt"},
                          Deadline::after(300s));
    // 77: the test program's "a test skipped" code (ctest's SKIP_RETURN_CODE), never 0.
    EXPECT_EQ(run.status.describe(), "exited with code 77") << quoted(run.output);
    const std::string output = quoted(run.output);
    EXPECT_THAT(output, HasSubstr("[  skipped ] " + test));
    EXPECT_THAT(output, HasSubstr(": Skipped\nenvironment 'staging' is staging: mutating "
                                      "tests run only in dev environments"))
        << "skipped by BNET_REQUIRE_MUTATION, after the testbed came up";
    EXPECT_THAT(readFile(xml), HasSubstr(R"(result="skipped")"));
    EXPECT_EQ(devnet.execution().getTransactionCount(sender.address, "latest"), nonce_before)
        << "the mutating test sent its transaction";
    sshd.stop();
  }
  EXPECT_TRUE(nothingLeftRunning());
}

}  // namespace
}  // namespace e2e::testing
