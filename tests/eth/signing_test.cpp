#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <sstream>

#include "framework/artifacts/redactor.hpp"
#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/personal_sign.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/eth/rlp.hpp"
#include "framework/eth/secp256k1.hpp"
#include "framework/eth/transaction.hpp"

namespace e2e::eth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace literals;

// The EIP-155 example key and its address.
const char* const kEip155Key = "0x4646464646464646464646464646464646464646464646464646464646464646";
const char* const kEip155Sender = "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F";
const U256 kSecpOrder = parseU256("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");

TEST(EthKeys, DeriveAddressAndPublicKey) {
  PrivateKey key = PrivateKey::fromHex(kEip155Key);
  EXPECT_EQ(key.address().checksummed(), kEip155Sender);
  EXPECT_EQ(key.publicKey().address(), key.address());
  EXPECT_EQ(key.publicKey().hex().size(), 2u + 130u);
  EXPECT_EQ(PrivateKey::fromHex(std::string(kEip155Key).substr(2)), key);
  EXPECT_EQ(PrivateKey::fromBytes(fromHex(kEip155Key)), key);
  EXPECT_EQ(key.revealHex(), kEip155Key);
}

TEST(EthKeys, RejectBadKeysWithoutEchoingThem) {
  const std::string short_key = "0x464646464646464646464646464646464646464646464646464646464646464";
  try {
    PrivateKey::fromHex(short_key);
    FAIL() << "no error for a 63-digit key";
  } catch (const DecodeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("64 hex digits"));
    EXPECT_THAT(e.what(), Not(HasSubstr("46464646")));
  }
  const std::string bad_char = "0x46464646464646464646z646464646464646464646464646464646464646464646";
  try {
    PrivateKey::fromHex(bad_char.substr(0, 66));
    FAIL() << "no error for a non-hex key";
  } catch (const DecodeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("digit 20"));
    EXPECT_THAT(e.what(), Not(HasSubstr("46464646")));
  }
  EXPECT_THROW(PrivateKey::fromHex("0x" + std::string(64, '0')), SignatureError);
  EXPECT_THROW(PrivateKey::fromHex(toHexNumber(kSecpOrder)), SignatureError);
  EXPECT_THROW(PrivateKey::fromBytes(Bytes(31, 1)), DecodeError);
}

TEST(EthKeys, NeverPrintTheSecret) {
  PrivateKey key = PrivateKey::fromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  std::ostringstream os;
  os << key;
  for (const std::string& shown : {os.str(), fmt::format("{}", key), ::testing::PrintToString(key)}) {
    EXPECT_THAT(shown, HasSubstr("redacted"));
    EXPECT_THAT(shown, HasSubstr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    EXPECT_THAT(shown, Not(HasSubstr("ac0974bec39a17e3")));
    EXPECT_THAT(shown, Not(HasSubstr("AC0974BEC39A17E3")));
  }
}

TEST(EthKeys, RevealedKeysAreMaskedInArtifacts) {
  PrivateKey key = PrivateKey::random();
  std::string hex = key.revealHex();
  std::string line = "contender spam --priv-key " + hex + " --tps 10";
  EXPECT_TRUE(Redactor::instance().containsSecret(line));
  EXPECT_EQ(Redactor::instance().redact(line), "contender spam --priv-key 0x[REDACTED] --tps 10");
}

TEST(EthSigning, RoundTripSignRecoverWithLowS) {
  for (int i = 0; i < 50; ++i) {
    PrivateKey key = PrivateKey::random();
    Hash32 hash = keccak256(fmt::format("message {}", i));
    Signature sig = key.sign(hash);
    EXPECT_TRUE(sig.isLowS());
    EXPECT_LE(sig.y_parity, 1);
    EXPECT_EQ(recoverAddress(hash, sig), key.address());
    EXPECT_EQ(recoverPublicKey(hash, sig), key.publicKey());
    EXPECT_NE(recoverAddress(keccak256(fmt::format("other {}", i)), sig), key.address());
    EXPECT_EQ(Signature::fromBytes(sig.toBytes(27)), sig);
    EXPECT_EQ(Signature::fromBytes(sig.toBytes(0)), sig);
    EXPECT_EQ(key.sign(hash), sig) << "RFC 6979 signing is deterministic";
  }
}

TEST(EthSigning, RejectsMalformedSignatures) {
  Hash32 hash = keccak256("x");
  Signature sig = PrivateKey::fromHex(kEip155Key).sign(hash);
  auto bytes = sig.toBytes(27);
  bytes[64] = 29;
  EXPECT_THROW(Signature::fromBytes(bytes), SignatureError);
  EXPECT_THROW(Signature::fromBytes(Bytes(64, 1)), SignatureError);
  Signature zero_r = sig;
  zero_r.r = 0;
  EXPECT_THROW(recoverAddress(hash, zero_r), SignatureError);
  Signature big_s = sig;
  big_s.s = kSecpOrder;
  EXPECT_THROW(recoverAddress(hash, big_s), SignatureError);
  Signature high_s = sig;
  high_s.s = kSecpOrder - sig.s;
  high_s.y_parity ^= 1;
  EXPECT_FALSE(high_s.isLowS());
  EXPECT_EQ(recoverAddress(hash, high_s), PrivateKey::fromHex(kEip155Key).address());
}

LegacyTx eip155Example() {
  return LegacyTx{.nonce = 9,
                  .gas_price = 20_gwei,
                  .gas_limit = 21000,
                  .to = Address::fromHex("0x3535353535353535353535353535353535353535"),
                  .value = 1_eth,
                  .data = {},
                  .chain_id = 1};
}

TEST(EthLegacyTx, Eip155Example) {
  LegacyTx tx = eip155Example();
  EXPECT_EQ(signingHash(tx).hex(), "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  SignedTx signed_tx = signTransaction(tx, PrivateKey::fromHex(kEip155Key));
  EXPECT_EQ(signed_tx.rawHex(),
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939"
            "bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1"
            "966a3b6d83");
  EXPECT_EQ(toDecimal(signed_tx.signature().r),
            "18515461264373351373200002665853028612451056578545711640558177340181847433846");
  EXPECT_EQ(toDecimal(signed_tx.signature().s),
            "46948507304638947509940763649030358759909902576025900602547168820602576006531");
  EXPECT_EQ(signed_tx.hash(), keccak256(signed_tx.raw()));
  EXPECT_EQ(signed_tx.sender().checksummed(), kEip155Sender);
  EXPECT_EQ(signed_tx.type(), TxType::kLegacy);
}

TEST(EthLegacyTx, DecodeRecoversFieldsAndSender) {
  SignedTx decoded = decodeTransactionHex(
      "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc21"
      "95fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6"
      "d83");
  ASSERT_NE(decoded.legacy(), nullptr);
  EXPECT_EQ(*decoded.legacy(), eip155Example());
  EXPECT_EQ(decoded.sender().checksummed(), kEip155Sender);
  EXPECT_EQ(decoded.chainId(), 1u);
  EXPECT_EQ(decoded.nonce(), 9u);
  EXPECT_EQ(decoded.value(), 1_eth);
}

TEST(EthLegacyTx, PreEip155AndContractCreationRoundTrip) {
  PrivateKey key = PrivateKey::random();
  LegacyTx tx{.nonce = 0, .gas_price = 1_gwei, .gas_limit = 100000, .to = std::nullopt, .value = 0,
              .data = fromHex("0x6001600055"), .chain_id = std::nullopt};
  SignedTx signed_tx = signTransaction(tx, key);
  SignedTx decoded = decodeTransaction(signed_tx.raw());
  EXPECT_EQ(*decoded.legacy(), tx);
  EXPECT_EQ(decoded.sender(), key.address());
  EXPECT_EQ(decoded.hash(), signed_tx.hash());
  std::uint64_t v = static_cast<std::uint64_t>(rlp::decode(signed_tx.raw()).asList()[6].asUint());
  EXPECT_TRUE(v == 27 || v == 28) << v;
  EXPECT_FALSE(decoded.to().has_value());
}

Eip1559Tx ethersExample() {
  return Eip1559Tx{.chain_id = 1337,
                   .nonce = 7,
                   .max_priority_fee_per_gas = parseU256("1500000000"),
                   .max_fee_per_gas = 30_gwei,
                   .gas_limit = 21000,
                   .to = Address::fromHex("0x3535353535353535353535353535353535353535"),
                   .value = 1_eth,
                   .data = {},
                   .access_list = {}};
}

// Computed independently with ethers 6.17.0 (Wallet.signTransaction with the EIP-155 key).
TEST(EthEip1559Tx, MatchesEthersVector) {
  Eip1559Tx tx = ethersExample();
  EXPECT_EQ(signingHash(tx).hex(), "0xae9823c6af2956b38d91b0c94416858ea6eac470875659b492b67a49b48b16f9");
  SignedTx signed_tx = signTransaction(tx, PrivateKey::fromHex(kEip155Key));
  EXPECT_EQ(signed_tx.rawHex(),
            "0x02f875820539078459682f008506fc23ac00825208943535353535353535353535353535353535353535880de0b6b3a76400008"
            "0c080a03e1d58121e5c2eb5cab252f0c567317ac60ccac1642d4f1cecff158a50a204c6a01b9e0819c7739a222f75355d6c6880e2"
            "ccf1efe41f90696a87d3ad5bee2e7762");
  EXPECT_EQ(signed_tx.hash().hex(), "0x92335d112b1703850a57ece093f9b615e702290d15894827fac17539fdab6180");
  EXPECT_EQ(signed_tx.type(), TxType::kEip1559);
}

TEST(EthEip1559Tx, AccessListAndCreationMatchEthersVector) {
  Eip1559Tx tx{.chain_id = 1, .nonce = 0, .max_priority_fee_per_gas = 2, .max_fee_per_gas = 3, .gas_limit = 100000,
               .to = std::nullopt, .value = 0, .data = fromHex("0x6001600055"),
               .access_list = {{.address = Address::fromHex("0x3535353535353535353535353535353535353535"),
                                .storage_keys = {Hash32::fromHex("0x" + std::string(63, '0') + "1")}}}};
  SignedTx signed_tx = signTransaction(tx, PrivateKey::fromHex(kEip155Key));
  EXPECT_EQ(signed_tx.rawHex(),
            "0x02f88d01800203830186a08080856001600055f838f7943535353535353535353535353535353535353535e1a00000000000000"
            "00000000000000000000000000000000000000000000000000101a03c6493546c246e66217ae560233465c82589b259dd2441216d"
            "e1902802f71e3ca012e9a6a110257702d2b9f0047c5d1a51fd41a06a9d92c93797d9c510b2f3ff0d");
  EXPECT_EQ(signed_tx.hash().hex(), "0x6eb862871580521dee57bee69134a20afe579efbd0dfc8158b8c4654217b6386");
  SignedTx decoded = decodeTransaction(signed_tx.raw());
  ASSERT_NE(decoded.eip1559(), nullptr);
  EXPECT_EQ(*decoded.eip1559(), tx);
  EXPECT_EQ(decoded.sender().checksummed(), kEip155Sender);
}

TEST(EthEip1559Tx, DecodeRoundTrip) {
  PrivateKey key = PrivateKey::random();
  Eip1559Tx tx = ethersExample();
  tx.data = Bytes(300, 0xab);
  SignedTx signed_tx = signTransaction(tx, key);
  SignedTx decoded = decodeTransactionHex(signed_tx.rawHex());
  EXPECT_EQ(*decoded.eip1559(), tx);
  EXPECT_EQ(decoded.sender(), key.address());
  EXPECT_EQ(decoded.hash(), signed_tx.hash());
  EXPECT_EQ(decoded.signature(), signed_tx.signature());
  EXPECT_EQ(decoded.chainId(), 1337u);
  EXPECT_EQ(decoded.gasLimit(), 21000u);
  EXPECT_EQ(decoded.data().size(), 300u);
}

std::string transactionErrorOf(const Bytes& raw) {
  try {
    decodeTransaction(raw);
  } catch (const TransactionError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no TransactionError for " << toHex(raw);
  return "";
}

TEST(EthTxDecoding, RejectsMalformedInputWithReasons) {
  SignedTx good = signTransaction(ethersExample(), PrivateKey::fromHex(kEip155Key));
  Bytes raw = good.raw();
  EXPECT_THAT(transactionErrorOf({}), HasSubstr("empty"));
  EXPECT_THAT(transactionErrorOf({0x01, 0xc0}), HasSubstr("type 0x01 is not supported"));
  EXPECT_THAT(transactionErrorOf({0x03, 0xc0}), HasSubstr("type 0x03"));
  EXPECT_THAT(transactionErrorOf({0x85, 0x01}), HasSubstr("neither a type nor an RLP list"));
  Bytes truncated(raw.begin(), raw.end() - 1);
  EXPECT_THAT(transactionErrorOf(truncated), HasSubstr("truncated"));
  Bytes trailing = raw;
  trailing.push_back(0);
  EXPECT_THAT(transactionErrorOf(trailing), HasSubstr("trailing"));
  EXPECT_THAT(transactionErrorOf(Bytes{0x02, 0xc0}), HasSubstr("0 fields, expected 12"));

  // A 19-byte `to`: the error names the field and its offset in the raw bytes.
  rlp::Item top = rlp::decode(std::span(raw).subspan(1));
  std::vector<rlp::Item> fields = top.asList();
  fields[5] = rlp::Item::bytes(Bytes(19, 0x35));
  Bytes bad_to{0x02};
  Bytes body = rlp::encode(rlp::Item::list(fields));
  bad_to.insert(bad_to.end(), body.begin(), body.end());
  std::string message = transactionErrorOf(bad_to);
  // 0x02, a 2-byte list header, chainId (3 bytes), nonce (1), two fees (5 and 6), gas (3).
  EXPECT_EQ(top.asList()[5].offset() + 1, 21u);
  EXPECT_THAT(message, HasSubstr("field to at offset 21"));
  EXPECT_THAT(message, HasSubstr("19 bytes"));

  // High s (the malleable twin of a valid signature) is refused as EIP-2 requires.
  fields = top.asList();
  fields[9] = rlp::Item::uint(static_cast<std::uint64_t>(good.signature().y_parity ^ 1));
  fields[11] = rlp::Item::uint(kSecpOrder - good.signature().s);
  Bytes high_s{0x02};
  body = rlp::encode(rlp::Item::list(fields));
  high_s.insert(high_s.end(), body.begin(), body.end());
  EXPECT_THAT(transactionErrorOf(high_s), HasSubstr("EIP-2"));

  fields = top.asList();
  fields[9] = rlp::Item::uint(std::uint64_t{2});
  Bytes bad_parity{0x02};
  body = rlp::encode(rlp::Item::list(fields));
  bad_parity.insert(bad_parity.end(), body.begin(), body.end());
  EXPECT_THAT(transactionErrorOf(bad_parity), HasSubstr("yParity = 2"));

  EXPECT_THROW(decodeTransactionHex("02f8"), TransactionError);
}

// Mutated raw transactions: decoding either throws TransactionError or yields a transaction
// whose sender recovers; never another exception, never a crash (run under sanitizers too).
TEST(EthTxDecoding, MutatedInputFailsCleanly) {
  PrivateKey key = PrivateKey::fromHex(kEip155Key);
  std::vector<Bytes> seeds = {signTransaction(eip155Example(), key).raw(), signTransaction(ethersExample(), key).raw()};
  std::mt19937 rng(7);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes raw = seeds[rng() % seeds.size()];
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) {
      std::size_t at = rng() % raw.size();
      switch (rng() % 3) {
        case 0: raw[at] = static_cast<std::uint8_t>(rng()); break;
        case 1: raw.erase(raw.begin() + static_cast<std::ptrdiff_t>(at)); break;
        default: raw.insert(raw.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng()));
      }
      if (raw.empty()) break;
    }
    try {
      SignedTx tx = decodeTransaction(raw);
      EXPECT_EQ(tx.raw(), raw);
    } catch (const TransactionError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 2000);
}

TEST(EthTxDecoding, RejectsLegacyWithBadV) {
  SignedTx good = signTransaction(eip155Example(), PrivateKey::fromHex(kEip155Key));
  std::vector<rlp::Item> fields = rlp::decode(good.raw()).asList();
  fields[6] = rlp::Item::uint(std::uint64_t{30});
  EXPECT_THAT(transactionErrorOf(rlp::encode(rlp::Item::list(fields))), HasSubstr("v = 30"));
}

TEST(EthPersonalSign, PublishedHashes) {
  // ethers documentation: hashMessage("Hello World").
  EXPECT_EQ(personalMessageHash("Hello World").hex(),
            "0xa1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2");
  EXPECT_EQ(personalMessageHash(std::string_view("Hello World")),
            personalMessageHash(fromHex(toHex(std::string_view("Hello World")))));
}

TEST(EthPersonalSign, MatchesEthersSignMessage) {
  // Computed with ethers 6.17.0: new Wallet(0x46..46).signMessage("hello").
  PrivateKey key = PrivateKey::fromHex(kEip155Key);
  Signature sig = signPersonalMessage(key, "hello");
  EXPECT_EQ(sig.hex(),
            "0xf63c93dc642a4839770b35abf9cb304ac2f1b5463d9a9abd87546feaa0af992e659cf087c433e45c45f6135cb819ab1922c635"
            "9dbb1b8c8d7a54141de2cd4beb1b");
  EXPECT_EQ(recoverPersonalMessageSigner("hello", sig), key.address());
  EXPECT_NE(recoverPersonalMessageSigner("hellO", sig), key.address());
}

// flashbots/go-utils signature tests: a header made by `cast wallet sign` and ethers for the
// body "Hello" with a published test key.
constexpr std::string_view kGoUtilsKey = "0xfad9c8855b740a0b7ed4c221dbad0f33a83a49cad6b3fe8d5817ac83d38b6a19";
constexpr std::string_view kGoUtilsHeader =
    "0x96216849c49358B10257cb55b28eA603c874b05E:0x1446053488f02d460c012c84c4091cd5054d98c6cfca01b65f6c1a72773e80e60"
    "b8a4931aeee7ed18ce3adb45b2107e8c59e25556c1f871a8334e30e5bddbed21c";

TEST(EthSignatureHeader, MatchesPublishedHeader) {
  EXPECT_EQ(makeSignatureHeader(PrivateKey::fromHex(kGoUtilsKey), "Hello"), kGoUtilsHeader);
}

TEST(EthSignatureHeader, VerifiesPublishedHeadersFromOtherTools) {
  SignatureHeaderCheck cast = verifySignatureHeader(kGoUtilsHeader, "Hello");
  ASSERT_TRUE(cast) << cast.error;
  EXPECT_EQ(cast.signer->checksummed(), "0x96216849c49358B10257cb55b28eA603c874b05E");
  // Made with MetaMask (go-utils TestVerifySignatureFromMetaMask).
  SignatureHeaderCheck metamask = verifySignatureHeader(
      "0x4bE0Cd2553356b4ABb8b6a1882325dAbC8d3013D:0xbf36915334f8fa93894cd54d491c31a89dbf917e9a4402b2779b73d21ecf46e36"
      "ff07db2bef6d10e92c99a02c1c5ea700b0b674dfa5d3ce9220822a7ebcc17101b",
      "Hello");
  ASSERT_TRUE(metamask) << metamask.error;
  EXPECT_EQ(metamask.signer->checksummed(), "0x4bE0Cd2553356b4ABb8b6a1882325dAbC8d3013D");
}

TEST(EthSignatureHeader, SignsTheExactBodyBytes) {
  PrivateKey key = PrivateKey::random();
  std::string body = R"({"jsonrpc":"2.0","id":1,"method":"eth_sendBundle","params":[{"txs":[],"blockNumber":"0x1"}]})";
  std::string header = makeSignatureHeader(key, body);
  ASSERT_EQ(header.size(), 42u + 1u + 132u);
  EXPECT_EQ(header.substr(0, 42), key.address().checksummed());
  EXPECT_EQ(header.substr(header.size() - 2) == "1b" || header.substr(header.size() - 2) == "1c", true) << header;
  // The signature is over EIP-191 of the 66-character string "0x" + hex(keccak(body)).
  Signature sig = Signature::fromBytes(fromHex(header.substr(43)));
  std::string body_hash = keccak256(body).hex();
  ASSERT_EQ(body_hash.size(), 66u);
  EXPECT_EQ(recoverPersonalMessageSigner(body_hash, sig), key.address());

  auto check = verifySignatureHeader(header, body);
  ASSERT_TRUE(check) << check.error;
  EXPECT_EQ(*check.signer, key.address());
  EXPECT_FALSE(verifySignatureHeader(header, body + " "));
  EXPECT_FALSE(verifySignatureHeader(header, body.substr(0, body.size() - 1)));
  EXPECT_FALSE(verifySignatureHeader(header, ""));
}

TEST(EthSignatureHeader, AcceptsVariantsTheReferenceAccepts) {
  PrivateKey key = PrivateKey::random();
  const std::string body = "{}";
  std::string header = makeSignatureHeader(key, body);
  std::string address = header.substr(0, 42);
  Signature sig = Signature::fromBytes(fromHex(header.substr(43)));
  std::string lower_address = key.address().hex();
  std::string upper_address = "0x" + toHexNoPrefix(key.address().span());
  std::transform(upper_address.begin() + 2, upper_address.end(), upper_address.begin() + 2,
                 [](char c) { return static_cast<char>(std::toupper(c)); });
  for (const std::string& variant :
       {address + ":" + sig.hex(27), address + ":" + sig.hex(0), lower_address + ":" + sig.hex(27),
        upper_address + ":" + sig.hex(27), lower_address.substr(2) + ":" + sig.hex(27)}) {
    auto check = verifySignatureHeader(variant, body);
    EXPECT_TRUE(check) << variant << ": " << check.error;
  }
}

TEST(EthSignatureHeader, RejectsBadHeadersWithReasons) {
  PrivateKey key = PrivateKey::random();
  const std::string body = "{\"id\":1}";
  std::string header = makeSignatureHeader(key, body);
  std::string address = header.substr(0, 42);
  Signature sig = Signature::fromBytes(fromHex(header.substr(43)));

  EXPECT_EQ(verifySignatureHeader("", body).error, "no signature provided");
  EXPECT_THAT(verifySignatureHeader("invalid", body).error, HasSubstr("invalid signature provided: no ':'"));
  EXPECT_THAT(verifySignatureHeader(header + "deadbeef", body).error, HasSubstr("69 bytes"));
  EXPECT_THAT(verifySignatureHeader(header.substr(0, header.size() - 8), body).error, HasSubstr("61 bytes"));
  EXPECT_THAT(verifySignatureHeader(address + ":" + header.substr(45), body).error, HasSubstr("missing 0x"));
  EXPECT_THAT(verifySignatureHeader("0x1234:" + sig.hex(), body).error, HasSubstr("address part"));
  auto v29 = sig.toBytes(27);
  v29[64] = 29;
  EXPECT_THAT(verifySignatureHeader(address + ":" + toHex(v29), body).error, HasSubstr("v = 29"));
  Signature high_s = sig;
  high_s.s = kSecpOrder - sig.s;
  high_s.y_parity ^= 1;
  EXPECT_THAT(verifySignatureHeader(address + ":" + high_s.hex(), body).error, HasSubstr("above n/2"));
  std::string other = PrivateKey::random().address().checksummed();
  auto mismatch = verifySignatureHeader(other + ":" + sig.hex(), body);
  EXPECT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error, HasSubstr("signing address mismatch"));
  EXPECT_THAT(mismatch.error, HasSubstr(other));
  EXPECT_THAT(verifySignatureHeader(address + ":0x" + std::string(130, '0'), body).error, HasSubstr("zero"));
}

}  // namespace
}  // namespace e2e::eth
