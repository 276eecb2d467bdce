// The builder is ready and builds blocks: the chain gets blocks with its coinbase (and
// extraData where the chain carries it), and a transaction sent to its RPC lands in one.
#include "fixtures/testbed/testbed_test.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/http/http_client.hpp"
#include "framework/http/json_rpc_client.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using namespace std::chrono_literals;

class BlockBuilding : public TestbedTest {};

TEST_F(BlockBuilding, ReadyzAnswers200) {
  e2e::HttpClient https({.base_url = builder().httpsUrl(), .timeout = 10000ms, .tls = {.verify = false}});
  auto readyz = https.get("/readyz");
  EXPECT_EQ(readyz.status, 200) << readyz.body;
}

TEST_F(BlockBuilding, ChainGetsBlocksBuiltByTheBuilder) {
  BNET_REQUIRE_MUTATION();  // it sends a transaction to give the builder something to build
  auto block = waitForBlockBuiltByTheBuilder();
  EXPECT_THAT(block, BuiltBy(builder().identity(), env()));
}

TEST_F(BlockBuilding, TransactionSentToTheBuildersRpcLandsInItsBlock) {
  BNET_REQUIRE_MUTATION();
  auto& el = devnet().execution();
  const auto& sender = eth::prefundedAccount(3);
  auto tx = eth::transfer(sender, eth::prefundedAccount(4).address, eth::U256(4242))
                .sign(sender.key, devnet().chainId(), el.getTransactionCount(sender.address),
                      el.suggestFees(eth::U256(2'000'000'000)));
  e2e::JsonRpcClient rpc({.http = {.base_url = builder().rpcUrl()}});
  EXPECT_EQ(rpc.call("eth_sendRawTransaction", nlohmann::json::array({tx.rawHex()})), tx.hash().hex());
  auto block = devnet().waitForBlockIncluding(tx.hash(), e2e::Deadline::after(std::chrono::seconds(
                                                             env().expect.blocks_within_slots * devnet().slotSeconds())));
  EXPECT_THAT(block, BuiltBy(builder().identity(), env()));
  EXPECT_EQ(el.getTransactionReceipt(tx.hash())->status, 1u);
}

}  // namespace
}  // namespace bnet
