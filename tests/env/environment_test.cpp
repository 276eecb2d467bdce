#include "fixtures/environment/environment.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "framework/env/selection.hpp"
#include "tests/artifacts/run_binary.hpp"
#include "tests/support/error_of.hpp"
#include "framework/fs/fs.hpp"

namespace {

namespace fs = std::filesystem;
using bnet::Environment;
using e2e::testing::readFile;
using e2e::testing::runBinary;
using e2e::testing::TempDir;

const fs::path kEnvDir = e2e::inSourceTree("environments");

e2e::VariableLookup vars(std::map<std::string, std::string> m) {
  return [m](const std::string& name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

const std::map<std::string, std::string> kStagingVars = {
    {"BNET_STAGING_EL_RPC_URL", "https://el.staging.example"},
    {"BNET_STAGING_BEACON_URL", "https://beacon.staging.example"},
    {"BNET_STAGING_CHAIN_ID", "560048"},
    {"BNET_STAGING_HUB_INTERNAL_URL", "https://hub-internal.staging.example"},
    {"BNET_STAGING_HUB_ADMIN_PASSWORD", "staging-admin-pw-9f8e"},
    {"BNET_STAGING_VM_HOST", "builder-1.staging.example"},
    {"BNET_STAGING_VM_KNOWN_HOSTS", "/secrets/known_hosts"},
    {"BNET_STAGING_INSTANCE_NAME", "staging-builder-1"},
};

using e2e::testing::errorOf;

TEST(EnvironmentFiles, LocalLoads) {
  e2e::Redactor redactor;
  Environment env = Environment::load(kEnvDir / "local.json", vars({}), redactor);
  EXPECT_EQ(env.name, "local");
  EXPECT_EQ(env.kind, bnet::EnvironmentKind::kDev);
  EXPECT_EQ(env.l1.mode, bnet::L1Mode::kLocal);
  EXPECT_EQ(env.hub.mode, bnet::HubMode::kLocal);
  EXPECT_EQ(env.vm.mode, bnet::VmMode::kTwin);
  EXPECT_EQ(env.hub.admin_password, "local-hub-admin-password");
  EXPECT_EQ(env.resolved_redacted["hub"]["admin_password"], "[REDACTED]");
  EXPECT_EQ(env.image().name, "twin");
  EXPECT_FALSE(env.staging_safe_only);
  EXPECT_LT(env.expect.boot_budget_seconds, env.expect.ready_wait_seconds) << "the budget can fail";
  ASSERT_FALSE(env.expect.rendered_values.empty());
  EXPECT_EQ(env.expect.rendered_values[0].file, "/etc/hostname");
  EXPECT_EQ(env.expect.rendered_values[0].values, std::vector<std::string>{"instance_name"});
  EXPECT_TRUE(env.must_run_here) << "setup installs all local needs: a skip there is an error";
}

TEST(EnvironmentFiles, PlaygroundLoadsWithThePlaygroundPorts) {
  e2e::Redactor redactor;
  Environment env = Environment::load(kEnvDir / "playground.json", vars({}), redactor);
  EXPECT_EQ(env.l1.mode, bnet::L1Mode::kPlayground);
  EXPECT_EQ(env.l1.chain_id, 1337);
  EXPECT_EQ(env.l1.recipe, "l1");
  EXPECT_EQ(env.l1.playground_program, "builder-playground");
  // `start l1` runs no hub: the pinned compose is started (no URLs to attach to).
  EXPECT_EQ(env.hub.mode, bnet::HubMode::kCompose);
  EXPECT_EQ(env.hub.builder_url, "");
  EXPECT_EQ(env.hub.admin_url, "");
  EXPECT_EQ(env.vm.mode, bnet::VmMode::kImage);
  EXPECT_EQ(env.vm.ssh_port, 2222);
  EXPECT_EQ(env.vm.operator_api_url, "https://127.0.0.1:13535");
  EXPECT_EQ(env.vm.rpc_url, "http://127.0.0.1:18645");
  EXPECT_EQ(env.vm.http_url, "http://127.0.0.1:10080");
  EXPECT_EQ(env.vm.https_url, "https://127.0.0.1:10443");
  EXPECT_EQ(env.expect.extra_data, "Playground VM Builder ⚡🤖");
  EXPECT_EQ(env.expect.instance_name, "playground-vm-builder");
  EXPECT_FALSE(env.must_run_here) << "playground skips with the reason when its prerequisites are absent";
}

TEST(EnvironmentFiles, PlaygroundBuildernetRunsTheMkosiRecipe) {
  e2e::Redactor redactor;
  Environment env = Environment::load(kEnvDir / "playground-buildernet.json",
                                      vars({{"BNET_E2E_PLAYGROUND", "/opt/bp"}, {"BNET_E2E_PLAYGROUND_VM_MIB", "4096"}}), redactor);
  EXPECT_EQ(env.l1.mode, bnet::L1Mode::kPlayground);
  EXPECT_EQ(env.l1.recipe, "buildernet/mkosi");
  EXPECT_TRUE(env.l1.recipe_flags.empty());
  EXPECT_TRUE(env.l1.detached);
  EXPECT_EQ(env.l1.playground_program, "/opt/bp");
  EXPECT_EQ(env.vm.mode, bnet::VmMode::kAttach);
  EXPECT_EQ(env.vm.memory_mib, 4096);
  EXPECT_EQ(env.vm.cpus, 8);
  EXPECT_EQ(env.expect.instance_name, "playground-vm-builder");
}

TEST(EnvironmentFiles, AnEmptyRecipeIsAnErrorNamingTheKey) {
  e2e::Redactor redactor;
  std::string message;
  std::ifstream in(kEnvDir / "playground.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find(R"("recipe": "l1")");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 14, R"("recipe": "")");
  try {
    Environment::fromText(text, "x.json", vars({}), redactor);
  } catch (const std::exception& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("/l1/recipe"), std::string::npos) << message;
}

TEST(EnvironmentFiles, StagingLoadsFromVariables) {
  e2e::Redactor redactor;
  Environment env = Environment::load(kEnvDir / "staging.json", vars(kStagingVars), redactor);
  EXPECT_EQ(env.kind, bnet::EnvironmentKind::kStaging);
  EXPECT_TRUE(env.staging_safe_only);
  EXPECT_FALSE(env.must_run_here);
  EXPECT_EQ(env.l1.mode, bnet::L1Mode::kAttach);
  EXPECT_EQ(env.l1.chain_id, 560048);
  EXPECT_EQ(env.l1.slot_seconds, 12);
  EXPECT_EQ(env.hub.mode, bnet::HubMode::kAttach);
  EXPECT_EQ(env.vm.mode, bnet::VmMode::kAttach);
  EXPECT_EQ(env.vm.ssh_host, "builder-1.staging.example");
  EXPECT_EQ(env.vm.ssh_port, 40192);
  EXPECT_EQ(env.vm.ssh_user, "bnet");
  EXPECT_EQ(env.hub.admin_password, "staging-admin-pw-9f8e");
  EXPECT_EQ(redactor.redact("pw staging-admin-pw-9f8e"), "pw [REDACTED]");
  EXPECT_EQ(env.resolved_redacted.dump().find("staging-admin-pw-9f8e"), std::string::npos);
}

TEST(EnvironmentFiles, StagingWithoutItsVariablesNamesTheFirstOne) {
  e2e::Redactor redactor;
  std::string message = errorOf([&] { Environment::load(kEnvDir / "staging.json", vars({}), redactor); });
  EXPECT_NE(message.find("staging.json: /l1/el_rpc_url: environment variable BNET_STAGING_EL_RPC_URL is not set "
                         "(write ${BNET_STAGING_EL_RPC_URL:-default} to give a default); also not set: "
                         "BNET_STAGING_BEACON_URL at /l1/beacon_url, BNET_STAGING_CHAIN_ID at /l1/chain_id, "
                         "BNET_STAGING_HUB_INTERNAL_URL at /hub/internal_url, BNET_STAGING_VM_HOST at /vm/ssh_host, "
                         "BNET_STAGING_VM_KNOWN_HOSTS at /vm/known_hosts, BNET_STAGING_INSTANCE_NAME at "
                         "/expect/instance_name"),
            std::string::npos)
      << message;
}

class EnvironmentChecks : public ::testing::Test {
 protected:
  std::string loadError(const std::string& text) {
    auto p = tmp_.path() / "e.json";
    std::ofstream(p) << text;
    e2e::Redactor redactor;
    return errorOf([&] { Environment::load(p, vars({}), redactor); });
  }
  std::string file() const { return (tmp_.path() / "e.json").string(); }
  TempDir tmp_;
};

TEST_F(EnvironmentChecks, AttachModesNeedTheirEndpoints) {
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "dev", "l1": {"mode": "attach"}, "hub": {"mode": "local"},
                          "vm": {"mode": "twin"}})"),
            file() + ": /l1/el_rpc_url: required when mode is attach");
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "dev", "l1": {"mode": "local"}, "hub": {"mode": "attach"},
                          "vm": {"mode": "twin"}})"),
            file() + ": /hub/mode: attach needs at least one of builder_url, admin_url, internal_url");
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "dev", "l1": {"mode": "local"}, "hub": {"mode": "local"},
                          "vm": {"mode": "attach", "ssh_host": "h", "ssh_port": 22}})"),
            file() + ": /vm/known_hosts: required to attach over SSH (the builder's host key; no trust on first use)");
}

TEST_F(EnvironmentChecks, ModesAndKindsAreChecked) {
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "prod", "l1": {"mode": "local"}, "hub": {"mode": "local"},
                          "vm": {"mode": "twin"}})"),
            file() + ": /kind: \"prod\" is not one of: dev, staging, production");
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "production", "l1": {"mode": "local"}, "hub": {"mode": "local"},
                          "vm": {"mode": "twin"}})"),
            file() + ": /staging_safe_only: must be true for a production environment");
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "dev", "l1": {"mode": "local"}, "hub": {"mode": "local"},
                          "vm": {"mode": "twin", "memory": 4096}})"),
            file() + ": /vm/memory: unknown key; expected one of: cpus, http_url, https_url, image, known_hosts, "
                     "memory_mib, mode, operator_api_url, orderflow_signature_header, rpc_url, ssh_host, ssh_identity, "
                     "ssh_port, ssh_user");
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "dev", "l1": {"mode": "local"}, "hub": {"mode": "local"},
                          "vm": {"mode": "twin"}, "expect": {"extra_data": "this extra data string is far too long"}})"),
            file() + ": /expect/extra_data: 38 bytes; a block's extraData holds at most 32");
  EXPECT_EQ(loadError(R"({"name": "x", "kind": "dev", "l1": {"mode": "local"}, "hub": {"mode": "local"},
                          "vm": {"mode": "twin"}, "expect": {"boot_budget_seconds": 300, "ready_wait_seconds": 300}})"),
            file() + ": /expect/ready_wait_seconds: 300 s is not longer than boot_budget_seconds (300 s): the budget "
                     "could never fail");
}

// --- selection ---

TEST(EnvironmentFiles, FromTextReadsLikeLoad) {
  std::ifstream in(kEnvDir / "local.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  e2e::Redactor redactor;
  Environment env = Environment::fromText(text, "in-memory/local.json", vars({}), redactor);
  EXPECT_EQ(env.name, "local");
  EXPECT_EQ(env.file, fs::path("in-memory/local.json"));
  EXPECT_EQ(env.resolved_redacted["hub"]["admin_password"], "[REDACTED]");
  EXPECT_EQ(errorOf([&] { Environment::fromText("{", "in-memory/x.json", vars({}), redactor); }).rfind("in-memory/x.json:", 0), 0u);
}

// Found by fuzz_env (tests/fuzz/corpus/env/crash-3d005d0e...): a number beyond the range of a
// double made the JSON parser throw out_of_range, which escaped as a non-EnvFileError.
TEST(EnvironmentFiles, NumberTooLargeForADoubleIsAnEnvFileError) {
  e2e::Redactor redactor;
  try {
    Environment::fromText(R"({"name": "x", "kind": 1e999})", "environments/x.json", vars({}), redactor);
    FAIL() << "no error";
  } catch (const e2e::EnvFileError& e) {
    EXPECT_EQ(e.file(), "environments/x.json");
    EXPECT_NE(std::string(e.what()).find("1e999"), std::string::npos) << e.what();
  }
  EXPECT_THROW(e2e::parseEnvText("[-1e400]", "y.json", vars({})), e2e::EnvFileError);
}

TEST(EnvSelection, TakeEnvFlagStripsItFromArgv) {
  std::vector<std::string> args{"prog", "--gtest_filter=A.*", "--env", "playground", "--gtest_color=no", "--env=x.json"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  auto value = e2e::takeEnvFlag(argc, argv.data());
  EXPECT_EQ(value, "x.json");  // the last one wins
  ASSERT_EQ(argc, 3);
  EXPECT_STREQ(argv[1], "--gtest_filter=A.*");
  EXPECT_STREQ(argv[2], "--gtest_color=no");
  EXPECT_EQ(argv[3], nullptr);
}

TEST(EnvSelection, EnvFlagWithoutValueIsAnError) {
  std::vector<std::string> args{"prog", "--env"};
  std::vector<char*> argv{args[0].data(), args[1].data(), nullptr};
  int argc = 2;
  EXPECT_THROW(e2e::takeEnvFlag(argc, argv.data()), std::invalid_argument);
}

TEST(EnvSelection, NamesResolveInTheEnvironmentsDir) {
  EXPECT_EQ(fs::canonical(e2e::resolveEnvironmentPath("local")), fs::canonical(kEnvDir / "local.json"));
  TempDir tmp;
  auto custom = tmp.path() / "mine.json";
  std::ofstream(custom) << "{}";
  EXPECT_EQ(e2e::resolveEnvironmentPath(custom.string()), custom);
  std::string message = errorOf([] { e2e::resolveEnvironmentPath("nosuchenv"); });
  EXPECT_NE(message.find("environment 'nosuchenv' not found"), std::string::npos) << message;
  EXPECT_NE(message.find("local, playground, playground-buildernet, staging"), std::string::npos) << message;
  EXPECT_NE(errorOf([] { e2e::resolveEnvironmentPath("missing/file.json"); }).find("missing/file.json does not exist"),
            std::string::npos);
}

// Runs env_probe (a test binary with the shared main) and returns its output.
class EnvSelectionProcess : public ::testing::Test {
 protected:
  e2e::testing::BinaryRun probe(std::vector<std::string> args, std::map<std::string, std::optional<std::string>> env) {
    env.emplace("BNET_E2E_ARTIFACTS", tmp_.path().string());
    env.emplace("BNET_E2E_RUN_ID", "run");
    env.emplace("BNET_E2E_ENV", std::nullopt);
    env.emplace("BNET_E2E_ENV_DIR", std::nullopt);
    return runBinary(e2e::inBuildTree(ENV_PROBE), args, env, tmp_.path() / "probe-output.txt", std::chrono::seconds(30));
  }
  TempDir tmp_;
};

TEST_F(EnvSelectionProcess, DefaultsToLocal) {
  auto r = probe({}, {});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("selected=local source=default name=local"), std::string::npos) << r.output;
}

TEST_F(EnvSelectionProcess, EnvVariableSelects) {
  auto r = probe({}, {{"BNET_E2E_ENV", "playground"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("selected=playground source=BNET_E2E_ENV name=playground"), std::string::npos) << r.output;
}

TEST_F(EnvSelectionProcess, FlagWinsOverTheVariableAndIsHiddenFromGoogleTest) {
  auto r = probe({"--gtest_brief=0", "--env", "playground"}, {{"BNET_E2E_ENV", "local"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("selected=playground source=--env name=playground"), std::string::npos) << r.output;
}

TEST_F(EnvSelectionProcess, EnvDirVariableAndPathsWork) {
  auto dir = tmp_.path() / "envs";
  fs::create_directories(dir);
  fs::copy_file(kEnvDir / "local.json", dir / "mine.json");
  auto r = probe({"--env=mine"}, {{"BNET_E2E_ENV_DIR", dir.string()}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("selected=mine source=--env name=local"), std::string::npos) << r.output;
  auto by_path = probe({"--env", (dir / "mine.json").string()}, {});
  EXPECT_EQ(by_path.exit_code, 0) << by_path.output;
  EXPECT_NE(by_path.output.find("name=local file=" + (dir / "mine.json").string()), std::string::npos)
      << by_path.output;
}

TEST_F(EnvSelectionProcess, WritesTheResolvedEnvironmentWithoutSecrets) {
  std::map<std::string, std::optional<std::string>> env;
  for (const auto& [k, v] : kStagingVars) env[k] = v;
  auto r = probe({"--env", "staging"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string resolved = readFile(tmp_.path() / "run" / "environment.json");
  auto json = nlohmann::json::parse(resolved);
  EXPECT_EQ(json["hub"]["admin_password"], "[REDACTED]");
  EXPECT_EQ(json["vm"]["ssh_host"], "builder-1.staging.example");
  EXPECT_EQ(resolved.find("staging-admin-pw-9f8e"), std::string::npos) << resolved;
  EXPECT_EQ(r.output.find("staging-admin-pw-9f8e"), std::string::npos) << r.output;
}

TEST_F(EnvSelectionProcess, UnknownEnvironmentFailsTheTestWithTheReason) {
  auto r = probe({"--env", "nosuchenv"}, {});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("environment 'nosuchenv' (from --env): environment 'nosuchenv' not found"),
            std::string::npos)
      << r.output;
}

TEST_F(EnvSelectionProcess, EnvFlagWithoutValueStopsTheBinary) {
  auto r = probe({"--env"}, {});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--env needs a value"), std::string::npos) << r.output;
}

}  // namespace
