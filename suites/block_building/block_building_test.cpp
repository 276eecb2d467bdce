// The builder is ready and builds blocks: the chain gets blocks with the coinbase of the
// configuration the hub served it (and its extraData where the chain carries it), and a
// transaction sent to its RPC lands in one.
#include "fixtures/testbed/testbed_test.hpp"
#include "framework/eth/accounts.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using namespace std::chrono_literals;

class BlockBuilding : public TestbedTest {};

TEST_F(BlockBuilding, ReadyzAnswers200) { EXPECT_EQ(builder().readyzStatus(), 200); }

TEST_F(BlockBuilding, ChainGetsBlocksBuiltByTheBuilder) {
  BNET_REQUIRE_MUTATION();  // it sends a transaction to give the builder something to build
  auto block = waitForBlockBuiltByTheBuilder();
  auto served = testbed().servedConfiguration();
  RecordProperty("extra_data_on_chain", env().expect.extra_data_on_chain ? "checked" : "not shown by this chain");
  EXPECT_THAT(block, BuiltWith(served, env()));
}

TEST_F(BlockBuilding, TransactionSentToTheBuildersRpcLandsInItsBlock) {
  BNET_REQUIRE_MUTATION();
  auto& el = devnet().execution();
  const auto& sender = eth::prefundedAccount(3);
  auto tx = eth::transfer(sender, eth::prefundedAccount(4).address, eth::U256(4242))
                .sign(sender.key, devnet().chainId(), el.getTransactionCount(sender.address),
                      el.suggestFees(eth::U256(2'000'000'000)));
  EXPECT_EQ(builder().sendRawTransaction(tx), tx.hash().hex());
  auto block = devnet().waitForBlockIncluding(tx.hash(), e2e::Deadline::after(std::chrono::seconds(
                                                             env().expect.blocks_within_slots * devnet().slotSeconds())));
  EXPECT_THAT(block, BuiltBy(builder().identity(), env()));
  EXPECT_EQ(el.getTransactionReceipt(tx.hash())->status, 1u);
}

}  // namespace
}  // namespace bnet
