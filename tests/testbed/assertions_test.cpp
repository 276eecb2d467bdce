// The suites' assertions made to fail on purpose: each matcher or checker the e2e suites use
// is given a crafted input with one thing wrong (a wrong extraData, a wrong relay key, a
// rendered value changed, a dropped transaction, a boot over budget, another signer) and
// must say no, naming what is wrong; the same input with nothing wrong passes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures/hub/served_configuration.hpp"
#include "fixtures/l1/builder_bids.hpp"
#include "fixtures/orderflow/orderflow.hpp"
#include "fixtures/testbed/testbed_test.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/eth/keccak.hpp"
#include "tools/builder-standin/bid.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// What a matcher says when it does not match.
template <class M, class T>
std::string whyNot(const M& matcher, const T& value) {
  ::testing::StringMatchResultListener listener;
  ::testing::Matcher<const T&> m = matcher;
  EXPECT_FALSE(m.MatchAndExplain(value, &listener)) << "the matcher accepted it";
  return listener.str();
}

const std::string kRelayKey = "0x" + std::string(62, '3') + "07";
const std::string kCoinbaseKey = "0x6a4254d9cb2f348290f65002d4e45cb7a447f287ef03ac226a3710ee91c9bc80";

ServedConfiguration served() {
  return ServedConfiguration::parse(R"({"instance_name": "e2e-twin-builder",
    "rbuilder": {"extra_data": "BuilderNet e2e twin", "coinbase_secret_key": ")" + kCoinbaseKey +
                                        R"(", "relay_secret_key": ")" + kRelayKey + R"(",
                 "relays": [{"name": "local", "url": "http://10.0.2.2:5555"}]}})",
                                    "crafted");
}

TEST(ServedConfigurationTest, ReadsDottedPathsAndTheCoinbaseAddress) {
  auto c = served();
  EXPECT_EQ(c.value("rbuilder.relays.0.url"), "http://10.0.2.2:5555");
  EXPECT_EQ(c.value("rbuilder.relays.1.url"), std::nullopt);
  EXPECT_EQ(c.value("rbuilder"), std::nullopt) << "an object is not a scalar";
  EXPECT_EQ(c.coinbaseAddress(), "0x74085Fbe5108CF75F91951DDfD06d3f7d6890EF7") << "builder-config.md's example";
  EXPECT_THROW(c.require("rbuilder.nothing"), std::out_of_range);
  EXPECT_THROW(ServedConfiguration::parse("[1]", "crafted"), std::invalid_argument);
}

TEST(ServedConfigurationTest, SecretValuesAreEveryKeyAtASecretPathWithAndWithoutItsPrefix) {
  auto c = ServedConfiguration::parse(
      R"({"instance_name": "b", "disk_encryption": {"key": "passphrase"},
          "rbuilder": {"extra_data": "x", "coinbase_secret_key": "0xabcd", "relays": [{"name": "r", "url": "u"}]},
          "flowproxy": {"tokens": ["t"], "api_token": ""}})",
      "crafted");
  EXPECT_THAT(c.secretValues(), ::testing::UnorderedElementsAre("passphrase", "0xabcd", "abcd", "t"));
}

TEST(RenderedValuesTest, AChangedRenderedValueFailsAndAKeyIsNeverShown) {
  auto c = served();
  RenderedFile good{.path = "/etc/rbuilder-operator/config.toml",
                    .text = "extra_data = \"BuilderNet e2e twin\"\nrelay_secret_key = \"" + kRelayKey + "\"\n"};
  EXPECT_THAT(good, CarriesServedValue(c, "rbuilder.extra_data"));
  EXPECT_THAT(good, CarriesServedValue(c, "rbuilder.relay_secret_key"));

  RenderedFile changed = good;
  changed.text.replace(changed.text.find("e2e twin"), 8, "e2e twim");
  EXPECT_THAT(whyNot(CarriesServedValue(c, "rbuilder.extra_data"), changed),
              HasSubstr("does not carry rbuilder.extra_data = \"BuilderNet e2e twin\""));
  changed.text.replace(changed.text.find(kRelayKey), kRelayKey.size(), "0x" + std::string(64, '4'));
  auto why = whyNot(CarriesServedValue(c, "rbuilder.relay_secret_key"), changed);
  EXPECT_THAT(why, HasSubstr("secret, sha256 "));
  EXPECT_THAT(why, Not(HasSubstr(kRelayKey.substr(2, 20)))) << "a key's value is never shown";
  EXPECT_THAT(whyNot(CarriesServedValue(c, "rbuilder.missing"), good), HasSubstr("has no rbuilder.missing"));
}

TEST(BuiltWithTest, AWrongExtraDataOrCoinbaseFailsWhereTheChainShowsIt) {
  auto c = served();
  Environment on_chain;
  on_chain.expect.extra_data_on_chain = true;
  Block block;
  block.number = 12;
  block.miner = eth::Address::fromHex("0x74085Fbe5108CF75F91951DDfD06d3f7d6890EF7");
  const std::string extra = "BuilderNet e2e twin";
  block.extra_data = eth::Bytes(extra.begin(), extra.end());
  EXPECT_THAT(block, BuiltWith(c, on_chain));

  Block wrong_extra = block;
  const std::string other = "BuilderNet e2e twim";
  wrong_extra.extra_data = eth::Bytes(other.begin(), other.end());
  EXPECT_THAT(whyNot(BuiltWith(c, on_chain), wrong_extra), HasSubstr("extraData is \"BuilderNet e2e twim\""));
  Environment not_on_chain;
  not_on_chain.expect.extra_data_on_chain = false;
  EXPECT_THAT(wrong_extra, BuiltWith(c, not_on_chain)) << "extra_data_on_chain false: the chain cannot show it";

  Block wrong_coinbase = block;
  wrong_coinbase.miner = eth::prefundedAccount(1).address;
  EXPECT_THAT(whyNot(BuiltWith(c, not_on_chain), wrong_coinbase), HasSubstr("the served coinbase key's address is"));
}

// A record that matches: two blocks won since block 100, each delivered from the key and
// bid by it with the delivered value.
BuilderBidRecord goodRecord() {
  BuilderBidRecord r;
  r.configured_pubkey = standInRelayPubkey(kRelayKey);
  r.since_block = 100;
  r.chain_keeps_bid_hashes = true;
  for (std::uint64_t n : {104u, 109u}) {
    eth::Hash32 hash = eth::keccak256("block " + std::to_string(n));
    r.won.push_back({.number = n, .hash = hash, .tx_count = 3});
    RelayBid d{.slot = n, .block_hash = hash, .builder_pubkey = r.configured_pubkey, .value = eth::U256(1000 + n),
               .num_tx = 3, .block_number = n};
    r.delivered.push_back(d);
    r.bids.push_back(d);
    RelayBid lower = d;
    lower.value = eth::U256(10);
    lower.block_hash = eth::keccak256("an earlier bid " + std::to_string(n));
    r.bids.push_back(lower);
  }
  return r;
}

TEST(BuilderBidsTest, ARecordThatMatchesPasses) { EXPECT_THAT(goodRecord(), MatchesTheBuilder()); }

TEST(BuilderBidsTest, AWrongRelayKeyFails) {
  auto r = goodRecord();
  r.configured_pubkey = standInRelayPubkey("0x" + std::string(64, '5'));
  auto problems = builderBidProblems(r);
  ASSERT_THAT(problems, Not(IsEmpty()));
  EXPECT_THAT(problems[0], HasSubstr("among the configured key's"));
  EXPECT_THAT(whyNot(MatchesTheBuilder(), r), HasSubstr("not from the configured key"));
}

TEST(BuilderBidsTest, AWonBlockWithoutItsBidOrWithAnotherHashFails) {
  auto r = goodRecord();
  r.bids.erase(r.bids.begin());  // block 104's winning bid
  EXPECT_THAT(builderBidProblems(r), ElementsAre(HasSubstr("block 104 (slot 104): no bid from the configured key with value 1104")));
  r = goodRecord();
  r.delivered[1].block_hash = eth::keccak256("another block");
  EXPECT_THAT(builderBidProblems(r), Not(IsEmpty()));
  r = goodRecord();
  r.bids[2].block_hash = eth::keccak256("re-executed");
  EXPECT_THAT(builderBidProblems(r), SizeIs(1)) << "the chain keeps bid hashes: block 109's bid has another";
  r.chain_keeps_bid_hashes = false;
  EXPECT_THAT(builderBidProblems(r), IsEmpty()) << "where the chain re-executes, value and count decide";
}

TEST(BuilderBidsTest, NoBidSinceReadyOrNoBlockWonFails) {
  auto r = goodRecord();
  r.since_block = 200;
  r.won.clear();
  auto problems = builderBidProblems(r);
  EXPECT_THAT(problems, ElementsAre(HasSubstr("no bid from the configured key"), HasSubstr("no block with the builder's coinbase")));
}

TEST(BuilderBidsTest, TheStandInPubkeyIsTheBuilderStandInsOwn) {
  EXPECT_EQ(standInRelayPubkey(kRelayKey),
            standin::standInBuilderPubkey(standin::RelaySecretKey::fromHex(kRelayKey, "relay_secret_key")));
  EXPECT_THROW(standInRelayPubkey("0x1234"), std::invalid_argument);
}

FlowReport flow(std::size_t sent, std::size_t dropped, double seconds) {
  FlowReport r;
  for (std::size_t i = 0; i < sent; ++i) {
    FlowEntry e{.hash = eth::keccak256("tx " + std::to_string(i)), .in_bundle = i % 3 != 0,
                .sent_at = seconds * static_cast<double>(i) / static_cast<double>(sent)};
    if (i >= dropped) {
      e.block = 10 + i / 40;
      e.latency_seconds = 1.0 + static_cast<double>(i % 10) / 10;
    }
    r.bundled += e.in_bundle;
    r.entries.push_back(e);
  }
  r.sent = sent;
  r.included = sent - dropped;
  r.senders = 16;
  r.send_seconds = seconds;
  return r;
}

TEST(FlowTargetTest, ADroppedTransactionBelowNinetyNinePercentFails) {
  const FlowTarget target{.transactions_per_second = 20, .seconds = 60, .inclusion_ratio = 0.99};
  EXPECT_THAT(flow(1300, 0, 62), MeetsFlowTarget(target));
  EXPECT_THAT(flow(1300, 12, 62), MeetsFlowTarget(target)) << "99.1% included";
  EXPECT_THAT(whyNot(MeetsFlowTarget(target), flow(1300, 14, 62)), HasSubstr("1286 of 1300 included"));
}

TEST(FlowTargetTest, TooSlowTooShortOrOneKindOnlyFails) {
  const FlowTarget target{.transactions_per_second = 20, .seconds = 60, .inclusion_ratio = 0.99};
  EXPECT_THAT(whyNot(MeetsFlowTarget(target), flow(1100, 0, 62)), HasSubstr("transactions/s, the target is 20/s"));
  EXPECT_THAT(whyNot(MeetsFlowTarget(target), flow(1300, 0, 50)), HasSubstr("sent for 50.0s"));
  auto raw_only = flow(1300, 0, 62);
  raw_only.bundled = 0;
  EXPECT_THAT(whyNot(MeetsFlowTarget(target), raw_only), HasSubstr("no transaction was sent in a bundle"));
  auto few = flow(1300, 0, 62);
  few.senders = 2;
  EXPECT_THAT(whyNot(MeetsFlowTarget(target), few), HasSubstr("2 senders"));
}

TEST(FlowTargetTest, TheSummaryHasThePercentiles) {
  auto j = flow(1300, 0, 62).summaryJson();
  EXPECT_DOUBLE_EQ(j.at("latency_p50_seconds").get<double>(), 1.4);
  EXPECT_DOUBLE_EQ(j.at("latency_p99_seconds").get<double>(), 1.9);
  EXPECT_EQ(j.at("sent").get<std::size_t>(), 1300u);
}

TEST(BootBudgetTest, ABootOverTheBudgetFails) {
  EXPECT_THAT(212.4, WithinBootBudget(300));
  EXPECT_THAT(whyNot(WithinBootBudget(300), 300.5), HasSubstr("ready 300.5 s after its VM started"));
}

TEST(OrderflowSignerTest, TheLastStartLineGivesTheSignerAndAnotherAddressFails) {
  const std::string first = "0x1111111111111111111111111111111111111111";
  const std::string second = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";
  EXPECT_EQ(orderflowSignerFromLog({"INFO flowproxy: running with orderflow signer address=" + first,
                                    "INFO flowproxy: something else address=0x2222222222222222222222222222222222222222",
                                    R"({"message":"running with orderflow signer","address":")" + second + "\"}"}),
            second);
  EXPECT_EQ(orderflowSignerFromLog({"INFO flowproxy: started"}), std::nullopt);
  EXPECT_THAT(std::string("0xabcdef0123456789abcdef0123456789abcdef01"), IsSameAddressAs(second)) << "any letter case";
  EXPECT_THAT(first, Not(IsSameAddressAs(second)));
  EXPECT_THAT(std::string("not an address"), Not(IsSameAddressAs(second)));
}

TEST(BootTimelineTest, TheBootsTimelineKeepsItsStartsAndMarksLaterRestarts) {
  BootTimeline boot{.steps = {{.unit = "render-config", .started_s = 10.1, .finished_s = 13.4},
                              {.unit = "rbuilder-operator", .started_s = 26.0, .finished_s = 26.2}}};
  BootTimeline now = boot;
  now.steps[1].started_s = 99.6;  // restarted after the deactivation test
  now.steps[1].finished_s = 99.8;
  auto j = bootTimelineWithRestarts(boot, now);
  EXPECT_DOUBLE_EQ(j[1].at("started_s").get<double>(), 26.0);
  EXPECT_DOUBLE_EQ(j[1].at("last_restart_s").get<double>(), 99.6);
  EXPECT_FALSE(j[0].contains("last_restart_s"));
}

}  // namespace
}  // namespace bnet
