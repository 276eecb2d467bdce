// L1Devnet's playground mode against the stand-in tests/l1/builder-playground, which prints
// builder-playground's real output lines and writes its output layout while running
// bnet-devnet as the services. A fake `docker` (tests/l1/fake-docker) is put first on PATH
// for these tests only, so that Docker detection passes without a Docker engine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fixtures/l1/bid_submission.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/http/http_client.hpp"
#include "framework/fs/fs.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using namespace e2e::eth::literals;
using ::testing::HasSubstr;

class PlaygroundMode : public ::testing::Test {
 protected:
  void SetUp() override {
    test_dir_ = e2e::inSourceTree("tests/l1");
    std::optional<std::filesystem::path> devnet = std::filesystem::path(e2e::inBuildTree(BNET_DEVNET_PROGRAM));
    auto anvil = findAnvil();
    if (!std::filesystem::exists(*devnet)) GTEST_SKIP() << "bnet-devnet not built: " << devnet->string();
    if (!anvil) GTEST_SKIP() << "anvil not found: run tools/setup.sh or set BNET_ANVIL";
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    setenv("PATH", ((test_dir_ / "fake-docker").string() + ":" + old_path_).c_str(), 1);
    setenv("BNET_DEVNET", devnet->c_str(), 1);
    setenv("BNET_ANVIL", anvil->c_str(), 1);
    record_ = std::filesystem::temp_directory_path() / fmt::format("bnet-standin-record-{}.txt", ::getpid());
    std::filesystem::remove(record_);
    setenv("STANDIN_RECORD", record_.c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    for (const char* v : {"BNET_DEVNET", "BNET_ANVIL", "STANDIN_RECORD", "STANDIN_FAIL", "STANDIN_NO_PORT_LINES"}) unsetenv(v);
    std::filesystem::remove(record_);
  }
  L1DevnetConfig config() const {
    return L1DevnetConfig{.mode = L1Mode::kPlayground,
                          .playground_program = test_dir_ / "builder-playground",
                          .recipe = "l1",
                          .playground_flags = {"--block-time", "2s"},
                          .playground_timeout = std::chrono::seconds(30),
                          .playground_stop_grace = std::chrono::seconds(10)};
  }
  std::string recorded() const {
    std::ifstream in(record_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::filesystem::path test_dir_;
  std::filesystem::path record_;
  std::string old_path_;
};

TEST_F(PlaygroundMode, StartsReadsPortsFromTheServiceLinesAndCleansUp) {
  ASSERT_FALSE(L1Devnet::unavailableReason(config()).has_value());
  std::string session;
  {
    L1Devnet devnet = L1Devnet::start(config());
    session = devnet.sessionId();
    EXPECT_THAT(session, ::testing::StartsWith("major-hawk-"));
    EXPECT_EQ(devnet.chainId(), 1337u);
    EXPECT_EQ(devnet.slotSeconds(), 2u);
    Block b = devnet.waitForBlock(1, e2e::Deadline::after(std::chrono::seconds(10)));
    EXPECT_EQ(b.number, 1u);
    EXPECT_TRUE(devnet.relay().statusOk());
    EXPECT_THAT(recorded(), HasSubstr("start l1 --output "));

    // This relay keeps no submissions: bids are read from its log.
    e2e::SseClient events = devnet.beacon().subscribe("payload_attributes");
    auto event = events.waitForEvent("payload_attributes", [](const e2e::SseEvent& e) { return e.type == "payload_attributes"; },
                                     e2e::Deadline::after(std::chrono::seconds(10)));
    auto attrs = parsePayloadAttributesEvent(event.data);
    const auto& alice = eth::prefundedAccount(6);
    BidSubmission bid = BidSubmission::forAttributes(attrs);
    bid.builder_pubkey = "0x" + std::string(96, 'e');
    bid.proposer_pubkey = "0x" + std::string(96, '1');
    bid.fee_recipient = eth::prefundedAccount(0).address;
    bid.value = 5_gwei;
    bid.withTransactions({eth::transfer(alice, alice, 1_wei).sign(
        alice.key, 1337, devnet.execution().getTransactionCount(alice.address),
        eth::Fees{.max_fee_per_gas = 100_gwei, .max_priority_fee_per_gas = 1_gwei})});
    e2e::HttpClient http({.base_url = devnet.endpoints().relay_url});
    ASSERT_EQ(http.post("/relay/v1/builder/blocks", bid.toJson().dump(), {{"Content-Type", "application/json"}}).status, 200);
    RelayBid seen = devnet.relay().waitForBidReceived({.slot = attrs.proposal_slot},
                                                      e2e::Deadline::after(std::chrono::seconds(5)));
    EXPECT_TRUE(seen.from_log);
    EXPECT_EQ(seen.value, 5_gwei);
    EXPECT_EQ(seen.num_tx, 1u);
  }
  EXPECT_THAT(recorded(), HasSubstr("clean " + session));
}

TEST_F(PlaygroundMode, FallsBackToDockerComposePorts) {
  setenv("STANDIN_NO_PORT_LINES", "1", 1);
  L1Devnet devnet = L1Devnet::start(config());
  EXPECT_GE(devnet.execution().blockNumber(), 0u);
  EXPECT_EQ(devnet.beacon().secondsPerSlot(), 2u);
}

TEST_F(PlaygroundMode, FailsFastWithTheLogTailWhenItExitsNonZero) {
  setenv("STANDIN_FAIL", "1", 1);
  try {
    L1Devnet::start(config());
    FAIL() << "start succeeded";
  } catch (const L1DevnetError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited with code 1"));
    EXPECT_THAT(e.what(), HasSubstr("container el failed"));
  }
}

TEST_F(PlaygroundMode, SkipsWithTheReasonWithoutDocker) {
  auto empty = std::filesystem::temp_directory_path() / fmt::format("bnet-empty-path-{}", ::getpid());
  std::filesystem::create_directories(empty);
  setenv("PATH", empty.c_str(), 1);
  auto why = L1Devnet::unavailableReason(config());
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("docker"));
  EXPECT_THROW(L1Devnet::start(config()), L1DevnetUnavailable);
  std::filesystem::remove(empty);
}

}  // namespace
}  // namespace bnet
