// bnet::Orderflow end to end on the host: signed orderflow through the builder stand-in's
// flowproxy mode into its rbuilder mode's bids, which the local devnet turns into blocks.
#include "fixtures/orderflow/orderflow.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "fixtures/common/programs.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "framework/artifacts/artifacts.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "tests/support/rbuilder_toml.hpp"

namespace bnet {
namespace {

namespace eth = e2e::eth;
using namespace std::chrono_literals;
using namespace e2e::eth::literals;
using ::testing::HasSubstr;

// One devnet and one host-side builder (rbuilder + flowproxy stand-ins) for the binary.
class OrderflowOnHost : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    L1DevnetConfig devnet_config{.mode = L1Mode::kLocal, .slot_seconds = 2};
    if (auto why = L1Devnet::unavailableReason(devnet_config)) {
      skip_ = *why;
      return;
    }
    std::filesystem::path standin;
    try {
      standin = findProjectProgram("bnet-builder-standin");
    } catch (const ProgramNotFound& e) {
      skip_ = e.what();
      return;
    }
    devnet_.emplace(L1Devnet::start(devnet_config));
    ports_ = e2e::reservePorts(5);
    auto dir = e2e::Artifacts::instance().runDir() / "orderflow-builder";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "config.toml") << bnet::testing::rbuilderToml(
        {.chain_id = devnet_->chainId(),
         .el_url = devnet_->endpoints().el_url,
         .cl_url = devnet_->endpoints().beacon_url,
         .jsonrpc_port = ports_[0].port(),
         .redacted_telemetry_port = ports_[1].port(),
         .full_telemetry_port = ports_[2].port(),
         .coinbase_key_env = "BNET_COINBASE_KEY",
         .relay_secret_key_hex = "25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866",
         .extra_data = "e2e orderflow",
         .relays = {{.name = "devnet", .url = devnet_->endpoints().relay_url}}});
    rbuilder_.emplace(e2e::ChildProcess::start(
        {.name = "rbuilder-standin",
         .executable = standin,
         .args = {"rbuilder", (dir / "config.toml").string()},
         .env = {{"BNET_COINBASE_KEY", eth::prefundedAccount(0).key.revealHex()}},
         .log_path = dir / "rbuilder.log"}));
    flowproxy_.emplace(e2e::ChildProcess::start(
        {.name = "flowproxy-standin",
         .executable = standin,
         .args = {"flowproxy"},
         .env = {{"USER_LISTEN_ADDR", fmt::format("127.0.0.1:{}", ports_[3].port())},
                 {"SYSTEM_LISTEN_ADDR", fmt::format("127.0.0.1:{}", ports_[4].port())},
                 {"BUILDERNET_NODE_NAME", "host-builder"},
                 {"BUILDER_ENDPOINT", fmt::format("http://127.0.0.1:{}", ports_[0].port())},
                 {"BUILDER_READY_ENDPOINT", fmt::format("http://127.0.0.1:{}", ports_[1].port())}},
         .unset_env = {"BUILDERHUB_ENDPOINT", "FLASHBOTS_ORDERFLOW_SIGNER"},
         .log_path = dir / "flowproxy.log"}));
    user_url_ = fmt::format("http://127.0.0.1:{}", ports_[3].port());
    e2e::HttpClient probe({.base_url = user_url_, .timeout = 5000ms});
    e2e::waitForReady(*flowproxy_, "flowproxy /readyz 200", e2e::Deadline::after(60s), [&] {
      if (!rbuilder_->running()) return e2e::Attempt::fail("rbuilder stand-in exited:\n" + rbuilder_->logTail());
      try {
        auto status = probe.get("/readyz").status;
        return e2e::Attempt::check(status == 200, fmt::format("/readyz {}", status));
      } catch (const e2e::HttpError& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
  }
  static void TearDownTestSuite() {
    flowproxy_.reset();
    rbuilder_.reset();
    devnet_.reset();
    ports_.clear();
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    orderflow_.emplace(OrderflowConfig{.user_url = user_url_, .execution = &devnet_->execution()});
  }

  static inline std::string skip_;
  static inline std::optional<L1Devnet> devnet_;
  static inline std::vector<e2e::PortReservation> ports_;
  static inline std::optional<e2e::ChildProcess> rbuilder_, flowproxy_;
  static inline std::string user_url_;
  std::optional<Orderflow> orderflow_;
};

TEST_F(OrderflowOnHost, SignedBundleAndRawTransactionLandInOrderInOneBlock) {
  const auto& alice = eth::prefundedAccount(1);
  const auto& bob = eth::prefundedAccount(2);
  const auto& carol = eth::prefundedAccount(3);
  auto bundle = orderflow_->makeBundle({eth::transfer(alice, bob, 1_gwei), eth::transfer(alice, carol, 2_gwei)});
  auto single = orderflow_->makeTransaction(eth::transfer(bob, carol, 3_gwei));
  ASSERT_THAT(orderflow_->send(bundle), IsAccepted());
  ASSERT_THAT(orderflow_->send(single), IsAccepted());

  auto block = devnet_->waitForBlockIncluding(bundle.txHashes()[0], e2e::Deadline::after(60s));
  EXPECT_TRUE(block.includes(single.hash())) << "the raw transaction landed in another block";
  const auto& hashes = block.transaction_hashes;
  auto first = std::find(hashes.begin(), hashes.end(), bundle.txHashes()[0]);
  ASSERT_NE(first, hashes.end());
  ASSERT_NE(first + 1, hashes.end());
  EXPECT_EQ(*(first + 1), bundle.txHashes()[1]) << "the bundle's transactions are kept together and in order";
  EXPECT_EQ(block.miner, eth::prefundedAccount(0).address);
}

TEST_F(OrderflowOnHost, RequestsWithoutAValidSignatureAreRefused) {
  auto bundle = orderflow_->makeBundle({eth::transfer(eth::prefundedAccount(4), eth::prefundedAccount(2), 1_gwei)});
  EXPECT_THAT(orderflow_->send(bundle, Signing::kUnsigned), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle, Signing::kWrongSignature), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle, Signing::kSignedOtherBody), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle.txs[0], Signing::kUnsigned), IsRefusedForItsSignature());
  EXPECT_THAT(orderflow_->send(bundle), ::testing::Not(IsRefusedForItsSignature()));
}

// FlowProxy's header precedence (addendum §2.1): X-BuilderNet-Signature when present, with
// no fallback to a valid X-Flashbots-Signature when it is bad.
TEST_F(OrderflowOnHost, EitherSignatureHeaderWorksAndTheBuilderNetOneWins) {
  Orderflow buildernet({.user_url = user_url_, .execution = &devnet_->execution(),
                        .signature_header = std::string(kBuilderNetSignatureHeader)});
  auto tx = buildernet.makeTransaction(eth::transfer(eth::prefundedAccount(4), eth::prefundedAccount(2), 1_gwei));
  EXPECT_THAT(buildernet.send(tx, Signing::kBadBuilderNetGoodFlashbots), IsRefusedForItsSignature());
  EXPECT_THAT(buildernet.send(tx, Signing::kSignedOtherBody), IsRefusedForItsSignature());
  EXPECT_THAT(buildernet.send(tx), IsAccepted());
  auto other = orderflow_->makeTransaction(eth::transfer(eth::prefundedAccount(3), eth::prefundedAccount(2), 1_gwei));
  EXPECT_THAT(orderflow_->send(other, Signing::kBadBuilderNetGoodFlashbots), IsRefusedForItsSignature())
      << "the default (X-Flashbots-Signature) client's valid header does not rescue a bad X-BuilderNet-Signature";
  EXPECT_THAT(orderflow_->send(other), IsAccepted());
  EXPECT_THROW(Orderflow({.user_url = user_url_, .execution = &devnet_->execution(), .signature_header = "X-Signature"}),
               std::invalid_argument);
}

TEST_F(OrderflowOnHost, SustainedFlowIsIncludedAndItsLatencyRecorded) {
  auto report = orderflow_->runFlow({.transactions_per_second = 3, .duration = 8s, .inclusion_budget = 60s});
  EXPECT_GE(report.sent, 20u);
  EXPECT_EQ(report.senders, 16u) << "fresh senders, funded through the proxy first";
  EXPECT_GT(report.bundled, 0u) << report.describe();
  EXPECT_LT(report.bundled, report.sent) << report.describe();
  EXPECT_EQ(report.refused, 0u) << report.describe();
  EXPECT_GE(report.inclusion_ratio(), 0.99) << report.describe();
  EXPECT_GT(report.latencyPercentile(50), 0.0);
  std::ifstream csv(report.artifact);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "tx_hash,sent_seconds,included_block,latency_seconds,refused");
  std::size_t rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, report.sent);
}

}  // namespace
}  // namespace bnet
