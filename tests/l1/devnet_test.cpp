// The local L1 (bnet-devnet: anvil + slot clock + relay and beacon stand-ins) through the
// L1Devnet fixture, the Relay observer and the BeaconClient (label integration).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "fixtures/l1/bid_submission.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/http/http_client.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using namespace e2e::eth::literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kBuilderPubkey =
    "0xa1885d66bef164889a2e35845c3b626545d7b0e513efe335e97c3a45e534013fa3bc38c3b7e6143695aecc4872ac52c4";

L1DevnetConfig localConfig() {
  return L1DevnetConfig{.mode = L1Mode::kLocal, .slot_seconds = 2, .devnet_program = e2e::inBuildTree(BNET_DEVNET_PROGRAM)};
}

class LocalDevnet : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = L1Devnet::unavailableReason(localConfig())) GTEST_SKIP() << *why;
    devnet_.emplace(L1Devnet::start(localConfig()));
  }
  void TearDown() override { devnet_.reset(); }

  // The next payload_attributes event whose slot the relay will still accept.
  PayloadAttributesEvent nextAttributes(e2e::SseClient& events) {
    auto deadline = e2e::Deadline::after(std::chrono::seconds(10));
    auto event = events.waitForEvent("payload_attributes", [](const e2e::SseEvent& e) { return e.type == "payload_attributes"; },
                                     deadline);
    return parsePayloadAttributesEvent(event.data);
  }

  e2e::HttpResponse submit(const json& body) {
    e2e::HttpClient http({.base_url = devnet_->endpoints().relay_url});
    return http.post("/relay/v1/builder/blocks", body.dump(), {{"Content-Type", "application/json"}});
  }

  BidSubmission bidFor(const PayloadAttributesEvent& attrs) {
    BidSubmission bid = BidSubmission::forAttributes(attrs);
    bid.builder_pubkey = kBuilderPubkey;
    bid.proposer_pubkey = "0x" + std::string(96, '1');
    bid.fee_recipient = eth::prefundedAccount(0).address;
    bid.value = 1_gwei;
    bid.extra_data = "bnet test builder";
    return bid;
  }

  std::optional<L1Devnet> devnet_;
};

TEST(LocalDevnetStart, ColdStartToFirstBlock) {
  if (auto why = L1Devnet::unavailableReason(localConfig())) GTEST_SKIP() << *why;
  auto started = std::chrono::steady_clock::now();
  L1Devnet devnet = L1Devnet::start(localConfig());
  auto ready = std::chrono::steady_clock::now() - started;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ready).count();
  std::cout << "bnet-devnet cold start to first block (JSON-RPC and beacon): " << ms << " ms\n";
  ::testing::Test::RecordProperty("cold_start_to_first_block_ms", static_cast<int>(ms));
  EXPECT_GE(devnet.execution().blockNumber(), 1u);
  EXPECT_GE(devnet.beacon().head().slot, 1u);
  EXPECT_EQ(devnet.chainId(), 1337u);
  EXPECT_EQ(devnet.execution().chainId(), 1337u);
  EXPECT_EQ(devnet.slotSeconds(), 2u);
  EXPECT_EQ(devnet.beacon().secondsPerSlot(), 2u);
  EXPECT_EQ(devnet.beacon().genesisTime(), devnet.genesisTime());
  auto syncing = devnet.beacon().syncing();
  EXPECT_FALSE(syncing.is_syncing);
  Block first = devnet.execution().waitForBlock(1, e2e::Deadline::after(std::chrono::seconds(5)));
  EXPECT_EQ(first.timestamp, devnet.genesisTime() + devnet.slotSeconds());
  EXPECT_EQ(first.miner, eth::Address::fromHex("0x690B9A9E9aa1C9dB991C7721a92d351Db4FaC990"));
  EXPECT_TRUE(devnet.relay().statusOk());
}

TEST_F(LocalDevnet, PlainBlocksFollowTheSlotClock) {
  std::uint64_t slot = devnet_->waitForSlot(3, e2e::Deadline::after(std::chrono::seconds(10)));
  EXPECT_GE(slot, 3u);
  Block b = devnet_->waitForBlock(3, e2e::Deadline::after(std::chrono::seconds(5)));
  EXPECT_EQ(b.timestamp, devnet_->genesisTime() + 3 * devnet_->slotSeconds());
}

TEST_F(LocalDevnet, SseDeliversPayloadAttributesForEachSlot) {
  e2e::SseClient events = devnet_->beacon().subscribe("head,payload_attributes");
  PayloadAttributesEvent first = nextAttributes(events);
  PayloadAttributesEvent second = nextAttributes(events);
  EXPECT_EQ(second.proposal_slot, first.proposal_slot + 1);
  EXPECT_EQ(second.version, "electra");
  EXPECT_EQ(second.timestamp, devnet_->genesisTime() + second.proposal_slot * devnet_->slotSeconds());
  EXPECT_EQ(second.suggested_fee_recipient, eth::Address::fromHex("0x690B9A9E9aa1C9dB991C7721a92d351Db4FaC990"));
  EXPECT_EQ(second.withdrawals, 0u);
  // parent_block_hash is the chain head the attributes build on.
  auto parent = devnet_->execution().getBlockByNumber(second.parent_block_number);
  ASSERT_TRUE(parent.has_value());
  EXPECT_EQ(parent->hash, second.parent_block_hash);
  EXPECT_EQ(second.parent_block_number + 1, second.proposal_slot);
  auto head = events.waitForEvent("head", [](const e2e::SseEvent& e) { return e.type == "head"; },
                                  e2e::Deadline::after(std::chrono::seconds(5)));
  EXPECT_GE(parseHeadEvent(head.data).slot, first.proposal_slot - 1);
}

TEST_F(LocalDevnet, HandMadeBidBecomesTheNextBlock) {
  const auto& alice = eth::prefundedAccount(1);
  const auto& bob = eth::prefundedAccount(2);
  e2e::SseClient events = devnet_->beacon().subscribe("payload_attributes");
  PayloadAttributesEvent attrs = nextAttributes(events);
  std::uint64_t nonce = devnet_->execution().getTransactionCount(alice.address, "pending");
  eth::Fees fees{.max_fee_per_gas = 100_gwei, .max_priority_fee_per_gas = 2_gwei};
  std::vector<eth::SignedTx> txs;
  for (int i = 0; i < 3; ++i) txs.push_back(eth::transfer(alice, bob, eth::U256(1000 + i)).sign(alice.key, 1337, nonce + i, fees));
  // A legacy transaction from another sender between them, to check the order is kept.
  const auto& carol = eth::prefundedAccount(3);
  txs.insert(txs.begin() + 1,
             eth::signTransaction(eth::LegacyTx{.nonce = devnet_->execution().getTransactionCount(carol.address, "pending"),
                                                .gas_price = 50_gwei,
                                                .to = bob.address,
                                                .value = 7,
                                                .chain_id = 1337},
                                  carol.key));
  BidSubmission bid = bidFor(attrs);
  bid.withTransactions(txs);
  auto response = submit(bid.toJson());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "");

  Block block = devnet_->waitForBlockIncluding(txs[0].hash(), e2e::Deadline::after(std::chrono::seconds(10)));
  EXPECT_EQ(block.number, attrs.parent_block_number + 1);
  EXPECT_EQ(block.parent_hash, attrs.parent_block_hash);
  EXPECT_EQ(block.miner, bid.fee_recipient);
  EXPECT_EQ(block.timestamp, attrs.timestamp);
  std::vector<eth::Hash32> expected;
  for (const auto& tx : txs) expected.push_back(tx.hash());
  EXPECT_EQ(block.transaction_hashes, expected);
  for (const auto& tx : txs) {
    auto receipt = devnet_->execution().getTransactionReceipt(tx.hash());
    ASSERT_TRUE(receipt.has_value());
    EXPECT_EQ(receipt->from, tx.sender());
  }

  // proposer_payload_delivered reports the hash the chain has at that number.
  RelayBid delivered = devnet_->relay().waitForPayloadDelivered(block.number, e2e::Deadline::after(std::chrono::seconds(5)));
  EXPECT_EQ(delivered.block_hash, block.hash);
  EXPECT_EQ(delivered.block_number, block.number);
  EXPECT_EQ(delivered.slot, attrs.proposal_slot);
  EXPECT_EQ(delivered.builder_pubkey, kBuilderPubkey);
  EXPECT_EQ(delivered.value, 1_gwei);
  EXPECT_EQ(delivered.num_tx, txs.size());

  // builder_blocks_received returns the bid with the real field names and string numbers.
  e2e::HttpClient http({.base_url = devnet_->endpoints().relay_url});
  auto raw = http.send({.target = "/relay/v1/data/bidtraces/builder_blocks_received",
                        .query = {{"slot", std::to_string(attrs.proposal_slot)}}});
  ASSERT_EQ(raw.status, 200);
  json received = json::parse(raw.body);
  ASSERT_EQ(received.size(), 1u);
  for (const char* field : {"slot", "parent_hash", "block_hash", "builder_pubkey", "proposer_pubkey",
                            "proposer_fee_recipient", "gas_limit", "gas_used", "value", "num_tx", "block_number",
                            "timestamp", "timestamp_ms"}) {
    ASSERT_TRUE(received[0].contains(field)) << field;
    EXPECT_TRUE(received[0][field].is_string()) << field;
  }
  EXPECT_TRUE(received[0]["optimistic_submission"].is_boolean());
  EXPECT_EQ(received[0]["slot"], std::to_string(attrs.proposal_slot));
  EXPECT_EQ(received[0]["value"], "1000000000");
  EXPECT_EQ(received[0]["num_tx"], "4");
  auto by_builder = devnet_->relay().bidsReceived({.builder_pubkey = kBuilderPubkey});
  ASSERT_FALSE(by_builder.empty());
  EXPECT_EQ(by_builder[0].slot, attrs.proposal_slot);
}

TEST_F(LocalDevnet, BadSubmissionsAreRejectedWithTheRelaysErrors) {
  e2e::SseClient events = devnet_->beacon().subscribe("payload_attributes");
  PayloadAttributesEvent attrs = nextAttributes(events);
  const auto& alice = eth::prefundedAccount(4);
  eth::SignedTx tx = eth::transfer(alice, alice, 1_wei).sign(
      alice.key, 1337, devnet_->execution().getTransactionCount(alice.address),
      eth::Fees{.max_fee_per_gas = 100_gwei, .max_priority_fee_per_gas = 1_gwei});
  auto expectError = [&](const json& body, const std::string& message) {
    auto r = submit(body);
    EXPECT_EQ(r.status, 400) << message;
    json error = json::parse(r.body, nullptr, false);
    EXPECT_EQ(error.value("code", 0), 400) << r.body;
    EXPECT_THAT(error.value("message", ""), HasSubstr(message)) << r.body;
  };

  e2e::HttpClient http({.base_url = devnet_->endpoints().relay_url});
  auto bad_json = http.post("/relay/v1/builder/blocks", "{\"message\": ", {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_THAT(bad_json.body, HasSubstr("invalid JSON"));

  json missing = bidFor(attrs).withTransactions({tx}).toJson();
  missing["execution_payload"].erase("transactions");
  expectError(missing, "transactions missing");
  missing = bidFor(attrs).withTransactions({tx}).toJson();
  missing.erase("signature");
  expectError(missing, "signature missing");

  BidSubmission past = bidFor(attrs).withTransactions({tx});
  past.slot = attrs.proposal_slot - 1;
  expectError(past.toJson(), "submission for past slot");

  BidSubmission wrong_parent = bidFor(attrs).withTransactions({tx});
  wrong_parent.parent_hash = eth::Hash32::fromHex("0x" + std::string(64, '9'));
  expectError(wrong_parent.toJson(), "payload attributes not (yet) known");

  BidSubmission wrong_fee = bidFor(attrs).withTransactions({tx});
  wrong_fee.proposer_fee_recipient = alice.address;
  expectError(wrong_fee.toJson(), "fee recipient does not match");

  BidSubmission wrong_time = bidFor(attrs).withTransactions({tx});
  wrong_time.timestamp += 1;
  expectError(wrong_time.toJson(), "incorrect timestamp");

  BidSubmission zero = bidFor(attrs).withTransactions({tx});
  zero.value = 0;
  auto dropped = submit(zero.toJson());
  EXPECT_EQ(dropped.status, 200);
  EXPECT_EQ(dropped.body, "");
  EXPECT_TRUE(devnet_->relay().bidsReceived({.slot = attrs.proposal_slot}).empty());
  EXPECT_THAT(e2e::HttpClient({.base_url = devnet_->endpoints().relay_url})
                  .get("/relay/v1/data/bidtraces/builder_blocks_received")
                  .body,
              HasSubstr("need to query for specific slot or block_hash or block_number or builder_pubkey"));
}

}  // namespace
}  // namespace bnet
