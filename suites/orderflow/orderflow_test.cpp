// Signed orderflow through the builder's orderflow proxy lands on chain, in order; requests
// without a valid signature are refused as the real proxies refuse them; a sustained flow
// is included.
#include "fixtures/testbed/testbed_test.hpp"
#include "framework/eth/accounts.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using namespace e2e::eth::literals;
using ::testing::Not;

class SignedOrderflow : public TestbedTest {
 protected:
  void SetUp() override {
    TestbedTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    orderflow_ = testbed().makeOrderflow();
  }
  std::unique_ptr<Orderflow> orderflow_;
  eth::TestAccount alice_ = eth::prefundedAccount(1), bob_ = eth::prefundedAccount(2), carol_ = eth::prefundedAccount(5);
};

TEST_F(SignedOrderflow, SignedBundleAndRawTransactionLandInOrderInOneBlock) {
  BNET_REQUIRE_MUTATION();
  auto bundle = orderflow_->makeBundle({eth::transfer(alice_, bob_, 1_gwei), eth::transfer(alice_, carol_, 2_gwei)});
  auto single = orderflow_->makeTransaction(eth::transfer(bob_, carol_, 3_gwei));
  ASSERT_THAT(orderflow_->send(bundle), IsAccepted());
  ASSERT_THAT(orderflow_->send(single), IsAccepted());
  auto block = devnet().waitForBlockIncluding(
      bundle.txHashes()[0], e2e::Deadline::after(std::chrono::seconds(env().expect.blocks_within_slots * devnet().slotSeconds())));
  EXPECT_THAT(block, BuiltBy(builder().identity(), env()));
  EXPECT_TRUE(block.includes(single.hash())) << "the raw transaction landed in another block";
  const auto& hashes = block.transaction_hashes;
  auto first = std::find(hashes.begin(), hashes.end(), bundle.txHashes()[0]);
  ASSERT_TRUE(first != hashes.end() && first + 1 != hashes.end());
  EXPECT_EQ(*(first + 1), bundle.txHashes()[1]) << "the bundle's transactions are kept together and in order";
}

TEST_F(SignedOrderflow, RequestsWithoutAValidSignatureAreRefused) {
  auto bundle = orderflow_->makeBundle({eth::transfer(carol_, bob_, 1_gwei)});
  EXPECT_THAT(orderflow_->send(bundle, Signing::kUnsigned), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle, Signing::kWrongSignature), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle, Signing::kSignedOtherBody), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle.txs[0], Signing::kUnsigned), IsRefusedForItsSignature());
}

// At least 20 transactions per second for at least 60 s (bundles and raw transactions, many
// senders), at least 99% included; the environment sets the rate and length it sends at.
TEST_F(SignedOrderflow, SustainedFlowIsIncluded) {
  BNET_REQUIRE_MUTATION();
  const auto& expect = env().expect;
  auto report = orderflow_->runFlow({.transactions_per_second = static_cast<double>(expect.flow_transactions_per_second),
                                     .duration = std::chrono::seconds(expect.flow_seconds),
                                     .inclusion_budget = std::chrono::seconds(expect.flow_inclusion_budget_seconds)});
  RecordProperty("transactions_sent", std::to_string(report.sent));
  RecordProperty("transactions_per_second", fmt::format("{:.2f}", report.sendRate()));
  RecordProperty("inclusion_ratio", fmt::format("{:.4f}", report.inclusion_ratio()));
  RecordProperty("latency_p50_seconds", fmt::format("{:.2f}", report.latencyPercentile(50)));
  RecordProperty("latency_p95_seconds", fmt::format("{:.2f}", report.latencyPercentile(95)));
  RecordProperty("latency_p99_seconds", fmt::format("{:.2f}", report.latencyPercentile(99)));
  EXPECT_THAT(report, MeetsFlowTarget(FlowTarget{.transactions_per_second = 20, .seconds = 60, .inclusion_ratio = 0.99}));
}

}  // namespace
}  // namespace bnet
