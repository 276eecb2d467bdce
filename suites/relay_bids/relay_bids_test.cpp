// The relay's view: bids from the relay key of the builder's configuration since it became
// ready, matching the blocks it won, and every delivered payload is the chain's block.
#include "fixtures/testbed/testbed_test.hpp"

namespace bnet {
namespace {

using namespace std::chrono_literals;

class RelayBids : public TestbedTest {};

TEST_F(RelayBids, RelayReceivedBidsFromTheBuilderForRecentSlots) {
  BNET_REQUIRE_MUTATION();  // a transaction gives the builder profit to bid with
  auto block = waitForBlockBuiltByTheBuilder();
  devnet().relay().waitForPayloadDelivered(block.number, e2e::Deadline::after(30s));
  auto record = testbed().builderBidRecord();
  RecordProperty("blocks_won_since_ready", std::to_string(record.won.size()));
  RecordProperty("bids_from_configured_key", std::to_string(record.bids.size()));
  EXPECT_THAT(record, MatchesTheBuilder());
}

TEST_F(RelayBids, EveryDeliveredPayloadIsTheChainsBlock) {
  auto delivered = devnet().relay().payloadsDelivered({});
  if (delivered.empty()) GTEST_SKIP() << "the relay has delivered no payload yet";
  auto& el = devnet().execution();
  for (const auto& payload : delivered) {
    auto block = el.getBlockByNumber(payload.block_number, false);
    ASSERT_TRUE(block.has_value()) << "the chain has no block " << payload.block_number;
    EXPECT_EQ(block->hash, payload.block_hash) << "block " << payload.block_number;
  }
}

}  // namespace
}  // namespace bnet
