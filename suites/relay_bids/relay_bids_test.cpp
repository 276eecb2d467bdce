// The relay's view: bids from the builder's pubkey for recent slots, and every delivered
// payload is the block the chain has at that number.
#include "fixtures/testbed/testbed_test.hpp"

namespace bnet {
namespace {

using namespace std::chrono_literals;

class RelayBids : public TestbedTest {};

TEST_F(RelayBids, RelayReceivedBidsFromTheBuilderForRecentSlots) {
  BNET_REQUIRE_MUTATION();  // a transaction gives the builder profit to bid with
  auto block = waitForBlockBuiltByTheBuilder();
  auto delivered = devnet().relay().waitForPayloadDelivered(block.number, e2e::Deadline::after(30s));
  ASSERT_FALSE(delivered.builder_pubkey.empty());
  auto bids = devnet().relay().bidsReceived({.builder_pubkey = delivered.builder_pubkey});
  ASSERT_FALSE(bids.empty()) << "no bids from " << delivered.builder_pubkey;
  std::uint64_t newest = 0;
  for (const auto& bid : bids) newest = std::max(newest, bid.slot);
  EXPECT_GE(newest, delivered.slot) << "the relay has no bid for the slot of the builder's latest block";
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
