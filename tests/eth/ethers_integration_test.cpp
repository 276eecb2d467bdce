// framework/eth checked against an independent implementation: ethers v6 under node,
// run as a separate process (tests/eth/ethers_check.cjs). Skips when node or ethers is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/fs/fs.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/eth/transaction.hpp"
#include "framework/process/child_process.hpp"

namespace e2e::eth {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace literals;
using nlohmann::json;

class EthEthers : public ::testing::Test {
 protected:
  void SetUp() override {
    auto node = findProgram("node");
    if (!node) GTEST_SKIP() << "node is not on PATH (tools/setup.sh installs nodejs)";
    node_ = *node;
    node_modules_ = e2e::cacheDir() / "npm" / "node_modules";
    if (!fs::exists(node_modules_ / "ethers" / "package.json")) {
      GTEST_SKIP() << "ethers is not installed in " << node_modules_ << " (tools/setup.sh installs it)";
    }
    script_ = e2e::inSourceTree("tests/eth/ethers_check.cjs");
    ASSERT_TRUE(fs::exists(script_)) << script_;
    dir_ = fs::temp_directory_path() / ("bnet-e2e-eth-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  fs::path writeFile(const std::string& name, std::string_view content) {
    fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }

  // Runs the script in `mode` on input; returns what it printed after "RESULT ".
  json runEthers(const std::string& mode, const json& input) {
    fs::path input_file = writeFile(mode + "-input.json", input.dump());
    CommandResult result = runCommand({.name = "ethers-" + mode,
                                       .executable = node_,
                                       .args = {script_.string(), mode, input_file.string()},
                                       .env = {{"NODE_PATH", node_modules_.string()}},
                                       .log_path = dir_ / ("ethers-" + mode + ".log")},
                                      Deadline::after(60s));
    if (!result.status.success()) {
      ADD_FAILURE() << "node " << script_.filename() << " " << mode << " " << result.status.describe() << ":\n"
                    << result.output;
      return json();
    }
    auto at = result.output.rfind("RESULT ");
    if (at == std::string::npos) {
      ADD_FAILURE() << "no RESULT line from ethers_check:\n" << result.output;
      return json();
    }
    auto end = result.output.find('\n', at);
    return json::parse(result.output.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7));
  }

  fs::path node_;
  fs::path node_modules_;
  fs::path script_;
  fs::path dir_;
};

std::string kibibyteBody() {
  std::string body = R"({"jsonrpc":"2.0","id":42,"method":"eth_sendBundle","params":[{"txs":[)";
  while (body.size() < 1000) body += "\"0x02f8" + std::string(40, 'a') + "\",";
  body.pop_back();
  body += R"(],"blockNumber":"0x1a2b"}]})";
  return body;
}

TEST_F(EthEthers, SignatureHeaderMatchesAndVerifiesBothWays) {
  struct Case {
    std::string name;
    PrivateKey key;
    std::string body;
  };
  std::vector<Case> cases = {
      {"1 KiB JSON", prefundedAccount(1).key, kibibyteBody()},
      {"empty body", prefundedAccount(0).key, ""},
      {"UTF-8 and newlines", PrivateKey::random(), "{\"memo\":\"grüße ⚡🤖\"}\n\r\n"},
      {"bytes that are not UTF-8", PrivateKey::random(), std::string("\xff\xfe\x00\x01 raw", 8)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string ours = makeSignatureHeader(c.key, c.body);
    fs::path body_file = writeFile("body.bin", c.body);
    json result = runEthers("header", {{"key", c.key.revealHex()},
                                       {"body_file", body_file.string()},
                                       {"our_header", ours}});
    ASSERT_TRUE(result.is_object());
    EXPECT_EQ(result["body_hash"], keccak256(c.body).hex());
    // Both sides sign deterministically (RFC 6979), so the headers are byte-identical.
    EXPECT_EQ(result["header"], ours);
    EXPECT_EQ(result["recovered"], c.key.address().checksummed());
    SignatureHeaderCheck check = verifySignatureHeader(result["header"].get<std::string>(), c.body);
    ASSERT_TRUE(check) << check.error;
    EXPECT_EQ(*check.signer, c.key.address());
  }
}

TEST_F(EthEthers, ParsesOurTransactionsWithTheSameHashAndSender) {
  const TestAccount& alice = prefundedAccount(1);
  PrivateKey random_key = PrivateKey::random();
  std::vector<SignedTx> txs;
  txs.push_back(signTransaction(LegacyTx{.nonce = 9, .gas_price = 20_gwei, .gas_limit = 21000,
                                         .to = prefundedAccount(0).address, .value = 1_eth, .data = {},
                                         .chain_id = 1337},
                                alice.key));
  txs.push_back(signTransaction(LegacyTx{.nonce = 0, .gas_price = 1_gwei, .gas_limit = 53000, .to = std::nullopt,
                                         .value = 0, .data = fromHex("0x6001600055"), .chain_id = std::nullopt},
                                random_key));
  txs.push_back(transfer(alice, prefundedAccount(0), 1_gwei)
                    .sign(alice.key, 1337, 1, Fees{.max_fee_per_gas = 30_gwei, .max_priority_fee_per_gas = 1_gwei}));
  txs.push_back(signTransaction(
      Eip1559Tx{.chain_id = 1, .nonce = 300, .max_priority_fee_per_gas = 2, .max_fee_per_gas = 1000_gwei,
                .gas_limit = 1'000'000, .to = Address::fromHex("0x4242424242424242424242424242424242424242"),
                .value = parseU256("123456789012345678901234567890"), .data = Bytes(100, 0x5a),
                .access_list = {{.address = alice.address,
                                 .storage_keys = {keccak256("slot0"), keccak256("slot1")}},
                                {.address = prefundedAccount(2).address, .storage_keys = {}}}},
      random_key));

  json raws = json::array();
  for (const SignedTx& tx : txs) raws.push_back(tx.rawHex());
  json result = runEthers("txs", {{"raws", raws}});
  ASSERT_TRUE(result.is_array());
  ASSERT_EQ(result.size(), txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    SCOPED_TRACE("transaction " + std::to_string(i));
    const SignedTx& ours = txs[i];
    const json& theirs = result[i];
    EXPECT_EQ(theirs["hash"], ours.hash().hex());
    EXPECT_EQ(theirs["from"], ours.sender().checksummed());
    EXPECT_EQ(theirs["serialized"], ours.rawHex());
    EXPECT_EQ(theirs["type"], static_cast<int>(ours.type()));
    EXPECT_EQ(theirs["nonce"], ours.nonce());
    EXPECT_EQ(theirs["value"], toDecimal(ours.value()));
    EXPECT_EQ(theirs["gasLimit"], std::to_string(ours.gasLimit()));
    EXPECT_EQ(theirs["data"], toHex(ours.data()));
    if (ours.to()) {
      EXPECT_EQ(theirs["to"], ours.to()->checksummed());
    } else {
      EXPECT_TRUE(theirs["to"].is_null());
    }
    // ethers reports chain id 0 for a pre-EIP-155 legacy transaction.
    EXPECT_EQ(theirs["chainId"], std::to_string(ours.chainId().value_or(0)));
    if (const Eip1559Tx* t = ours.eip1559()) {
      EXPECT_EQ(theirs["maxFeePerGas"], toDecimal(t->max_fee_per_gas));
      EXPECT_EQ(theirs["maxPriorityFeePerGas"], toDecimal(t->max_priority_fee_per_gas));
    } else {
      EXPECT_EQ(theirs["gasPrice"], toDecimal(ours.legacy()->gas_price));
    }
  }
}

}  // namespace
}  // namespace e2e::eth
