// The configuration the framework serves against the schema written from builder-config.md
// (environments/schema/builder-config.schema.json): the local environment's document (what
// LocalBuilderSetup registers), the playground one builder-playground registers, and the
// documents the checker must refuse. `bnet-e2e hub allow` is covered in cli_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cpptoml.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "fixtures/hub/builder_config.hpp"
#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

nlohmann::json readJson(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::string violations(const nlohmann::json& doc) { return ::testing::PrintToString(builderConfigViolations(doc)); }

BuilderConfigInput sampleInput() {
  return {.instance_name = "e2e-twin-builder",
          .disk_encryption_key = "5d7052c0c3aff5834f45e3f33aca0a55ef9f43ca9cf6c5c8e8375ab82564ddb6",
          .extra_data = "BuilderNet e2e twin",
          .coinbase_secret_key = "0x6a4254d9cb2f348290f65002d4e45cb7a447f287ef03ac226a3710ee91c9bc80",
          .relay_secret_key = "0x5eae315483f028b5cdd5d1090ff0c7618b18737ea9bf3c35047189db22835c48",
          .relays = {{.name = "local", .url = "http://10.0.2.2:5555"}},
          .relay_bid_scrapers = {{.name = "local", .url = "ws://10.0.2.2:5555"}}};
}

std::shared_ptr<cpptoml::table> parseToml(const std::string& text) {
  std::istringstream in(text);
  return cpptoml::parser(in).parse();
}

TEST(BuilderConfigSchema, TheRealPlaygroundDocumentConforms) {
  auto doc = readJson(e2e::inSourceTree("tests/hub/data") / "playground-builderhub-config.json");
  EXPECT_THAT(builderConfigViolations(doc), IsEmpty());
}

TEST(BuilderConfigSchema, TheFrameworksDocumentConformsWithAndWithoutPlaygroundKeys) {
  auto input = sampleInput();
  auto local = builderConfiguration(input);
  EXPECT_THAT(builderConfigViolations(local), IsEmpty());
  input.playground = PlaygroundConfigKeys{.artifacts_url = "http://10.0.2.2:8100",
                                          .el_bootnode = "enode://" + std::string(128, 'a') + "@10.0.2.2:30303",
                                          .cl_libp2p_addr = "/ip4/10.0.2.2/tcp/9001/p2p/16Uiu2HAm",
                                          .builder_id = "e2e_twin_builder",
                                          .builder_ip = "1.2.3.4",
                                          .measurement_id = "test1",
                                          .network = "playground"};
  input.genesis = R"({"config":{"chainId":1337}})";
  auto playground = builderConfiguration(input);
  EXPECT_THAT(builderConfigViolations(playground), IsEmpty());
  EXPECT_EQ(playground.at("playground").at("artifacts_url"), "http://10.0.2.2:8100");
  EXPECT_TRUE(playground.at("genesis").is_string());
}

TEST(BuilderConfigSchema, TomlKeysAreTomlTextTheTemplatesCanPaste) {
  auto doc = builderConfiguration(sampleInput());
  const auto& r = doc.at("rbuilder");
  // As the playground template pastes them: scalars first, then the tables.
  std::string rendered = fmt::format("live_builders = {}\nsystem_recipient_allowlist = {}\n{}\n{}\n{}",
                                     r.at("live_builders").get<std::string>(),
                                     r.at("system_recipient_allowlist").get<std::string>(),
                                     r.at("relays").get<std::string>(), r.at("relay_bid_scrapers").get<std::string>(),
                                     r.at("builders").get<std::string>());
  auto toml = parseToml(rendered);
  auto relays = toml->get_table_array("relays");
  ASSERT_TRUE(relays);
  EXPECT_EQ(*relays->begin()->get()->get_as<std::string>("url"), "http://10.0.2.2:5555");
  EXPECT_EQ(toml->get_table_array("relay_bid_scrapers")->begin()->get()->get_as<std::string>("type").value_or(""),
            "external-ws");
  EXPECT_EQ(toml->get_table_array("builders")->get().size(), 2u);
  EXPECT_EQ(*toml->get_array_of<std::string>("live_builders"), (std::vector<std::string>{"mgp-ordering", "mp-ordering"}));
  EXPECT_TRUE(doc.at("haproxy").at("rate_limit_bytes_in_rate_regular").is_string()) << "limits render verbatim";
}

TEST(BuilderConfigSchema, RefusesWhatTheRealImageCouldNotRun) {
  const auto good = nlohmann::json(builderConfiguration(sampleInput()));
  auto broken = [&](auto change) {
    nlohmann::json d = good;
    change(d);
    return violations(d);
  };
  // The old shape: JSON arrays where the image pastes TOML text.
  EXPECT_THAT(broken([](auto& d) { d["rbuilder"]["relays"] = nlohmann::json::array({{{"name", "x"}}}); }),
              HasSubstr("/rbuilder/relays"));
  EXPECT_THAT(broken([](auto& d) { d["rbuilder"]["live_builders"] = nlohmann::json::array({"mgp-ordering"}); }),
              HasSubstr("/rbuilder/live_builders"));
  // Twin-only keys.
  EXPECT_THAT(broken([](auto& d) { d["rbuilder"]["el_node_url"] = "http://10.0.2.2:8545"; }), HasSubstr("/rbuilder"));
  EXPECT_THAT(broken([](auto& d) { d["twin"] = nlohmann::json::object(); }), HasSubstr("twin"));
  // Missing keys rendered bare into TOML, or read by flowproxy / HAProxy.
  EXPECT_THAT(broken([](auto& d) { d["rbuilder"].erase("root_hash_threads"); }), HasSubstr("/rbuilder"));
  EXPECT_THAT(broken([](auto& d) { d["flowproxy"].erase("builderhub_endpoint"); }), HasSubstr("/flowproxy"));
  EXPECT_THAT(broken([](auto& d) { d["haproxy"]["rate_limit_conn_rate_regular"] = "fast"; }),
              HasSubstr("/haproxy/rate_limit_conn_rate_regular"));
  EXPECT_THAT(broken([](auto& d) { d.erase("instance_name"); }), HasSubstr("instance_name"));
  EXPECT_THAT(broken([](auto& d) { d["disk_encryption"]["key"] = 5; }), HasSubstr("/disk_encryption/key"));
  // TOML text that is not TOML.
  EXPECT_THAT(broken([](auto& d) { d["rbuilder"]["relays"] = "[[relays]]\nname = \"x\nurl = 3\n"; }),
              HasSubstr("/rbuilder/relays: not valid TOML text"));
  EXPECT_THAT(broken([](auto& d) { d["flowproxy"]["api_keys_toml"] = "key = = 1"; }),
              HasSubstr("/flowproxy/api_keys_toml: not valid TOML text"));
  // Secrets are never quoted in the reasons.
  EXPECT_THAT(broken([](auto& d) { d["rbuilder"]["coinbase_secret_key"] = "0xnot-a-key-but-secret"; }),
              AllOf(HasSubstr("/rbuilder/coinbase_secret_key"), ::testing::Not(HasSubstr("not-a-key-but-secret"))));
  EXPECT_THAT(builderConfigViolations(nlohmann::json::array()), Contains(HasSubstr("/")));
  EXPECT_THROW(builderConfiguration({.extra_data = std::string(33, 'x')}), std::invalid_argument);
}

// The document LocalBuilderSetup registers at the hub stand-in, as the VM downloads it.
TEST(BuilderConfigSchema, TheLocalEnvironmentServesAConformingDocument) {
  L1DevnetConfig devnet_config{.mode = L1Mode::kLocal, .slot_seconds = 2, .devnet_program = e2e::inBuildTree(BNET_DEVNET_PROGRAM)};
  if (auto why = L1Devnet::unavailableReason(devnet_config)) FAIL() << "local devnet unavailable: " << *why;
  auto devnet = L1Devnet::start(devnet_config);
  auto hub = BuilderHub::start({});
  auto dir = fs::temp_directory_path() / fmt::format("bnet-builder-config-test-{}", ::getpid());
  fs::create_directories(dir);
  for (const char* name : {"vmlinuz", "initrd.img", "rootfs.qcow2"}) std::ofstream(dir / name) << name;
  std::ofstream(dir / "manifest.json") << R"({"cmdline": "console=ttyS0 root=LABEL=twin"})";
  auto setup = LocalBuilderSetup::start(hub, devnet, TwinImage::open(dir), {});
  const auto served = nlohmann::json::parse(setup.gateway().builderApi().configuration());
  fs::remove_all(dir);
  EXPECT_THAT(builderConfigViolations(served), IsEmpty());
  EXPECT_EQ(served.at("instance_name"), "e2e-twin-builder");
  auto relays = parseToml(served.at("rbuilder").at("relays").get<std::string>())->get_table_array("relays");
  ASSERT_TRUE(relays);
  EXPECT_EQ(*relays->begin()->get()->get_as<std::string>("url"), guestUrlOf(devnet.endpoints().relay_url));
}

}  // namespace
}  // namespace bnet
