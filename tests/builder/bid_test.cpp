// Block assembly (ordering, bundles, nonces, gas), the order pool and the relay submission.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/eth/accounts.hpp"
#include "framework/eth/hex.hpp"
#include "tests/builder/tx_helpers.hpp"
#include "tools/builder-standin/bid.hpp"
#include "tools/builder-standin/order_pool.hpp"

namespace bnet::standin {
namespace {

namespace eth = e2e::eth;
using nlohmann::json;
using testing::kGwei;
using testing::transferTx;

const BlockContext kBlock{.number = 11, .timestamp = 1'700'000'120, .gas_limit = 30'000'000, .base_fee = U256(kGwei)};

Order single(std::uint64_t id, eth::SignedTx tx) {
  Order o;
  o.id = id;
  o.hash = tx.hash();
  o.txs.push_back(std::move(tx));
  return o;
}

Order bundle(std::uint64_t id, std::vector<eth::SignedTx> txs, std::uint64_t block_number = 0) {
  Order o;
  o.id = id;
  o.is_bundle = true;
  o.txs = std::move(txs);
  o.block_number = block_number;
  o.hash = bundleHashOf(o.txs);
  return o;
}

// Every sender's next nonce is 0 unless set.
struct Nonces {
  std::map<eth::Address, std::uint64_t> next;
  int lookups = 0;
  NonceLookup lookup() {
    return [this](const eth::Address& a) {
      ++lookups;
      auto it = next.find(a);
      return it == next.end() ? 0 : it->second;
    };
  }
};

std::vector<eth::Hash32> hashes(const AssembledBlock& b) {
  std::vector<eth::Hash32> out;
  for (const auto& tx : b.txs) out.push_back(tx.hash());
  return out;
}

TEST(AssembleBlock, OrdersByEffectivePriorityFee) {
  auto low = transferTx(1, 0, 1), high = transferTx(2, 0, 3), mid = transferTx(3, 0, 2);
  Nonces n;
  AssembledBlock b = assembleBlock({single(1, low), single(2, high), single(3, mid)}, kBlock, n.lookup());
  EXPECT_EQ(hashes(b), (std::vector{high.hash(), mid.hash(), low.hash()}));
  EXPECT_EQ(b.gas_used, 3u * 21'000);
  EXPECT_EQ(b.value, U256(6) * kGwei * 21'000);
  EXPECT_EQ(b.included, (std::vector<std::uint64_t>{2, 3, 1}));
}

TEST(AssembleBlock, TipIsCappedByMaxFeeMinusBaseFee) {
  auto capped = transferTx(1, 0, /*tip*/ 50, /*max fee*/ 3);  // pays 3 - 1 = 2 gwei
  auto plain = transferTx(2, 0, 2);
  ASSERT_EQ(effectivePriorityFee(capped, U256(kGwei)), U256(2) * kGwei);
  Nonces n;
  AssembledBlock b = assembleBlock({single(1, plain), single(2, capped)}, kBlock, n.lookup());
  EXPECT_EQ(hashes(b), (std::vector{plain.hash(), capped.hash()})) << "equal fees: arrival order";
}

TEST(AssembleBlock, LegacyTransactionsPayGasPriceMinusBaseFee) {
  auto legacy = testing::legacyTx(1, 0, 4);
  EXPECT_EQ(effectivePriorityFee(legacy, U256(kGwei)), U256(3) * kGwei);
  EXPECT_EQ(effectivePriorityFee(legacy, U256(5) * kGwei), std::nullopt);
}

TEST(AssembleBlock, SkipsTransactionsThatCannotPayTheBaseFee) {
  auto cheap = transferTx(1, 0, 1, /*max fee*/ 1);
  BlockContext expensive = kBlock;
  expensive.base_fee = U256(2) * kGwei;
  Nonces n;
  AssembledBlock b = assembleBlock({single(1, cheap)}, expensive, n.lookup());
  EXPECT_TRUE(b.txs.empty());
  EXPECT_TRUE(b.stale.empty()) << "it may land later when the base fee falls";
}

TEST(AssembleBlock, KeepsABundleTogetherAndInItsOrder) {
  auto b1 = transferTx(1, 0, 1), b2 = transferTx(2, 0, 9);  // the bundle averages 5 gwei
  auto single_high = transferTx(3, 0, 6), single_low = transferTx(4, 0, 4);
  Nonces n;
  AssembledBlock b =
      assembleBlock({single(1, single_low), bundle(2, {b1, b2}), single(3, single_high)}, kBlock, n.lookup());
  EXPECT_EQ(hashes(b), (std::vector{single_high.hash(), b1.hash(), b2.hash(), single_low.hash()}));
  EXPECT_EQ(b.bundles, 1u);
}

TEST(AssembleBlock, ChainsNoncesOfOneSenderAcrossOrders) {
  auto n0 = transferTx(1, 0, 1), n1 = transferTx(1, 1, 5), n2 = transferTx(1, 2, 3);
  Nonces n;
  AssembledBlock b = assembleBlock({single(1, n2), single(2, n1), single(3, n0)}, kBlock, n.lookup());
  EXPECT_EQ(hashes(b), (std::vector{n0.hash(), n1.hash(), n2.hash()}));
}

TEST(AssembleBlock, SkipsANonceGapAndDropsUsedNonces) {
  auto used = transferTx(1, 4, 9), next = transferTx(1, 5, 1), gap = transferTx(1, 7, 9);
  Nonces n;
  n.next[eth::prefundedAccount(1).address] = 5;
  AssembledBlock b = assembleBlock({single(1, used), single(2, next), single(3, gap)}, kBlock, n.lookup());
  EXPECT_EQ(hashes(b), std::vector{next.hash()});
  EXPECT_EQ(b.stale, std::vector<std::uint64_t>{1});
  EXPECT_EQ(n.lookups, 1) << "one lookup per sender";
}

TEST(AssembleBlock, ABundleWhoseNoncesDoNotFitIsLeftOutWhole) {
  auto ok = transferTx(2, 0, 1), wrong = transferTx(3, 1, 9);
  Nonces n;
  AssembledBlock b = assembleBlock({bundle(1, {ok, wrong})}, kBlock, n.lookup());
  EXPECT_TRUE(b.txs.empty());
  EXPECT_EQ(b.value, U256(0));
}

TEST(AssembleBlock, ABundleMayChainItsOwnSender) {
  auto a0 = transferTx(2, 0, 2), a1 = transferTx(2, 1, 2);
  Nonces n;
  AssembledBlock b = assembleBlock({bundle(1, {a0, a1})}, kBlock, n.lookup());
  EXPECT_EQ(hashes(b), (std::vector{a0.hash(), a1.hash()}));
}

TEST(AssembleBlock, RespectsTheGasLimit) {
  auto big = transferTx(1, 0, 5, 100, 50'000), small = transferTx(2, 0, 1);
  BlockContext tight = kBlock;
  tight.gas_limit = 60'000;
  Nonces n;
  AssembledBlock b = assembleBlock({single(1, big), single(2, small), single(3, transferTx(3, 0, 1))}, tight, n.lookup());
  EXPECT_EQ(hashes(b), std::vector{big.hash()});
  EXPECT_LE(b.gas_used, tight.gas_limit);
}

TEST(AssembleBlock, HonoursTargetBlockAndTimestamps) {
  auto now_tx = transferTx(1, 0, 1), later = transferTx(2, 0, 1), past = transferTx(3, 0, 1), late = transferTx(4, 0, 1);
  Order expired = single(4, late);
  expired.max_timestamp = kBlock.timestamp - 1;
  Order early = single(5, transferTx(5, 0, 1));
  early.min_timestamp = kBlock.timestamp + 1;
  Nonces n;
  AssembledBlock b = assembleBlock(
      {bundle(1, {now_tx}, kBlock.number), bundle(2, {later}, kBlock.number + 1), bundle(3, {past}, kBlock.number - 1),
       expired, early},
      kBlock, n.lookup());
  EXPECT_EQ(hashes(b), std::vector{now_tx.hash()});
  EXPECT_EQ(b.stale, (std::vector<std::uint64_t>{3, 4}));
}

TEST(BaseFee, FollowsEip1559) {
  EXPECT_EQ(nextBaseFee(15'000'000, 30'000'000, U256(1000)), U256(1000));
  EXPECT_EQ(nextBaseFee(30'000'000, 30'000'000, U256(1000)), U256(1125));
  EXPECT_EQ(nextBaseFee(0, 30'000'000, U256(1000)), U256(875));
  EXPECT_EQ(nextBaseFee(15'000'001, 30'000'000, U256(7)), U256(8)) << "grows by at least 1";
  EXPECT_EQ(nextGasLimit(30'000'000, 30'000'000), 30'000'000u);
  EXPECT_EQ(nextGasLimit(30'000'000, 36'000'000), 30'000'000u + 30'000'000 / 1024 - 1);
  EXPECT_EQ(nextGasLimit(30'000'000, 29'999'000), 29'999'000u);
}

TEST(FormatEther, PrintsLikeRbuilder) {
  EXPECT_EQ(formatEther(U256(0)), "0");
  EXPECT_EQ(formatEther(U256(21'000) * kGwei), "0.000021");
  EXPECT_EQ(formatEther(U256(eth::kWeiPerEther) * 3 / 2), "1.5");
}

TEST(OrderPool, ReplacesByUuidWithANewerNonceOnly) {
  OrderPool pool;
  auto now = std::chrono::steady_clock::now();
  auto signer = eth::prefundedAccount(5).address;
  auto make = [&](std::uint64_t nonce, eth::SignedTx tx) {
    Order o = bundle(0, {std::move(tx)});
    o.replacement_uuid = "550e8400-e29b-41d4-a716-446655440000";
    o.signing_address = signer;
    o.replacement_nonce = nonce;
    return o;
  };
  auto first = transferTx(1, 0, 1), second = transferTx(1, 0, 2), old = transferTx(1, 0, 3);
  EXPECT_EQ(pool.addBundle(make(10, first), now), PoolOutcome::kAdded);
  EXPECT_EQ(pool.addBundle(make(20, second), now), PoolOutcome::kReplaced);
  EXPECT_EQ(pool.addBundle(make(15, old), now), PoolOutcome::kStaleReplacement);
  ASSERT_EQ(pool.snapshot().size(), 1u);
  EXPECT_EQ(pool.snapshot()[0].txs[0].hash(), second.hash());
  Order cancel = make(30, first);
  cancel.txs.clear();
  EXPECT_EQ(pool.addBundle(cancel, now), PoolOutcome::kCancelled);
  EXPECT_TRUE(pool.snapshot().empty());
  EXPECT_EQ(pool.addBundle(make(25, old), now), PoolOutcome::kStaleReplacement) << "older than the cancellation";
  EXPECT_EQ(pool.addBundle(make(40, old), now), PoolOutcome::kAdded);
  EXPECT_TRUE(pool.cancel("550e8400-e29b-41d4-a716-446655440000", signer));
  EXPECT_FALSE(pool.cancel("550e8400-e29b-41d4-a716-446655440000", signer));
  EXPECT_EQ(pool.bundleCount(), 0u);
}

TEST(OrderPool, DeduplicatesAndPrunes) {
  OrderPool pool;
  auto t0 = std::chrono::steady_clock::now();
  auto tx = transferTx(1, 0, 1);
  EXPECT_EQ(pool.addTransaction(tx, t0), PoolOutcome::kAdded);
  EXPECT_EQ(pool.addTransaction(tx, t0), PoolOutcome::kDuplicate);
  EXPECT_EQ(pool.addBundle(bundle(0, {transferTx(2, 0, 1)}, 5), t0), PoolOutcome::kAdded);
  EXPECT_EQ(pool.addBundle(bundle(0, {transferTx(2, 0, 1)}, 5), t0), PoolOutcome::kDuplicate);
  EXPECT_EQ(pool.addBundle(bundle(0, {transferTx(2, 0, 1)}, 6), t0), PoolOutcome::kAdded);
  EXPECT_EQ(pool.transactionCount(), 1u);
  EXPECT_EQ(pool.bundleCount(), 2u);
  std::uint64_t v = pool.version();
  EXPECT_EQ(pool.prune(6, t0 + std::chrono::seconds(1), std::chrono::seconds(60)), 1u) << "the bundle for block 5";
  EXPECT_NE(pool.version(), v);
  EXPECT_EQ(pool.prune(6, t0 + std::chrono::seconds(61), std::chrono::seconds(60)), 1u) << "the expired transaction";
  EXPECT_EQ(pool.bundleCount(), 1u);
  EXPECT_EQ(pool.transactionCount(), 0u);
}

PayloadAttributes attributes() {
  return parsePayloadAttributes(R"({"version":"electra","data":{"proposer_index":"3","proposal_slot":"12",
    "parent_block_number":"10","parent_block_root":"0x1111111111111111111111111111111111111111111111111111111111111111",
    "parent_block_hash":"0x2222222222222222222222222222222222222222222222222222222222222222",
    "payload_attributes":{"timestamp":"1700000120",
      "prev_randao":"0x3333333333333333333333333333333333333333333333333333333333333333",
      "suggested_fee_recipient":"0x4444444444444444444444444444444444444444","withdrawals":[],
      "parent_beacon_block_root":"0x1111111111111111111111111111111111111111111111111111111111111111"}}})");
}

TEST(PayloadAttributesEvent, ParsesTheBeaconShape) {
  PayloadAttributes a = attributes();
  EXPECT_EQ(a.proposal_slot, 12u);
  EXPECT_EQ(a.parent_block_number, 10u);
  EXPECT_EQ(a.timestamp, 1'700'000'120u);
  EXPECT_EQ(a.version, "electra");
  EXPECT_EQ(a.suggested_fee_recipient.hex(), "0x4444444444444444444444444444444444444444");
  EXPECT_THROW(parsePayloadAttributes(R"({"data":{"proposal_slot":12}})"), std::invalid_argument);
  try {
    parsePayloadAttributes(R"({"data":{"proposal_slot":"12","proposer_index":"1"}})");
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("parent_block_root missing"));
  }
}

TEST(ProposerDuties, ParseTheRelayValidatorsAnswer) {
  auto duties = parseProposerDuties(R"([{"slot":"12","validator_index":"3","entry":{"message":{
    "fee_recipient":"0x5555555555555555555555555555555555555555","gas_limit":"30000000","timestamp":"1700000000",
    "pubkey":"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    "signature":"0x00"}}])");
  ASSERT_EQ(duties.count(12), 1u);
  EXPECT_EQ(duties[12].gas_limit, 30'000'000u);
  EXPECT_EQ(duties[12].fee_recipient.hex(), "0x5555555555555555555555555555555555555555");
  EXPECT_THROW(parseProposerDuties(R"([{"slot":"x"}])"), std::invalid_argument);
}

// Found by fuzz_builder_inputs (tests/fuzz/corpus/builder_inputs/crash-fa7e2d8d...): a number
// beyond the range of a double escaped as json out_of_range instead of std::invalid_argument.
TEST(PayloadAttributesEvent, NumberTooLargeForADoubleIsMalformed) {
  EXPECT_THROW(parsePayloadAttributes(R"({"version":"electra","data":{"proposal_slot":1e999}})"), std::invalid_argument);
  EXPECT_THROW(parseProposerDuties("[1e999]"), std::invalid_argument);
}

TEST(Submission, HasTheRelayFieldNamesAndStringNumbers) {
  auto t1 = transferTx(1, 0, 3), t2 = transferTx(2, 0, 2);
  Nonces n;
  AssembledBlock content = assembleBlock({bundle(1, {t1, t2})}, kBlock, n.lookup());
  RelaySecretKey key = RelaySecretKey::fromHex("0x5eae315483f028b5cdd5d1090ff0c7618b18737ea9bf3c35047189db22835c48", "k");
  ProposerDuty duty{.slot = 12,
                    .pubkey = "0x" + std::string(96, 'a'),
                    .fee_recipient = eth::Address::fromHex("0x5555555555555555555555555555555555555555"),
                    .gas_limit = 30'000'000};
  auto coinbase = eth::prefundedAccount(0).address;
  Bid bid = makeBid(attributes(), duty, kBlock, coinbase, "Playground VM Builder ⚡🤖", content, key);
  json s = json::parse(submissionJson(bid, key).dump());

  const json& m = s.at("message");
  EXPECT_EQ(m.at("slot"), "12");
  EXPECT_EQ(m.at("parent_hash"), "0x2222222222222222222222222222222222222222222222222222222222222222");
  EXPECT_EQ(m.at("block_hash"), bid.block_hash.hex());
  EXPECT_EQ(m.at("builder_pubkey"), standInBuilderPubkey(key));
  EXPECT_EQ(m.at("proposer_pubkey"), duty.pubkey);
  EXPECT_EQ(m.at("proposer_fee_recipient"), "0x5555555555555555555555555555555555555555");
  EXPECT_EQ(m.at("gas_limit"), "30000000");
  EXPECT_EQ(m.at("gas_used"), "42000");
  EXPECT_EQ(m.at("value"), eth::toDecimal(U256(5) * kGwei * 21'000));

  const json& p = s.at("execution_payload");
  EXPECT_EQ(p.at("fee_recipient"), coinbase.hex());
  EXPECT_EQ(p.at("block_number"), "11");
  EXPECT_EQ(p.at("timestamp"), "1700000120");
  EXPECT_EQ(p.at("prev_randao"), "0x3333333333333333333333333333333333333333333333333333333333333333");
  EXPECT_EQ(p.at("extra_data"), eth::toHex(std::string_view("Playground VM Builder ⚡🤖")));
  EXPECT_EQ(p.at("base_fee_per_gas"), "1000000000");
  EXPECT_EQ(p.at("block_hash"), m.at("block_hash"));
  EXPECT_EQ(p.at("transactions"), (json{t1.rawHex(), t2.rawHex()}));
  EXPECT_EQ(p.at("withdrawals"), json::array());
  EXPECT_EQ(p.at("logs_bloom").get<std::string>().size(), 2u + 512u);
  for (const char* f : {"state_root", "receipts_root", "gas_limit", "gas_used", "blob_gas_used", "excess_blob_gas"}) {
    EXPECT_TRUE(p.at(f).is_string()) << f;
  }
  EXPECT_TRUE(s.at("blobs_bundle").at("commitments").is_array());
  EXPECT_EQ(s.at("signature").get<std::string>().size(), 2u + 192u);
  EXPECT_EQ(s.at("signature"), standInBidSignature(key, bid.block_hash));

  Bid other = makeBid(attributes(), duty, kBlock, coinbase, "x", content, key);
  EXPECT_NE(other.block_hash, bid.block_hash) << "the stand-in block hash covers extra_data";
}

}  // namespace
}  // namespace bnet::standin
