// The builder stand-in against the local L1 (bnet-devnet: anvil + slot clock + relay and
// beacon stand-ins): a transaction sent through the flowproxy mode lands on chain in the
// block the rbuilder mode bid.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fixtures/l1/l1_devnet.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/http/http_client.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"
#include "tools/builder-standin/bid.hpp"
#include "tests/support/rbuilder_toml.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"
#include "framework/fs/fs.hpp"

namespace bnet::standin {
namespace {

namespace eth = e2e::eth;
using nlohmann::json;

constexpr std::string_view kCoinbaseKeyHex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";  // account 0
constexpr std::string_view kRelayKeyHex = "25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866";
constexpr std::string_view kExtraData = "Playground VM Builder ⚡🤖";

std::filesystem::path standinProgram() { return e2e::inBuildTree("bin/bnet-builder-standin"); }

L1DevnetConfig devnetConfig() {
  return L1DevnetConfig{.mode = L1Mode::kLocal, .slot_seconds = 2, .devnet_program = e2e::inBuildTree(BNET_DEVNET_PROGRAM)};
}

int httpStatus(const std::string& url) {
  e2e::HttpClient client({.base_url = url, .timeout = std::chrono::milliseconds(8000)});
  return client.get("").status;
}

TEST(BuilderStandinOnDevnet, TransactionThroughFlowProxyLandsInTheStandinsBlock) {
  if (auto why = L1Devnet::unavailableReason(devnetConfig())) GTEST_SKIP() << *why;
  L1Devnet devnet = L1Devnet::start(devnetConfig());
  auto ports = e2e::reservePorts(5);
  auto url = [&](std::size_t i) { return fmt::format("http://127.0.0.1:{}", ports[i].port()); };
  auto dir = std::filesystem::temp_directory_path() / fmt::format("bnet-standin-devnet-{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.toml") << bnet::testing::rbuilderToml(
      {.chain_id = devnet.chainId(),
       .el_url = devnet.endpoints().el_url,
       .cl_url = devnet.endpoints().beacon_url,
       .jsonrpc_port = ports[0].port(),
       .redacted_telemetry_port = ports[1].port(),
       .full_telemetry_port = ports[2].port(),
       .relay_secret_key_hex = std::string(kRelayKeyHex),
       .extra_data = std::string(kExtraData),
       .relays = {{.name = "devnet", .url = devnet.endpoints().relay_url}},
       .more = "log_level = \"info,rbuilder=trace\"\n"});
  auto rbuilder = e2e::ChildProcess::start({.name = "rbuilder-standin",
                                            .executable = standinProgram(),
                                            .args = {"rbuilder", (dir / "config.toml").string()},
                                            .env = {{"BNET_TEST_COINBASE_KEY", std::string(kCoinbaseKeyHex)}},
                                            .owned_paths = {dir}});
  auto flowproxy = e2e::ChildProcess::start(
      {.name = "flowproxy-standin",
       .executable = standinProgram(),
       .args = {"flowproxy"},
       .env = {{"USER_LISTEN_ADDR", fmt::format("127.0.0.1:{}", ports[3].port())},
               {"SYSTEM_LISTEN_ADDR", fmt::format("127.0.0.1:{}", ports[4].port())},
               {"BUILDERNET_NODE_NAME", "devnet-builder"},
               {"BUILDER_ENDPOINT", url(0)},
               {"BUILDER_READY_ENDPOINT", url(1)}},
       .unset_env = {"BUILDERHUB_ENDPOINT", "FLASHBOTS_ORDERFLOW_SIGNER"}});

  e2e::waitForReady(flowproxy, "flowproxy /readyz 200 (rbuilder saw payload attributes)",
                    e2e::Deadline::after(std::chrono::seconds(60)), [&] {
                      if (!rbuilder.running()) return e2e::Attempt::fail("rbuilder stand-in exited: " + rbuilder.logTail());
                      try {
                        int status = httpStatus(url(3) + "/readyz");
                        return e2e::Attempt::check(status == 200, fmt::format("/readyz {}", status));
                      } catch (const e2e::HttpError& e) {
                        return e2e::Attempt::retry(e.what());
                      }
                    });

  ExecutionClient& el = devnet.execution();
  const auto& sender = eth::prefundedAccount(4);
  auto tx = eth::transfer(sender, eth::prefundedAccount(9).address, eth::U256(12345))
                .sign(sender.key, devnet.chainId(), el.getTransactionCount(sender.address),
                      el.suggestFees(eth::U256(2'000'000'000)));
  std::string body = json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_sendRawTransaction"}, {"params", {tx.rawHex()}}}.dump();
  e2e::HttpClient user({.base_url = url(3)});
  e2e::HttpResponse sent = user.post(
      "/", body,
      {{"Content-Type", "application/json"}, {"X-Flashbots-Signature", eth::makeSignatureHeader(eth::prefundedAccount(6).key, body)}});
  ASSERT_EQ(sent.status, 200) << sent.body;
  ASSERT_EQ(json::parse(sent.body)["result"], tx.hash().hex());

  Block block = devnet.waitForBlockIncluding(tx.hash(), e2e::Deadline::after(std::chrono::seconds(60)));
  EXPECT_EQ(block.miner, eth::PrivateKey::fromHex(kCoinbaseKeyHex).address()) << "the stand-in's coinbase built it";
  RelayBid delivered = devnet.relay().waitForPayloadDelivered(block.number, e2e::Deadline::after(std::chrono::seconds(20)));
  EXPECT_EQ(delivered.builder_pubkey, standInBuilderPubkey(RelaySecretKey::fromHex(kRelayKeyHex, "relay key")));
  EXPECT_EQ(delivered.num_tx, 1u);
  // Departure of the devnet (tools/devnet/README.md): anvil cannot set a block's extraData,
  // so extra_data cannot be checked on chain here; BuilderStandin.SignedBundleReachesTheNextBidInOrder
  // checks it in the submission itself.
  EXPECT_THAT(rbuilder.logText(), ::testing::HasSubstr("Submitting bid"));
  EXPECT_THAT(rbuilder.logText(), ::testing::HasSubstr(fmt::format("block={}", block.number)));
  flowproxy.stop();
  rbuilder.stop();
}

}  // namespace
}  // namespace bnet::standin
