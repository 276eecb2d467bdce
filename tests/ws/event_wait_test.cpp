#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "fixtures/l1/l1_devnet.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/eth/transaction.hpp"
#include "tests/ws/anvil_on_port.hpp"
#include "framework/fs/fs.hpp"

namespace bnet::testing {
namespace {

using namespace e2e::eth::literals;
using std::chrono::seconds;

// Subscribed waits probe only every minute here, so a wait that ends within its 20 s
// deadline after a block mined later than its first probe was woken by the newHeads event.
constexpr std::chrono::milliseconds kNoPolling{60000};

using EventWaitTest = WsAnvilTest;

TEST_F(EventWaitTest, HeadWaitOptionsWakeALoopOnTheNextBlock) {
  ExecutionClient el({.url = anvil_->httpUrl(), .subscribed_poll_interval = kNoPolling});
  ASSERT_EQ(el.waitSource(), WaitSource::kSubscription) << el.whySource();
  std::mutex mu;
  std::condition_variable cv;
  bool first_probe_done = false;
  std::thread miner([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return first_probe_done; });
    mine();
  });
  int probes = 0;
  e2e::eventually("block 1 seen", e2e::Deadline::after(seconds(20)), [&] {
    ++probes;
    std::uint64_t head = el.blockNumber();
    if (probes == 1) {
      {
        std::lock_guard lock(mu);
        first_probe_done = true;
      }
      cv.notify_all();
    }
    return e2e::Attempt::check(head >= 1, fmt::format("head is {}", head));
  }, el.headWaitOptions());
  miner.join();
  EXPECT_GE(probes, 2);
  EXPECT_LE(probes, 3) << "woken by events other than the one block";
}

TEST_F(EventWaitTest, WaitForBlockWakesOnNewHeads) {
  ExecutionClient el({.url = anvil_->httpUrl(), .subscribed_poll_interval = kNoPolling});
  ASSERT_EQ(el.waitSource(), WaitSource::kSubscription) << el.whySource();
  std::thread miner([&] {
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a block producer's pace
      mine();
    }
  });
  Block block = el.waitForBlock(3, e2e::Deadline::after(seconds(20)));
  miner.join();
  EXPECT_EQ(block.number, 3u);
}

TEST_F(EventWaitTest, WaitForReceiptWakesOnTheIncludingBlock) {
  ExecutionClient el({.url = anvil_->httpUrl(), .subscribed_poll_interval = kNoPolling});
  ASSERT_EQ(el.waitSource(), WaitSource::kSubscription) << el.whySource();
  el.rpc().call("evm_setAutomine", nlohmann::json::array({false}));
  const auto& alice = e2e::eth::prefundedAccount(1);
  auto tx = e2e::eth::transfer(alice, e2e::eth::prefundedAccount(2), 1_gwei)
                .sign(alice.key, 1337, el.getTransactionCount(alice.address), el.suggestFees());
  el.sendRawTransaction(tx);
  std::thread miner([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a block producer's pace
    mine();
  });
  Receipt receipt = el.waitForReceipt(tx.hash(), e2e::Deadline::after(seconds(20)));
  miner.join();
  EXPECT_TRUE(receipt.status);
  EXPECT_EQ(receipt.block_number, 1u);
}

TEST_F(EventWaitTest, FallsBackToPollingWhenTheWebSocketIsRefused) {
  auto closed = e2e::reservePort();
  std::string refused = fmt::format("ws://127.0.0.1:{}", closed.port());
  ExecutionClient el({.url = anvil_->httpUrl(), .ws_url = refused});
  EXPECT_EQ(el.waitSource(), WaitSource::kPolling);
  EXPECT_NE(el.whySource().find(refused), std::string::npos) << el.whySource();
  mine();
  EXPECT_EQ(el.waitForBlock(1, e2e::Deadline::after(seconds(20))).number, 1u);
}

TEST_F(EventWaitTest, EmptyWsUrlMeansPolling) {
  ExecutionClient el({.url = anvil_->httpUrl(), .ws_url = ""});
  EXPECT_EQ(el.waitSource(), WaitSource::kPolling);
  mine();
  EXPECT_EQ(el.waitForBlock(1, e2e::Deadline::after(seconds(20))).number, 1u);
}

TEST_F(EventWaitTest, SubscribedWaitsSurviveAnAnvilRestart) {
  ExecutionClient el({.url = anvil_->httpUrl(), .subscribed_poll_interval = kNoPolling});
  ASSERT_EQ(el.waitSource(), WaitSource::kSubscription) << el.whySource();
  anvil_->stop();
  anvil_->start();  // a fresh chain at block 0; the client reconnects and subscribes again
  std::thread miner([&] {
    // Pace: the blocks come after the client has reconnected and renewed its subscription
    // (blocks mined earlier would be found by the wake-up that follows a reconnect).
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    mine();
    mine();
  });
  EXPECT_EQ(el.waitForBlock(2, e2e::Deadline::after(seconds(20))).number, 2u);
  miner.join();
}

// bnet-devnet (anvil + slot clock + beacon stand-in): slots wake on the SSE head stream,
// blocks on newHeads.
TEST(EventWaitDevnet, SlotAndBlockWaitsUseEvents) {
  L1DevnetConfig config{.mode = L1Mode::kLocal, .slot_seconds = 1, .devnet_program = e2e::inBuildTree(BNET_DEVNET_PROGRAM)};
  if (auto why = L1Devnet::unavailableReason(config)) GTEST_SKIP() << *why;
  L1Devnet devnet = L1Devnet::start(config);
  EXPECT_TRUE(devnet.beacon().headEventsActive());
  EXPECT_EQ(devnet.execution().waitSource(), WaitSource::kSubscription) << devnet.execution().whySource();
  auto deadline = e2e::Deadline::after(seconds(30));
  std::uint64_t slot = devnet.beacon().head().slot;
  EXPECT_GE(devnet.waitForSlot(slot + 2, deadline), slot + 2);

  auto& el = devnet.execution();
  const auto& alice = devnet.prefundedAccounts().at(3);
  auto tx = e2e::eth::transfer(alice, devnet.prefundedAccounts().at(4), 1_gwei)
                .sign(alice.key, devnet.chainId(), el.getTransactionCount(alice.address), el.suggestFees());
  el.sendRawTransaction(tx);
  Block block = devnet.waitForBlockIncluding(tx.hash(), deadline);
  EXPECT_TRUE(block.includes(tx.hash()));
}

}  // namespace
}  // namespace bnet::testing
