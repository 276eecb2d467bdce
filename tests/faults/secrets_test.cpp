// Secrets (issue #10 item 4, issue 15 item 7): values planted into a real run appear nowhere
// the run leaves: not in any file under its artifacts folder, not in its output, not in its
// JUnit XML. Two runs: a GoogleTest child that boots its own twin VM, and the main job's own
// path (`bnet-e2e up`, tests attaching under ctest, `bnet-e2e down`, the finish step, the
// report).
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/twin_image.hpp"
#include "framework/eth/hex.hpp"
#include "framework/process/child_process.hpp"
#include "tests/faults/faults_support.hpp"
#include "tests/support/files.hpp"
#include "framework/fs/fs.hpp"

namespace e2e::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  // The unpadded prefix is enough to recognise an encoding: leave the last partial group out.
  return out;
}

// The lines of text that contain needle (what one step of a ctest run said).
std::string linesWith(const std::string& text, const std::string& needle) {
  std::string out, line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) out += line + "\n";
  }
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Form {
  std::string what;  // "disk_encryption.key as base64 of its bytes"
  std::string text;
};

// The forms a secret could leak in: as given, and for hex keys with and without 0x, upper
// case, and base64 of the bytes; base64 of the text for everything else.
std::vector<Form> formsOf(const std::string& name, const std::string& value) {
  std::vector<Form> forms = {{name, value}};
  std::string digits = value.rfind("0x", 0) == 0 ? value.substr(2) : value;
  bool is_hex = digits.size() >= 32 && digits.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  if (is_hex) {
    forms.push_back({name + " (hex digits)", digits});
    forms.push_back({name + " (0x hex)", "0x" + digits});
    forms.push_back({name + " (upper-case hex)", upper(digits)});
    auto bytes = eth::fromHex(digits, eth::HexPrefix::kOptional);
    forms.push_back({name + " (base64 of its bytes)", base64(std::string(bytes.begin(), bytes.end()))});
  } else if (value.size() >= 12) {
    forms.push_back({name + " (base64)", base64(value)});
  }
  return forms;
}

// "<where>: <which form>" for every form found in text.
void scan(const std::string& where, const std::string& text, const std::vector<Form>& forms,
          std::vector<std::string>& hits) {
  for (const auto& form : forms) {
    if (form.text.size() >= 8 && text.find(form.text) != std::string::npos) hits.push_back(where + ": " + form.what);
  }
}

// ---------------------------------------------------------------------------------------

TEST(Secrets, PlantedValuesAppearNowhereARunLeaves) {
  bnet::BuilderVmConfig probe;
  if (auto why = bnet::BuilderVm::unavailableReason(probe)) GTEST_SKIP() << *why;
  std::string why;
  if (!bnet::findTwinImage(why)) GTEST_SKIP() << why;
  if (auto reason = bnet::L1Devnet::unavailableReason({})) GTEST_SKIP() << *reason;

  TempDir dir("bnet-e2e-faults-secrets");
  const fs::path artifacts = dir.path() / "artifacts";
  const fs::path xml = dir.path() / "junit.xml";
  const fs::path output = dir.path() / "child-output.txt";
  const fs::path secrets_file = dir.path() / "setup-secrets.json";
  // Planted: distinctive values, so a hit cannot be a coincidence.
  const std::string hub_password = "planted-hub-admin-Pw-7f3c9a1e5b";
  const std::string staging_token = "planted-staging-token-c0ffee-91d2e8a4";
  const std::string orderflow_key = "0x8a1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1";
  auto run = runCommand({.name = "secrets-child",
                         .executable = e2e::inBuildTree(FAULTS_SECRETS_CHILD),
                         .args = {"--gtest_output=xml:" + xml.string()},
                         .env = {{"BNET_E2E_ARTIFACTS", artifacts.string()},
                                 {"BNET_E2E_RUN_ID", "secrets"},
                                 {"BNET_E2E_KEEP_ARTIFACTS", "1"},
                                 {"BNET_FAULTS_SECRETS_OUT", secrets_file.string()},
                                 {"BNET_FAULTS_HUB_ADMIN_PASSWORD", hub_password},
                                 {"BNET_FAULTS_ORDERFLOW_KEY", orderflow_key},
                                 // The staging environment's variables: the token is the secret.
                                 {"BNET_STAGING_HUB_ADMIN_PASSWORD", staging_token},
                                 {"BNET_STAGING_EL_RPC_URL", "http://127.0.0.1:9"},
                                 {"BNET_STAGING_BEACON_URL", "http://127.0.0.1:9"},
                                 {"BNET_STAGING_CHAIN_ID", "1337"},
                                 {"BNET_STAGING_HUB_INTERNAL_URL", "http://127.0.0.1:9"},
                                 {"BNET_STAGING_VM_HOST", "127.0.0.1"},
                                 {"BNET_STAGING_VM_KNOWN_HOSTS", (dir.path() / "known_hosts").string()},
                                 {"BNET_STAGING_INSTANCE_NAME", "staging-builder"}},
                         .unset_env = {"BNET_E2E_STATE", "BNET_E2E_ENV"},
                         .log_path = output},
                        Deadline::after(1200s));
  const std::string said = quoted(run.output);
  ASSERT_EQ(run.status.describe(), "exited with code 1") << "both child tests fail on purpose:\n" << said;
  ASSERT_THAT(said, HasSubstr("2 FAILED TESTS"));
  ASSERT_THAT(said, Not(HasSubstr("[  skipped ]"))) << "the VM run must really happen";
  ASSERT_TRUE(fs::exists(secrets_file)) << "the child did not export its setup's secrets";
  struct stat st{};
  ASSERT_EQ(::stat(secrets_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::vector<Form> forms;
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"hub admin password", hub_password}, {"staging token", staging_token}, {"orderflow signer key", orderflow_key}}) {
    auto f = formsOf(name, value);
    forms.insert(forms.end(), f.begin(), f.end());
  }
  int setup_secrets = 0;
  for (const auto& s : nlohmann::json::parse(readFile(secrets_file))) {
    auto f = formsOf(s.at("name").get<std::string>(), s.at("value").get<std::string>());
    forms.insert(forms.end(), f.begin(), f.end());
    ++setup_secrets;
  }
  ASSERT_GE(setup_secrets, 5) << "disk key, coinbase and relay keys, the configuration";
  RecordProperty("secret_forms_checked", std::to_string(forms.size()));

  std::vector<std::string> hits;
  int files = 0;
  std::uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(artifacts)) {
    if (!entry.is_regular_file()) continue;
    // The VM's data disk is LUKS2 (the key is not stored there) and scanned like any file.
    const std::string content = readFile(entry.path());
    scan(entry.path().string(), content, forms, hits);
    ++files;
    bytes += content.size();
  }
  scan("the child's stdout/stderr", run.output, forms, hits);
  scan("the JUnit XML", readFile(xml), forms, hits);
  RecordProperty("artifact_files_scanned", std::to_string(files));
  std::cout << fmt::format("scanned {} artifact files ({} bytes), the output ({} bytes) and the JUnit XML for {} forms\n",
                           files, bytes, run.output.size(), forms.size());
  EXPECT_GE(files, 10) << "the run left too little to be a meaningful scan";
  EXPECT_TRUE(hits.empty()) << "planted secrets found:\n" << ::testing::PrintToString(hits);
  // The failure paths really ran: the listener printed log tails, and the child printed the
  // token to its log (masked there now).
  EXPECT_THAT(said, HasSubstr("[ ARTIFACTS ]"));
  EXPECT_THAT(said, HasSubstr("token is "));
  EXPECT_TRUE(nothingLeftRunning());
}


// Every file under root, scanned; returns how many.
int scanTree(const fs::path& root, const std::vector<Form>& forms, std::vector<std::string>& hits) {
  int files = 0;
  std::error_code ec;
  if (!fs::exists(root, ec)) return 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_symlink() || !entry.is_regular_file()) continue;
    scan(entry.path().string(), readFile(entry.path()), forms, hits);
    ++files;
  }
  return files;
}

// The main job's path (tools/main-job.sh): ctest brings the environment up (bnet-e2e up, the
// holder), runs tests that attach to it (a real suite; a child that fails with a secret in its
// assertion and in a child's log; a child that ctest's timeout kills, so that it never
// redacts), brings it down, writes its JUnit; then the finish step (tools/finish-run.sh:
// redaction, the summary, junit.xml and the report).
TEST(Secrets, PlantedValuesAppearNowhereTheMainJobLeaves) {
  bnet::BuilderVmConfig probe;
  if (auto why = bnet::BuilderVm::unavailableReason(probe)) GTEST_SKIP() << *why;
  std::string why;
  if (!bnet::findTwinImage(why)) GTEST_SKIP() << why;
  if (auto reason = bnet::L1Devnet::unavailableReason({})) GTEST_SKIP() << *reason;
  auto ctest = findProgram("ctest");
  if (!ctest) GTEST_SKIP() << "ctest is not on PATH";

  TempDir dir("bnet-e2e-faults-main-job-secrets");
  // A build folder as the finish step sees it: bin/bnet-e2e, e2e-state/, the ctest file.
  const fs::path build = dir.path() / "build";
  const fs::path state = build / "e2e-state" / "environment.json";
  const fs::path artifacts = dir.path() / "artifacts";
  const fs::path run_dir = artifacts / "main-job";
  const fs::path secrets_file = dir.path() / "testbed-secrets.json";
  fs::create_directories(build / "bin");
  fs::create_directories(state.parent_path());
  fs::create_symlink(e2e::inBuildTree(BNET_E2E_PROGRAM), build / "bin" / "bnet-e2e");
  const std::string hub_password = "planted-main-job-hub-Pw-4e8d2b7a91";
  const std::map<std::string, std::string> env = {{"BNET_E2E_ARTIFACTS", artifacts.string()},
                                                  {"BNET_E2E_RUN_ID", "main-job"},
                                                  {"BNET_E2E_ENV", "local"},
                                                  {"BNET_E2E_STATE_DIR", (dir.path() / "state").string()},
                                                  {"BNET_E2E_LOCAL_HUB_PASSWORD", hub_password},
                                                  {"BNET_FAULTS_SECRETS_OUT", secrets_file.string()}};
  auto quote = [](const fs::path& p) { return "[==[" + p.string() + "]==]"; };
  {
    std::ofstream tests(build / "CTestTestfile.cmake");
    tests << fmt::format("add_test(E2eEnvironment.Up {} up --stop-with-parent --state {})\n", quote(e2e::inBuildTree(BNET_E2E_PROGRAM)), quote(state))
          << "set_tests_properties(E2eEnvironment.Up PROPERTIES FIXTURES_SETUP e2e_env TIMEOUT 1500)\n"
          << fmt::format("add_test(ConfigDownload {} --gtest_filter=ConfigDownload.ConfigurationWasFetchedOnceAndRendered)\n",
                         quote(e2e::inBuildTree(CONFIG_DOWNLOAD_SUITE)))
          << fmt::format("add_test(MainJobChild.Fails {} --gtest_filter=MainJobChild.Fails*)\n", quote(e2e::inBuildTree(FAULTS_MAIN_JOB_CHILD)))
          << fmt::format("add_test(MainJobChild.Killed {} --gtest_filter=MainJobChild.Killed*)\n", quote(e2e::inBuildTree(FAULTS_MAIN_JOB_CHILD)))
          << "set_tests_properties(ConfigDownload MainJobChild.Fails MainJobChild.Killed PROPERTIES FIXTURES_REQUIRED e2e_env "
          << fmt::format("ENVIRONMENT BNET_E2E_STATE={} TIMEOUT 600)\n", state.string())
          << "set_tests_properties(MainJobChild.Killed PROPERTIES TIMEOUT 60)\n"
          << fmt::format("add_test(E2eEnvironment.Down {} down --state {})\n", quote(e2e::inBuildTree(BNET_E2E_PROGRAM)), quote(state))
          << "set_tests_properties(E2eEnvironment.Down PROPERTIES FIXTURES_CLEANUP e2e_env TIMEOUT 300)\n";
  }
  const fs::path junit = build / "e2e-junit.xml";
  auto ran = runCommand({.name = "ctest",
                         .executable = *ctest,
                         .args = {"--test-dir", build.string(), "--output-on-failure", "--output-junit", junit.string()},
                         .env = env,
                         .unset_env = {"BNET_E2E_STATE"},
                         .log_path = dir.path() / "ctest-output.txt"},
                        Deadline::after(1400s));
  const std::string said = quoted(ran.output);
  ASSERT_FALSE(ran.status.success()) << "the children fail on purpose:\n" << said;
  ASSERT_THAT(said, ::testing::ContainsRegex("E2eEnvironment.Up \\.+ +Passed")) << said;
  ASSERT_THAT(said, ::testing::ContainsRegex("ConfigDownload \\.+")) << "the suite ran attached:\n" << said;
  ASSERT_THAT(said, ::testing::ContainsRegex("MainJobChild.Fails \\.+\\*+Failed")) << said;
  ASSERT_THAT(said, ::testing::ContainsRegex("MainJobChild.Killed \\.+\\*+Timeout")) << said;
  ASSERT_THAT(said, ::testing::ContainsRegex("E2eEnvironment.Down \\.+ +Passed")) << said;
  EXPECT_THAT(said, HasSubstr("[REDACTED]")) << "the failure message quoted the secret, masked";
  ASSERT_TRUE(fs::exists(secrets_file)) << "the child did not export the testbed's secrets";

  std::vector<Form> forms = formsOf("hub admin password", hub_password);
  int testbed_secrets = 0;
  for (const auto& value : nlohmann::json::parse(readFile(secrets_file))) {
    auto f = formsOf(fmt::format("testbed secret {}", testbed_secrets++), value.get<std::string>());
    forms.insert(forms.end(), f.begin(), f.end());
  }
  ASSERT_GE(testbed_secrets, 5) << "disk key, coinbase and relay keys, the configuration, the hub password";
  RecordProperty("secret_forms_checked", std::to_string(forms.size()));

  // Before the finish step: the holder redacted its logs at down, and down the files of the
  // test that ctest killed.
  std::vector<std::string> hits;
  const int files_after_down = scanTree(run_dir, forms, hits);
  EXPECT_TRUE(hits.empty()) << "after `bnet-e2e down`:\n" << ::testing::PrintToString(hits) << "\ndown said (ctest's LastTest.log):\n"
                            << linesWith(readFile(build / "Testing" / "Temporary" / "LastTest.log"), "down: ");
  EXPECT_GE(files_after_down, 10) << "the run left too little to be a meaningful scan";
  // What down keeps for the finish step (the state is gone by then), and what it takes away.
  fs::path redaction = state;
  redaction += ".redact";
  struct stat st{};
  ASSERT_EQ(::stat(redaction.c_str(), &st), 0) << "down left no redaction file " << redaction;
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto finish = runCommand({.name = "finish-run",
                            .executable = e2e::inSourceTree("tools/finish-run.sh"),
                            .args = {build.string(), junit.string(), "main job"},
                            .env = env,
                            .log_path = dir.path() / "finish-output.txt"},
                           Deadline::after(300s));
  // The children failed on purpose, so the summary (the finish step's status) fails the run.
  EXPECT_EQ(finish.status.describe(), "exited with code 1") << finish.output;
  EXPECT_THAT(finish.output, HasSubstr("summary: 3 passed, 2 failed, 0 skipped")) << finish.output;
  EXPECT_THAT(finish.output, HasSubstr("redact: redacted")) << finish.output;
  EXPECT_TRUE(fs::exists(run_dir / "junit.xml"));
  EXPECT_TRUE(fs::exists(run_dir / "report.html")) << finish.output;

  hits.clear();
  const int files = scanTree(run_dir, forms, hits) + scanTree(build, forms, hits) + scanTree(dir.path() / "state", forms, hits);
  scan("ctest's output", ran.output, forms, hits);
  scan("the finish step's output", finish.output, forms, hits);
  RecordProperty("files_scanned", std::to_string(files));
  std::cout << fmt::format("scanned {} files, ctest's output ({} bytes) and the finish step's ({} bytes) for {} forms\n",
                           files, ran.output.size(), finish.output.size(), forms.size());
  EXPECT_TRUE(hits.empty()) << "planted secrets found:\n" << ::testing::PrintToString(hits);
  EXPECT_FALSE(fs::exists(state)) << "down removed the state";
  EXPECT_FALSE(fs::exists(redaction)) << "the finish step removed the redaction file";
  EXPECT_TRUE(nothingLeftRunning());
}

}  // namespace
}  // namespace e2e::testing
