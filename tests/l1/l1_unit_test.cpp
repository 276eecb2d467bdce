// Parsers and the relay's rules, without processes (label unit).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "fixtures/l1/bid_submission.hpp"
#include "fixtures/l1/execution_client.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "fixtures/l1/relay.hpp"
#include "framework/eth/accounts.hpp"
#include "tools/devnet/common.hpp"
#include "tools/devnet/relay.hpp"
#include "tools/devnet/submission.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using nlohmann::json;
using ::testing::HasSubstr;

json blockJson() {
  return json{{"number", "0x5"},
              {"hash", "0x" + std::string(64, '1')},
              {"parentHash", "0x" + std::string(64, '2')},
              {"miner", "0x690b9a9e9aa1c9db991c7721a92d351db4fac990"},
              {"extraData", "0x506c617967726f756e64204275696c64657220e29aa1f09fa496"},
              {"gasUsed", "0x5208"},
              {"gasLimit", "0x1c9c380"},
              {"timestamp", "0x6553f10c"},
              {"baseFeePerGas", "0x3b9aca00"},
              {"mixHash", "0x" + std::string(64, '3')},
              {"transactions", json::array({"0x" + std::string(64, '4')})}};
}

TEST(ExecutionClientParsing, ReadsABlockWithExtraDataAsText) {
  Block b = rpc_json::block(blockJson(), "test");
  EXPECT_EQ(b.number, 5u);
  EXPECT_EQ(b.gas_used, 21000u);
  EXPECT_EQ(b.timestamp, 0x6553f10cu);
  EXPECT_EQ(b.miner, eth::Address::fromHex("0x690b9a9e9aa1c9db991c7721a92d351db4fac990"));
  EXPECT_EQ(b.extraDataText(), "Playground Builder \xE2\x9A\xA1\xF0\x9F\xA4\x96");
  ASSERT_EQ(b.transaction_hashes.size(), 1u);
  EXPECT_EQ(*b.base_fee_per_gas, eth::U256(1'000'000'000));
}

TEST(ExecutionClientParsing, MalformedQuantityIsAnErrorNamingTheField) {
  for (const char* bad : {"0x", "0x01", "12", "0xzz", ""}) {
    json j = blockJson();
    j["gasUsed"] = bad;
    try {
      rpc_json::block(j, "eth_getBlockByNumber");
      FAIL() << "accepted gasUsed " << bad;
    } catch (const ExecutionClientError& e) {
      EXPECT_THAT(e.what(), HasSubstr("'gasUsed'"));
      EXPECT_THAT(e.what(), HasSubstr("eth_getBlockByNumber"));
    }
  }
  json j = blockJson();
  j.erase("number");
  EXPECT_THROW(rpc_json::block(j, "x"), ExecutionClientError);
  j = blockJson();
  j["timestamp"] = 5;
  EXPECT_THROW(rpc_json::block(j, "x"), ExecutionClientError);
}

TEST(ExecutionClientParsing, InvalidUtf8ExtraDataIsReplacedNotDropped) {
  json j = blockJson();
  j["extraData"] = "0x41ff42";
  EXPECT_EQ(rpc_json::block(j, "x").extraDataText(), "A\xEF\xBF\xBD" "B");
}

TEST(RelayLogParsing, ReadsReceivedBlockFromBuilderLines) {
  std::string line =
      R"(time="2026-03-04T10:00:00Z" level=info msg="received block from builder" blockHash=0x)" + std::string(64, 'a') +
      " builderPubkey=0x" + std::string(96, 'b') + R"( headSlot=4 method=submitNewBlock numTx=2 slot=5 value=12345 x="a \"q\" b")";
  auto parsed = parseLogrusLine(line);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->level, "info");
  EXPECT_EQ(parsed->msg, "received block from builder");
  EXPECT_EQ(parsed->fields.at("x"), "a \"q\" b");
  auto bid = parseReceivedBlockLine(line);
  ASSERT_TRUE(bid.has_value());
  EXPECT_TRUE(bid->from_log);
  EXPECT_EQ(bid->slot, 5u);
  EXPECT_EQ(bid->num_tx, 2u);
  EXPECT_EQ(bid->value, eth::U256(12345));
  EXPECT_EQ(bid->builder_pubkey, "0x" + std::string(96, 'b'));
  EXPECT_FALSE(parseReceivedBlockLine(R"(time="x" level=info msg="request finished")").has_value());
  EXPECT_THROW(parseReceivedBlockLine(R"(level=info msg="received block from builder" slot=abc)"), RelayError);
}

TEST(RelayLogParsing, TheDevnetsLinesParseBack) {
  std::string line = devnet::Logger::format("info", "received block from builder",
                                            {{"slot", "9"},
                                             {"blockHash", "0x" + std::string(64, 'c')},
                                             {"builderPubkey", "0x" + std::string(96, 'd')},
                                             {"value", "77"},
                                             {"numTx", "3"}});
  EXPECT_THAT(line, ::testing::StartsWith("time=\""));
  auto bid = parseReceivedBlockLine(line);
  ASSERT_TRUE(bid.has_value());
  EXPECT_EQ(bid->slot, 9u);
  EXPECT_EQ(bid->num_tx, 3u);
}

TEST(PlaygroundOutput, FindsTheReadyMarkerAndServicePorts) {
  std::string log =
      "Session ID: major-hawk\nOutput folder: /tmp/x\nWaiting for services to get healthy... \xE2\x8F\xB3\n"
      "All services started! \xE2\x9C\x85\n"
      "2026-03-04 10:00:00 \x1b[32mINF\x1b[0m \xE2\x80\xA2 el image=ghcr.io/paradigmxyz/reth tag=v1.9.3 authrpc=8551/8551 "
      "http=8545/18545 metrics=9090/9091 rpc=30303/30303 ws=8546/8546\n"
      "\xE2\x80\xA2 beacon image=sigp/lighthouse tag=v8.1.0 http=3500/13500 p2p=9000/9000 p2p=9000/9000/udp\n"
      "\xE2\x80\xA2 rbuilder host_path=/usr/bin/rbuilder http=8645/8645\n"
      "2026-03-04 10:00:01 INF All services are healthy! Ready to accept transactions. \xF0\x9F\x9A\x80 session-id=major-hawk\n"
      "\xE2\x80\xA2 builder-hub-proxy: http://localhost:8888\n";
  EXPECT_EQ(parsePlaygroundReadyMarker(log), "major-hawk");
  EXPECT_FALSE(parsePlaygroundReadyMarker("Waiting for services to get healthy...").has_value());
  PlaygroundPorts ports = parsePlaygroundServiceLines(log);
  EXPECT_EQ(hostPortOf(ports, "el", 8545), 18545);
  EXPECT_EQ(hostPortOf(ports, "beacon", 3500), 13500);
  EXPECT_EQ(hostPortOf(ports, "beacon", 9000), 9000);
  EXPECT_EQ(hostPortOf(ports, "rbuilder", 8645), 8645);
  EXPECT_FALSE(ports.count("builder-hub-proxy:"));
  EXPECT_FALSE(hostPortOf(ports, "mev-boost-relay", 5555).has_value());
}

TEST(PlaygroundOutput, ReadsPortsFromDockerCompose) {
  auto file = std::filesystem::temp_directory_path() / fmt::format("bnet-compose-{}.yaml", ::getpid());
  std::ofstream(file) << "networks:\n  builder-playground-x:\n    name: builder-playground-x\nservices:\n"
                         "  el:\n    image: ghcr.io/paradigmxyz/reth:v1.9.3\n    ports:\n    - 127.0.0.1:18545:8545\n"
                         "    - 127.0.0.1:30303:30303/udp\n  mev-boost-relay:\n    ports:\n    - 15555:5555\n"
                         "  validator:\n    image: sigp/lighthouse:v8.1.0\nvolumes: {}\n";
  PlaygroundPorts ports = parseComposePorts(file);
  std::filesystem::remove(file);
  EXPECT_EQ(hostPortOf(ports, "el", 8545), 18545);
  EXPECT_FALSE(hostPortOf(ports, "el", 30303).has_value());  // udp only
  EXPECT_EQ(hostPortOf(ports, "mev-boost-relay", 5555), 15555);
  EXPECT_TRUE(ports.at("validator").empty());
  EXPECT_THROW(parseComposePorts("/nonexistent/docker-compose.yaml"), std::runtime_error);
}

// --- the devnet relay's rules, driven directly ---------------------------------------------

class DevnetRelayRules : public ::testing::Test {
 protected:
  DevnetRelayRules()
      : params_{.chain_id = 1337,
                .genesis_time = 1'000'000,
                .slot_seconds = 2,
                .proposer_fee_recipient = eth::Address::fromHex("0x690b9a9e9aa1c9db991c7721a92d351db4fac990")},
        relay_(params_, log_) {
    attrs_ = devnet::PayloadAttributes{.proposal_slot = 6,
                                       .proposer_index = 6,
                                       .parent_block_number = 5,
                                       .parent_block_hash = eth::Hash32::fromHex("0x" + std::string(64, '5')),
                                       .timestamp = params_.slotTime(6),
                                       .prev_randao = eth::Hash32::fromHex("0x" + std::string(64, '7')),
                                       .suggested_fee_recipient = params_.proposer_fee_recipient};
    relay_.closeSlot(5, attrs_.parent_block_hash);
    relay_.announce(attrs_);
  }

  BidSubmission bid(std::uint64_t value) const {
    BidSubmission s;
    s.slot = 6;
    s.parent_hash = attrs_.parent_block_hash;
    s.block_number = 6;
    s.timestamp = attrs_.timestamp;
    s.prev_randao = attrs_.prev_randao;
    s.fee_recipient = eth::prefundedAccount(0).address;
    s.proposer_fee_recipient = params_.proposer_fee_recipient;
    s.proposer_pubkey = devnet::validatorPubkey(6);
    s.builder_pubkey = "0x" + std::string(96, 'b');
    s.value = value;
    s.transactions = {eth::Bytes{0x02, 0x01}, eth::Bytes{0x02, 0x02}};
    return s;
  }
  devnet::HttpReply submit(const json& j) { return relay_.submitBlock(j.dump(), {}); }
  static std::string message(const devnet::HttpReply& r) { return json::parse(r.body).at("message"); }

  devnet::ChainParams params_;
  devnet::Logger log_;
  devnet::Relay relay_;
  devnet::PayloadAttributes attrs_;
};

TEST_F(DevnetRelayRules, AcceptsAWellFormedBidWithAnEmptyBody) {
  auto r = submit(bid(100).toJson());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  auto received = json::parse(relay_.builderBlocksReceived({{"slot", "6"}}).body);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["slot"], "6");
  EXPECT_EQ(received[0]["value"], "100");
  EXPECT_EQ(received[0]["num_tx"], "2");
  EXPECT_EQ(received[0]["block_number"], "6");
  EXPECT_TRUE(received[0]["timestamp_ms"].is_string());
  EXPECT_EQ(received[0]["optimistic_submission"], false);
}

TEST_F(DevnetRelayRules, RejectsWithTheRelaysMessages) {
  EXPECT_EQ(message(relay_.submitBlock("{not json", {})).substr(0, 12), "invalid JSON");
  json j = bid(1).toJson();
  j.erase("message");
  EXPECT_EQ(message(submit(j)), "message missing");
  j = bid(1).toJson();
  j["message"].erase("slot");
  EXPECT_EQ(message(submit(j)), "slot missing");
  j = bid(1).toJson();
  j["execution_payload"].erase("fee_recipient");
  EXPECT_EQ(message(submit(j)), "fee recipient missing");
  j = bid(1).toJson();
  j["signature"] = "0x1234";
  EXPECT_EQ(message(submit(j)), "incorrect length for signature");
  j = bid(1).toJson();
  j["message"]["slot"] = 6;
  EXPECT_THAT(message(submit(j)), HasSubstr("invalid value for slot"));

  BidSubmission past = bid(1);
  past.slot = 5;
  auto r = submit(past.toJson());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body), (json{{"code", 400}, {"message", "submission for past slot"}}));

  BidSubmission ts = bid(1);
  ts.timestamp += 1;
  EXPECT_EQ(message(submit(ts.toJson())), fmt::format("incorrect timestamp. got {}, expected {}", ts.timestamp, ts.timestamp - 1));

  BidSubmission fee = bid(1);
  fee.proposer_fee_recipient = eth::prefundedAccount(1).address;
  EXPECT_EQ(message(submit(fee.toJson())), "fee recipient does not match");

  BidSubmission parent = bid(1);
  parent.parent_hash = eth::Hash32::fromHex("0x" + std::string(64, '9'));
  EXPECT_EQ(message(submit(parent.toJson())), "payload attributes not (yet) known");

  BidSubmission randao = bid(1);
  randao.prev_randao = eth::Hash32::fromHex("0x" + std::string(64, '8'));
  EXPECT_THAT(message(submit(randao.toJson())), HasSubstr("incorrect prev_randao"));

  j = bid(1).toJson();
  j["message"]["block_hash"] = "0x" + std::string(64, 'e');
  EXPECT_EQ(message(submit(j)), "blockHash mismatch");
  EXPECT_EQ(json::parse(relay_.builderBlocksReceived({{"slot", "6"}}).body).size(), 0u);
}

TEST_F(DevnetRelayRules, ZeroValueOrNoTransactionsIsDroppedWithStatus200) {
  auto r = submit(bid(0).toJson());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  BidSubmission empty = bid(5);
  empty.transactions.clear();
  EXPECT_EQ(submit(empty.toJson()).status, 200);
  EXPECT_EQ(json::parse(relay_.builderBlocksReceived({{"slot", "6"}}).body).size(), 0u);
  EXPECT_FALSE(relay_.closeSlot(6, attrs_.parent_block_hash).has_value());
}

TEST_F(DevnetRelayRules, TheHighestBidOnTheHeadWinsAndLaterSubmissionsAreForAPastSlot) {
  ASSERT_EQ(submit(bid(100).toJson()).status, 200);
  BidSubmission best = bid(300);
  best.builder_pubkey = "0x" + std::string(96, 'c');
  ASSERT_EQ(submit(best.toJson()).status, 200);
  ASSERT_EQ(submit(bid(200).toJson()).status, 200);
  auto winner = relay_.closeSlot(6, attrs_.parent_block_hash);
  ASSERT_TRUE(winner.has_value());
  EXPECT_EQ(winner->submission.message.value, eth::U256(300));
  EXPECT_EQ(message(submit(bid(400).toJson())), "submission for past slot");
}

TEST_F(DevnetRelayRules, DataApiFiltersAndErrorsAreTheRelays) {
  EXPECT_EQ(message(relay_.builderBlocksReceived({})),
            "need to query for specific slot or block_hash or block_number or builder_pubkey");
  EXPECT_EQ(message(relay_.builderBlocksReceived({{"slot", "6"}, {"cursor", "3"}})), "cursor argument not supported");
  EXPECT_EQ(message(relay_.builderBlocksReceived({{"slot", "x"}})), "invalid slot argument");
  EXPECT_EQ(message(relay_.builderBlocksReceived({{"slot", "6"}, {"limit", "501"}})), "maximum limit is 500");
  EXPECT_EQ(message(relay_.proposerPayloadDelivered({{"slot", "6"}, {"cursor", "3"}})), "cannot specify both slot and cursor");
  EXPECT_EQ(message(relay_.proposerPayloadDelivered({{"limit", "201"}})), "maximum limit is 200");
  EXPECT_EQ(json::parse(relay_.proposerPayloadDelivered({}).body), json::array());
  auto duties = json::parse(relay_.builderValidators().body);
  ASSERT_FALSE(duties.empty());
  EXPECT_EQ(duties[0]["slot"], "6");
  EXPECT_EQ(duties[0]["validator_index"], "6");
  EXPECT_EQ(duties[0]["entry"]["message"]["fee_recipient"], "0x690b9a9e9aa1c9db991c7721a92d351db4fac990");
  EXPECT_EQ(duties[0]["entry"]["message"]["gas_limit"], "30000000");
}

// Found by fuzz_relay_submission (tests/fuzz/corpus/relay_submission/crash-04e72ecf...): a
// number beyond the range of a double escaped as json out_of_range instead of the relay's 400.
TEST(DevnetSubmission, NumberTooLargeForADoubleIsInvalidJson) {
  try {
    devnet::parseSubmission(R"({"message":{"slot":"1"},"execution_payload":{"excess_blob_gas":1e999}})");
    FAIL() << "no error";
  } catch (const devnet::SubmissionError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_THAT(e.what(), HasSubstr("invalid JSON"));
  }
}

}  // namespace
}  // namespace bnet
