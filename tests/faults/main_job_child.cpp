// Run by Secrets.PlantedValuesAppearNowhereTheMainJobLeaves as a ctest test between
// `bnet-e2e up` and `bnet-e2e down`; not registered with CTest here. Attaches to the running
// environment (BNET_E2E_STATE) like a suite, exports the testbed's secrets to
// BNET_FAULTS_SECRETS_OUT (outside the artifacts, mode 0600) so the parent knows what to look
// for, then leaks them on purpose where only redaction can stop them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "fixtures/testbed/testbed.hpp"
#include "framework/fs/fs.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"

namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The longest secret: the configuration JSON, which holds every key.
const std::string& plantedSecret(const bnet::Testbed& testbed) {
  const auto& secrets = testbed.secrets();
  if (secrets.empty()) throw std::runtime_error("the testbed state has no secrets");
  return *std::max_element(secrets.begin(), secrets.end(),
                           [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
}

// A child that prints the secret to its log (a file in this test's artifacts folder).
e2e::ChildProcess chattyChild(const std::string& secret) {
  return e2e::ChildProcess::start({.name = "chatty-client",
                                   .executable = "sh",
                                   .args = {"-c", "echo \"secret is $PLANTED\"; exec sleep 600"},
                                   .env = {{"PLANTED", secret}}});
}

TEST(MainJobChild, FailsWithTheSecretInItsMessageAndItsLog) {
  auto& testbed = bnet::Testbed::shared();
  const std::string path = env("BNET_FAULTS_SECRETS_OUT");
  ASSERT_FALSE(path.empty()) << "BNET_FAULTS_SECRETS_OUT is not set";
  e2e::writeFileAtomic(path, nlohmann::json(testbed.secrets()).dump(),
                       std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string& secret = plantedSecret(testbed);
  auto chatty = chattyChild(secret);
  e2e::eventually("the chatty child printed", 30s, [&] { return e2e::Attempt::check(!chatty.logText().empty(), "nothing yet"); });
  chatty.stop();
  // Fails on purpose with the secret as an operand: GoogleTest's printer and its XML report
  // must mask it.
  EXPECT_EQ(secret, "the configuration") << "fails on purpose; the child's log: " << chatty.logText();
}

TEST(MainJobChild, KilledByTheCtestTimeoutWithTheSecretInItsLog) {
  auto& testbed = bnet::Testbed::shared();
  auto chatty = chattyChild(plantedSecret(testbed));
  e2e::eventually("the chatty child printed", 30s, [&] { return e2e::Attempt::check(!chatty.logText().empty(), "nothing yet"); });
  std::cout << "waiting for the ctest timeout" << std::endl;
  // ctest kills this process (its TIMEOUT is far shorter): the listener never redacts.
  chatty.wait(e2e::Deadline::after(600s));
  FAIL() << "the ctest timeout should have killed this test";
}

}  // namespace
