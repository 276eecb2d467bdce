// rbuilder TOML keys as the stand-in reads them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "framework/eth/accounts.hpp"
#include "tools/builder-standin/bid.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"

namespace bnet::standin {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
namespace eth = e2e::eth;

constexpr std::string_view kRelayKey = "0x5eae315483f028b5cdd5d1090ff0c7618b18737ea9bf3c35047189db22835c48";

std::string coinbaseHex() { return eth::prefundedAccount(0).key.revealHex(); }

std::string validConfig() {
  return fmt::format(R"(
chain_id = 1337
el_node_url = "http://127.0.0.1:8545"
jsonrpc_server_ip = "127.0.0.1"
jsonrpc_server_port = 18645
redacted_telemetry_server_port = 16070
full_telemetry_server_port = 16060
coinbase_secret_key = "{}"
relay_secret_key = "{}"
extra_data = "Playground VM Builder ⚡🤖"
cl_node_url = "http://127.0.0.1:3500"
live_builders = ["mgp-ordering"]
log_level = "info,rbuilder=debug"
root_hash_use_sparse_trie = true
reth_datadir = "/data_reth"

[[relays]]
name = "playground"
url = "http://0xac6e77dfe25ecd6110b8e780608cce0dab71fdd5ebea22a16c0205200f2f8e2e3ad3b71d3499c54ad14d6c21b41a37ae@127.0.0.1:5555"
mode = "full"
use_ssz_for_submit = false
)",
                     coinbaseHex(), kRelayKey);
}

std::string expectError(const std::string& toml) {
  try {
    parseRbuilderConfig(toml, "/etc/rbuilder-operator/config.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

TEST(RbuilderConfig, ReadsTheKeysTheStandInUses) {
  RbuilderConfig c = parseRbuilderConfig(validConfig(), "config.toml");
  EXPECT_EQ(c.chain_id, 1337u);
  EXPECT_EQ(c.el_node_url, "http://127.0.0.1:8545");
  EXPECT_EQ(c.jsonrpc.text(), "127.0.0.1:18645");
  EXPECT_EQ(c.redacted_telemetry.port, 16070);
  EXPECT_EQ(c.full_telemetry.port, 16060);
  ASSERT_TRUE(c.coinbase_secret_key.has_value());
  EXPECT_EQ(c.coinbase_secret_key->address(), eth::prefundedAccount(0).address);
  EXPECT_EQ(c.extra_data, "Playground VM Builder ⚡🤖");
  EXPECT_EQ(c.extra_data.size(), 29u);
  EXPECT_EQ(c.cl_node_urls, std::vector<std::string>{"http://127.0.0.1:3500"});
  ASSERT_EQ(c.relays.size(), 1u);
  EXPECT_EQ(c.relays[0].name, "playground");
  EXPECT_EQ(c.relays[0].base_url, "http://127.0.0.1:5555") << "the BLS pubkey userinfo is not sent";
  EXPECT_EQ(c.live_builders, std::vector<std::string>{"mgp-ordering"});
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
}

TEST(RbuilderConfig, DefaultsFollowRbuilder) {
  RbuilderConfig c = parseRbuilderConfig("chain_id = 1\n", "config.toml");
  EXPECT_EQ(c.jsonrpc.port, 8645);
  EXPECT_EQ(c.jsonrpc.host, "0.0.0.0");
  EXPECT_EQ(c.redacted_telemetry.port, 6070);
  EXPECT_EQ(c.full_telemetry.port, 6069);
  EXPECT_EQ(c.extra_data, "extra_data_change_me");
  EXPECT_EQ(c.live_builders, (std::vector<std::string>{"mgp-ordering", "mp-ordering"}));
  EXPECT_TRUE(c.coinbase_secret_key.has_value()) << "random with a warning";
  EXPECT_THAT(::testing::PrintToString(c.warnings), HasSubstr("coinbase_secret_key not set"));
}

TEST(RbuilderConfig, ExtraDataOver32BytesIsAnErrorNamingTheKey) {
  std::string error = expectError("chain_id = 1\nextra_data = \"Playground VM Builder ⚡🤖 too long\"\n");
  EXPECT_THAT(error, AllOf(HasSubstr("extra_data"), HasSubstr("at most 32"), HasSubstr("config.toml")));
}

TEST(RbuilderConfig, BadCoinbaseKeyNamesTheKeyNotTheValue) {
  std::string error = expectError("chain_id = 1\ncoinbase_secret_key = \"0x12345678deadbeef\"\n");
  EXPECT_THAT(error, HasSubstr("coinbase_secret_key"));
  EXPECT_THAT(error, Not(HasSubstr("12345678deadbeef")));
  std::string relay = expectError("chain_id = 1\nrelay_secret_key = \"0xabcdef0123\"\n");
  EXPECT_THAT(relay, HasSubstr("relay_secret_key"));
  EXPECT_THAT(relay, Not(HasSubstr("abcdef0123")));
}

TEST(RbuilderConfig, EnvIndirectionReadsTheVariable) {
  ::setenv("BNET_TEST_COINBASE_KEY", coinbaseHex().c_str(), 1);
  RbuilderConfig c = parseRbuilderConfig("chain_id = 1\ncoinbase_secret_key = \"env:BNET_TEST_COINBASE_KEY\"\n", "c.toml");
  ::unsetenv("BNET_TEST_COINBASE_KEY");
  ASSERT_TRUE(c.coinbase_secret_key.has_value());
  EXPECT_EQ(c.coinbase_secret_key->address(), eth::prefundedAccount(0).address);
}

TEST(RbuilderConfig, EnvIndirectionToAnUnsetVariableNamesIt) {
  ::unsetenv("BNET_TEST_UNSET_KEY");
  std::string error = expectError("chain_id = 1\nrelay_secret_key = \"env:BNET_TEST_UNSET_KEY\"\n");
  EXPECT_THAT(error, AllOf(HasSubstr("relay_secret_key"), HasSubstr("BNET_TEST_UNSET_KEY")));
}

TEST(RbuilderConfig, UnknownKeysWarnInsteadOfFailing) {
  RbuilderConfig c = parseRbuilderConfig("chain_id = 1\nsome_future_key = 3\n", "config.toml");
  EXPECT_THAT(::testing::PrintToString(c.warnings), HasSubstr("unknown config key some_future_key"));
}

TEST(RbuilderConfig, ChainFromAGenesisFile) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("bnet-standin-config-{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "genesis.json") << R"({"config":{"chainId":1337},"alloc":{}})";
  RbuilderConfig relative = parseRbuilderConfig("chain = \"genesis.json\"\n", dir / "config.toml");
  EXPECT_EQ(relative.chain_id, 1337u);
  // An absent genesis file (the twin has no playground artifacts server) is a warning: the
  // stand-in follows the EL's chain.
  RbuilderConfig absent = parseRbuilderConfig("chain = \"/nonexistent/genesis.json\"\n", "c.toml");
  EXPECT_EQ(absent.chain_id, 0u);
  EXPECT_THAT(::testing::PrintToString(absent.warnings), HasSubstr("genesis file /nonexistent/genesis.json does not exist"));
  std::ofstream(dir / "broken.json") << "{}";
  std::string error = expectError(fmt::format("chain = \"{}\"\n", (dir / "broken.json").string()));
  EXPECT_THAT(error, AllOf(HasSubstr("chain"), HasSubstr("broken.json")));
  std::filesystem::remove_all(dir);
  EXPECT_EQ(parseRbuilderConfig("chain = \"sepolia\"\n", "c.toml").chain_id, 11155111u);
}

TEST(RbuilderConfig, EnabledPlaygroundRelayIsBuiltIn) {
  RbuilderConfig c = parseRbuilderConfig("chain_id = 1\nenabled_relays = [\"playground\"]\n", "c.toml");
  ASSERT_EQ(c.relays.size(), 1u);
  EXPECT_EQ(c.relays[0].base_url, "http://localhost:5555");
  EXPECT_THAT(expectError("chain_id = 1\nenabled_relays = [\"nowhere\"]\n"), HasSubstr("nowhere"));
}

TEST(RbuilderConfig, MalformedValuesNameTheirKeys) {
  EXPECT_THAT(expectError("chain_id = 1\njsonrpc_server_port = \"8645\"\n"), HasSubstr("jsonrpc_server_port: expected an integer"));
  EXPECT_THAT(expectError("chain_id = 1\nfull_telemetry_server_port = 70000\n"), HasSubstr("full_telemetry_server_port"));
  EXPECT_THAT(expectError("chain_id = 1\n[[relays]]\nname = \"r\"\n"), HasSubstr("relays[0].url: required"));
  EXPECT_THAT(expectError("chain_id = 1\n[[relays]]\nname = \"r\"\nurl = \"ftp://x\"\n"), HasSubstr("relays[0].url"));
  EXPECT_THAT(expectError("chain_id = 1\nlog_level = \"loud\"\n"), HasSubstr("log_level"));
  EXPECT_THAT(expectError("chain_id = \n"), HasSubstr("not valid TOML"));
}

TEST(RbuilderConfig, StandInBuilderPubkeyIsDeterministicPerKey) {
  RbuilderConfig a = parseRbuilderConfig(validConfig(), "c.toml");
  RbuilderConfig b = parseRbuilderConfig(validConfig(), "c.toml");
  std::string pa = standInBuilderPubkey(*a.relay_secret_key);
  EXPECT_EQ(pa, standInBuilderPubkey(*b.relay_secret_key));
  EXPECT_EQ(pa.size(), 2u + 96u);
  EXPECT_NE(pa, standInBuilderPubkey(RelaySecretKey::random()));
}

}  // namespace
}  // namespace bnet::standin
