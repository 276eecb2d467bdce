// Run by Secrets.PlantedValuesAppearNowhereARunLeaves; not registered with CTest. A real run
// with planted secrets that logs a lot and fails on purpose:
// - a twin VM booted through the local devnet and hub (the hub's admin password planted,
//   BNET_FAULTS_HUB_ADMIN_PASSWORD; the configuration download carries the disk key and the
//   builder's keys into the VM), signed orderflow with a planted signer key
//   (BNET_FAULTS_ORDERFLOW_KEY), journals and artifacts collected, then a wait that times out;
// - the staging environment loaded with a planted token (BNET_STAGING_HUB_ADMIN_PASSWORD) and
//   a child process that prints it, then a failed assertion.
// The secrets LocalBuilderSetup makes are written to BNET_FAULTS_SECRETS_OUT (outside the
// artifacts folder, mode 0600) so that the parent knows what to look for.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "fixtures/environment/environment.hpp"
#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/orderflow/orderflow.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/process/child_process.hpp"

namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

void writeSecretsFile(const std::vector<bnet::LocalBuilderSetup::Secret>& secrets) {
  const std::string path = env("BNET_FAULTS_SECRETS_OUT");
  if (path.empty()) return;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : secrets) out.push_back({{"name", s.name}, {"value", s.value}});
  {
    std::ofstream file(path + ".tmp");
    file << out.dump();
  }
  ::chmod((path + ".tmp").c_str(), 0600);
  std::rename((path + ".tmp").c_str(), path.c_str());
}

TEST(SecretsChild, VmRunWithPlantedSecretsFailsOnPurpose) {
  bnet::BuilderVmConfig probe;
  if (auto why = bnet::BuilderVm::unavailableReason(probe)) GTEST_SKIP() << *why;
  std::string why;
  auto image = bnet::findTwinImage(why);
  if (!image) GTEST_SKIP() << why;
  auto devnet = bnet::L1Devnet::start({});
  auto hub = bnet::BuilderHub::start({.admin_password = env("BNET_FAULTS_HUB_ADMIN_PASSWORD")});
  auto setup = bnet::LocalBuilderSetup::start(hub, devnet, *image, {.instance_name = "e2e-secrets"});
  writeSecretsFile(setup.secrets());
  auto vm = bnet::BuilderVm::start(setup.vmConfig({.name = "secrets", .powerdown_grace = 10s}));
  vm.waitForReady(e2e::Deadline::after(600s));

  bnet::Orderflow orderflow({.user_url = vm.httpsUrl(),
                             .execution = &devnet.execution(),
                             .signer = e2e::eth::PrivateKey::fromHex(env("BNET_FAULTS_ORDERFLOW_KEY"))});
  const auto& sender = e2e::eth::prefundedAccount(7);
  auto reply = orderflow.send(orderflow.makeTransaction(
      e2e::eth::transfer(sender, e2e::eth::prefundedAccount(9).address, e2e::eth::U256(1))));
  std::cout << "orderflow: " << reply.describe() << "\n";
  for (const char* unit : {"render-config", "persistent-setup", "flowproxy", "rbuilder-operator"}) {
    auto journal = vm.ssh().run(fmt::format("sudo -n journalctl -b -u {} -o cat --no-pager", unit), 60s);
    std::cout << "journal of " << unit << ": " << journal.out.size() << " bytes\n";
  }
  vm.collectArtifacts();
  // Fails on purpose: the timeout's message quotes the console, and the listener prints the
  // tail of every log the test wrote (hub, gateway, devnet, console, SSH).
  vm.waitForConsoleLine("a line this VM never prints", e2e::Deadline::after(3s));
}

TEST(SecretsChild, StagingTokenFromTheEnvironmentFailsOnPurpose) {
  // As Environment::current() does for the run's environment: environment.json, resolved,
  // with the secrets masked, in the artifacts.
  auto staging = bnet::Environment::load(std::filesystem::path(env("BNET_E2E_SOURCE_DIR")) / "environments" / "staging.json");
  e2e::Artifacts::instance().writeFile("environment.json", staging.resolved_redacted.dump(2));
  std::cout << "loaded environment " << staging.name << "\n";
  auto chatty = e2e::ChildProcess::start(
      {.name = "chatty-staging-client",
       .executable = "sh",
       .args = {"-c", "echo \"token is $BNET_STAGING_HUB_ADMIN_PASSWORD\"; env | grep '^BNET_' | sort"}});
  auto status = chatty.wait(e2e::Deadline::after(30s));
  ADD_FAILURE() << "fails on purpose after a child printed the token (" << status.describe()
                << "); its log tail follows:\n"
                << chatty.logTail(20);
}

}  // namespace
