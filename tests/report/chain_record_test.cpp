// bnet::writeChainRecord against the real local devnet (anvil + relay stand-in): two hand
// made bids become blocks, one with the builder's coinbase and one from another builder; the
// files it writes are read back with the report's own parsers, so both sides agree on the
// format.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

#include "fixtures/l1/bid_submission.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/testbed/testbed.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/http/http_client.hpp"
#include "tools/bnet-e2e/report/report.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
namespace fs = std::filesystem;
using namespace e2e::eth::literals;
using namespace std::chrono_literals;

constexpr const char* kOurPubkey =
    "0xa1885d66bef164889a2e35845c3b626545d7b0e513efe335e97c3a45e534013fa3bc38c3b7e6143695aecc4872ac52c4";
constexpr const char* kOtherPubkey =
    "0xb2885d66bef164889a2e35845c3b626545d7b0e513efe335e97c3a45e534013fa3bc38c3b7e6143695aecc4872ac52c4";

L1DevnetConfig localConfig() {
  return L1DevnetConfig{.mode = L1Mode::kLocal, .slot_seconds = 2, .devnet_program = e2e::inBuildTree(BNET_DEVNET_PROGRAM)};
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ChainRecord, BlocksAndBidsOfTheDevnetAreWrittenInTheReportsFormat) {
  if (auto why = L1Devnet::unavailableReason(localConfig())) GTEST_SKIP() << *why;
  auto devnet = L1Devnet::start(localConfig());
  const auto coinbase = eth::prefundedAccount(0).address;
  const auto other = eth::prefundedAccount(4).address;
  e2e::SseClient events = devnet.beacon().subscribe("payload_attributes");
  e2e::HttpClient relay({.base_url = devnet.endpoints().relay_url});
  const auto& alice = eth::prefundedAccount(1);
  std::uint64_t nonce = devnet.execution().getTransactionCount(alice.address, "pending");
  std::vector<Block> built;
  for (auto [fee_recipient, pubkey] : {std::pair{coinbase, kOurPubkey}, std::pair{other, kOtherPubkey}}) {
    auto event = events.waitForEvent("payload_attributes",
                                     [](const e2e::SseEvent& e) { return e.type == "payload_attributes"; },
                                     e2e::Deadline::after(10s));
    auto bid = BidSubmission::forAttributes(parsePayloadAttributesEvent(event.data));
    bid.builder_pubkey = pubkey;
    bid.proposer_pubkey = "0x" + std::string(96, '1');
    bid.fee_recipient = fee_recipient;
    bid.value = 3_gwei;
    auto tx = eth::transfer(alice, eth::prefundedAccount(2).address, eth::U256(5))
                  .sign(alice.key, 1337, nonce++, {.max_fee_per_gas = 100_gwei, .max_priority_fee_per_gas = 2_gwei});
    bid.withTransactions({tx});
    auto response = relay.post("/relay/v1/builder/blocks", bid.toJson().dump(), {{"Content-Type", "application/json"}});
    ASSERT_EQ(response.status, 200) << response.body;
    built.push_back(devnet.waitForBlockIncluding(tx.hash(), e2e::Deadline::after(10s)));
  }
  devnet.waitForBlock(built.back().number + 1, e2e::Deadline::after(10s));  // a plain one after

  const auto dir = e2e::Artifacts::instance().path("chain-record");
  writeChainRecord(devnet, {.builder_name = "our_builder", .builder_coinbase = coinbase.hex()}, dir);

  auto blocks = report::parseBlocks(readText(dir / "blocks.json"), "blocks.json");
  const auto head = devnet.execution().blockNumber();
  ASSERT_GE(blocks.blocks.size(), built.back().number + 2);
  ASSERT_LE(blocks.blocks.size(), head + 1);
  for (std::size_t i = 0; i < blocks.blocks.size(); ++i) {
    const auto& b = blocks.blocks[i];
    EXPECT_EQ(b.number, i);
    EXPECT_EQ(b.slot, i) << "the local devnet makes block n in slot n";
    if (b.number == built[0].number) {
      EXPECT_EQ(b.builder, "our_builder");
      EXPECT_EQ(b.hash, built[0].hash.hex());
      EXPECT_EQ(b.tx_count, 1u);
      EXPECT_EQ(b.fee_recipient, coinbase.hex());
    } else if (b.number == built[1].number) {
      EXPECT_EQ(b.builder, std::string("relay builder ") + kOtherPubkey);
    } else {
      EXPECT_EQ(b.builder, "plain block") << "block " << b.number;
    }
  }

  auto bids = report::parseBids(readText(dir / "bids.json"), "bids.json");
  ASSERT_EQ(bids.bids.size(), 2u);
  EXPECT_EQ(bids.bids[0].slot, blocks.blocks[built[0].number].slot);
  EXPECT_EQ(bids.bids[0].builder_pubkey, kOurPubkey);
  EXPECT_EQ(bids.bids[0].value, "3000000000");
  EXPECT_THAT(bids.bids[0].block_hash, ::testing::StartsWith("0x"));  // the bid's own hash, as submitted
  EXPECT_EQ(bids.bids[1].builder_pubkey, kOtherPubkey);

  // The report draws them: one bar per block, one per slot with bids.
  report::RunData run{.name = "chain-record"};
  run.blocks = blocks;
  run.bids = bids;
  auto html = report::renderHtml(run);
  std::size_t bars = 0;
  for (auto at = html.find("class=\"bar block-bar\""); at != std::string::npos; at = html.find("class=\"bar block-bar\"", at + 1)) ++bars;
  EXPECT_EQ(bars, blocks.blocks.size());
  EXPECT_THAT(html, ::testing::HasSubstr("<td>our_builder</td><td>1</td><td>1</td>"));
}

}  // namespace
}  // namespace bnet
