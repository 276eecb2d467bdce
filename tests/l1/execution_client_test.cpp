// ExecutionClient against a real anvil (label integration).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "framework/eth/accounts.hpp"
#include "framework/eth/transaction.hpp"
#include "framework/http/json_rpc_client.hpp"
#include "tests/l1/anvil_process.hpp"

namespace bnet::testing {
namespace {

namespace eth = e2e::eth;
using namespace e2e::eth::literals;

TEST_F(AnvilTest, ReadsChainIdBlocksAndBalances) {
  EXPECT_EQ(el_->chainId(), 1337u);
  auto genesis = el_->getBlockByNumber(0);
  ASSERT_TRUE(genesis.has_value());
  EXPECT_EQ(genesis->number, 0u);
  EXPECT_TRUE(genesis->parent_hash.isZero());
  EXPECT_TRUE(genesis->base_fee_per_gas.has_value());
  auto by_hash = el_->getBlockByHash(genesis->hash);
  ASSERT_TRUE(by_hash.has_value());
  EXPECT_EQ(by_hash->hash, genesis->hash);
  EXPECT_FALSE(el_->getBlockByNumber(1000).has_value());
  EXPECT_EQ(el_->getBalance(eth::prefundedAccount(0).address), 10000_eth);
  EXPECT_EQ(el_->getTransactionCount(eth::prefundedAccount(0).address), 0u);
}

TEST_F(AnvilTest, LegacyAndEip1559TransfersMoveBalancesByValuePlusFee) {
  const auto& alice = eth::prefundedAccount(1);
  const auto& bob = eth::prefundedAccount(2);
  auto nonces = el_->makeNonceManager();
  eth::U256 alice_before = el_->getBalance(alice.address);
  eth::U256 bob_before = el_->getBalance(bob.address);

  eth::LegacyTx legacy{.nonce = nonces->next(alice.address),
                       .gas_price = el_->gasPrice() * 2,
                       .gas_limit = eth::kTransferGas,
                       .to = bob.address,
                       .value = 1_gwei,
                       .chain_id = 1337};
  eth::SignedTx signed_legacy = eth::signTransaction(legacy, alice.key);
  EXPECT_EQ(el_->sendRawTransaction(signed_legacy), signed_legacy.hash());
  Receipt r1 = el_->waitForReceipt(signed_legacy.hash(), e2e::Deadline::after(std::chrono::seconds(10)));

  eth::SignedTx signed_1559 =
      eth::transfer(alice, bob, 2_gwei).sign(alice.key, 1337, nonces->next(alice.address), el_->suggestFees());
  el_->sendRawTransaction(signed_1559);
  Receipt r2 = el_->waitForReceipt(signed_1559.hash(), e2e::Deadline::after(std::chrono::seconds(10)));

  for (const Receipt* r : {&r1, &r2}) {
    EXPECT_TRUE(r->status);
    EXPECT_EQ(r->from, alice.address);
    EXPECT_EQ(r->to, bob.address);
    EXPECT_EQ(r->gas_used, eth::kTransferGas);
    auto block = el_->getBlockByHash(r->block_hash);
    ASSERT_TRUE(block.has_value());
    EXPECT_EQ(block->number, r->block_number);
    EXPECT_TRUE(block->includes(r->transaction_hash));
  }
  EXPECT_EQ(r1.type, 0);
  EXPECT_EQ(r2.type, 2);
  EXPECT_EQ(el_->getBalance(bob.address), bob_before + 3_gwei);
  EXPECT_EQ(el_->getBalance(alice.address), alice_before - 3_gwei - r1.fee() - r2.fee());
  EXPECT_EQ(el_->getTransactionCount(alice.address, "latest"), 2u);

  auto full = el_->getBlockByNumber(r2.block_number, true);
  ASSERT_TRUE(full.has_value());
  ASSERT_EQ(full->transactions.size(), 1u);
  EXPECT_EQ(full->transactions[0].from, alice.address);
  EXPECT_EQ(full->transactions[0].value, 2_gwei);
  EXPECT_EQ(full->transactions[0].type, 2);
}

// Acceptance check of issue 4: anvil takes 100 framework-signed transactions in a row and
// attributes every one to our address.
//
// Mining is paused while they are sent: anvil computes a transaction's nonce dependency from
// the chain state it read before inserting it into its pool, so a block that mines nonce n in
// between (automine does so on every send) leaves nonce n+1 waiting for a predecessor that
// will never come, and every later nonce behind it (docs/CI.md, "Flaky tests"). One block
// then mines all of them, in nonce order.
TEST_F(AnvilTest, AcceptsHundredSignedTransactionsInARowFromTheExpectedSender) {
  const auto& sender = eth::prefundedAccount(3);
  const auto& receiver = eth::prefundedAccount(4);
  auto nonces = el_->makeNonceManager();
  eth::Fees fees = el_->suggestFees();
  el_->rpc().call("evm_setAutomine", nlohmann::json::array({false}));
  std::vector<eth::Hash32> hashes;
  for (int i = 0; i < 100; ++i) {
    eth::SignedTx tx = eth::transfer(sender, receiver, eth::U256(1000 + i)).sign(sender.key, 1337, nonces->next(sender.address), fees);
    ASSERT_EQ(el_->sendRawTransaction(tx), tx.hash()) << "transaction " << i;
    hashes.push_back(tx.hash());
  }
  EXPECT_EQ(el_->getTransactionCount(sender.address, "pending"), 100u) << "all 100 are in the pool, none waiting on a gap";
  el_->rpc().call("evm_mine");
  auto deadline = e2e::Deadline::after(std::chrono::seconds(30));
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    Receipt r = el_->waitForReceipt(hashes[i], deadline);
    EXPECT_TRUE(r.status) << "transaction " << i;
    EXPECT_EQ(r.from, sender.address) << "transaction " << i;
    EXPECT_EQ(r.transaction_index, i) << "transaction " << i << " is mined in nonce order";
  }
  EXPECT_EQ(el_->getTransactionCount(sender.address, "latest"), 100u);
}

TEST_F(AnvilTest, RejectedTransactionIsAJsonRpcError) {
  const auto& a = eth::prefundedAccount(5);
  eth::SignedTx tx = eth::transfer(a, a, 1_wei).sign(a.key, 1337, 7, eth::Fees{.max_fee_per_gas = 1, .max_priority_fee_per_gas = 1});
  EXPECT_THROW(el_->sendRawTransaction(tx), e2e::JsonRpcError);
}

TEST_F(AnvilTest, WaitForBlockNamesTheLastHeadOnTimeout) {
  try {
    el_->waitForBlock(500, e2e::Deadline::after(std::chrono::milliseconds(300)));
    FAIL() << "expected a timeout";
  } catch (const e2e::WaitTimeout& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("block 500"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("head is block 0"));
  }
}

}  // namespace
}  // namespace bnet::testing
