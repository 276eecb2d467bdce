#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>

#include "framework/eth/accounts.hpp"
#include "framework/eth/errors.hpp"

namespace e2e::eth {
namespace {

using ::testing::HasSubstr;
using namespace literals;

TEST(EthPrefundedAccounts, EachKeyDerivesItsPublishedAddress) {
  const auto& accounts = prefundedAccounts();
  ASSERT_EQ(accounts.size(), 10u);
  std::set<Address> distinct;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    EXPECT_EQ(accounts[i].index, i);
    EXPECT_EQ(accounts[i].key.address(), accounts[i].address) << "account " << i;
    distinct.insert(accounts[i].address);
  }
  EXPECT_EQ(distinct.size(), 10u);
  EXPECT_EQ(prefundedAccount(0).address.checksummed(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  EXPECT_EQ(prefundedAccount(9).address.checksummed(), "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720");
}

TEST(EthPrefundedAccounts, OutOfRangeIndexNamesTheLimit) {
  try {
    prefundedAccount(10);
    FAIL() << "no error for index 10";
  } catch (const std::out_of_range& e) {
    EXPECT_THAT(e.what(), HasSubstr("prefunded account 10"));
    EXPECT_THAT(e.what(), HasSubstr("only 10"));
  }
}

TEST(EthNonces, FetchesOncePerAddressThenCounts) {
  std::map<Address, int> fetches;
  NonceManager nonces([&](const Address& a) -> std::uint64_t {
    ++fetches[a];
    return a == prefundedAccount(0).address ? 1 : 40;
  });
  const Address a = prefundedAccount(0).address;
  const Address b = prefundedAccount(1).address;
  EXPECT_EQ(nonces.next(a), 1u);
  EXPECT_EQ(nonces.next(a), 2u);
  EXPECT_EQ(nonces.next(b), 40u);
  EXPECT_EQ(nonces.next(a), 3u);
  EXPECT_EQ(nonces.next(b), 41u);
  EXPECT_EQ(fetches[a], 1);
  EXPECT_EQ(fetches[b], 1);
  nonces.reset(a);
  EXPECT_EQ(nonces.next(a), 1u);
  EXPECT_EQ(fetches[a], 2);
  EXPECT_EQ(nonces.next(b), 42u);
}

TEST(EthNonces, FailedFetchIsRetriedOnTheNextCall) {
  int calls = 0;
  NonceManager nonces([&](const Address&) -> std::uint64_t {
    if (++calls == 1) throw std::runtime_error("node not reachable");
    return 5;
  });
  const Address a = prefundedAccount(2).address;
  EXPECT_THROW(nonces.next(a), std::runtime_error);
  EXPECT_EQ(nonces.next(a), 5u);
  EXPECT_EQ(nonces.next(a), 6u);
  EXPECT_EQ(calls, 2);
}

TEST(EthNonces, ConcurrentCallersGetDistinctContiguousNonces) {
  std::atomic<int> fetches{0};
  NonceManager nonces([&](const Address&) -> std::uint64_t {
    ++fetches;
    return 100;
  });
  const Address a = prefundedAccount(3).address;
  const Address b = prefundedAccount(4).address;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<std::uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) seen[t].push_back(nonces.next(t % 2 ? a : b));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::uint64_t> for_a, for_b;
  for (int t = 0; t < kThreads; ++t) (t % 2 ? for_a : for_b).insert(seen[t].begin(), seen[t].end());
  const std::size_t expected = kThreads / 2 * kPerThread;
  ASSERT_EQ(for_a.size(), expected);
  ASSERT_EQ(for_b.size(), expected);
  EXPECT_EQ(*for_a.begin(), 100u);
  EXPECT_EQ(*for_a.rbegin(), 100u + expected - 1);
  EXPECT_EQ(*for_b.rbegin(), 100u + expected - 1);
  EXPECT_EQ(fetches.load(), 2);
}

TEST(EthTransfers, CompleteAndSign) {
  const TestAccount& alice = prefundedAccount(1);
  const TestAccount& bob = prefundedAccount(0);
  Transfer t = transfer(alice, bob, 1_gwei);
  EXPECT_EQ(t.from, alice.address);
  EXPECT_EQ(t.to, bob.address);
  EXPECT_EQ(t.value, 1_gwei);
  EXPECT_EQ(t.gas_limit, kTransferGas);

  Fees fees{.max_fee_per_gas = 30_gwei, .max_priority_fee_per_gas = 1_gwei};
  Eip1559Tx tx = t.complete(1337, 4, fees);
  EXPECT_EQ(tx.chain_id, 1337u);
  EXPECT_EQ(tx.nonce, 4u);
  EXPECT_EQ(tx.to, bob.address);
  EXPECT_EQ(tx.max_fee_per_gas, 30_gwei);
  EXPECT_EQ(tx.max_priority_fee_per_gas, 1_gwei);
  EXPECT_TRUE(tx.data.empty());

  SignedTx signed_tx = t.sign(alice.key, 1337, 4, fees);
  SignedTx decoded = decodeTransaction(signed_tx.raw());
  EXPECT_EQ(decoded.sender(), alice.address);
  EXPECT_EQ(*decoded.eip1559(), tx);
  EXPECT_THROW(t.sign(bob.key, 1337, 4, fees), EthError);
  EXPECT_EQ(transfer(alice.address, Address(), 5_wei).value, 5);
}

}  // namespace
}  // namespace e2e::eth
