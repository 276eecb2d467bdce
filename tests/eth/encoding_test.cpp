#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"

namespace e2e::eth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace literals;

// The message of the DecodeError that f throws ("" and a test failure if it does not).
template <typename F>
std::string decodeErrorOf(F&& f) {
  try {
    f();
  } catch (const DecodeError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DecodeError";
  return "";
}

TEST(EthHex, EncodesLowercaseWithPrefix) {
  EXPECT_EQ(toHex(Bytes{}), "0x");
  EXPECT_EQ(toHex(Bytes{0x00, 0x0f, 0xab, 0xff}), "0x000fabff");
  EXPECT_EQ(toHexNoPrefix(Bytes{0xde, 0xad}), "dead");
  EXPECT_EQ(toHex(std::string_view("ab")), "0x6162");
}

TEST(EthHex, DecodesEitherCaseAndBothPrefixes) {
  EXPECT_EQ(fromHex("0x"), Bytes{});
  EXPECT_EQ(fromHex("0xDEADbeef"), (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(fromHex("0X00ff"), (Bytes{0x00, 0xff}));
  EXPECT_EQ(fromHex("00ff", HexPrefix::kOptional), (Bytes{0x00, 0xff}));
  EXPECT_EQ(fromHex("0x00ff", HexPrefix::kOptional), (Bytes{0x00, 0xff}));
}

TEST(EthHex, RejectsBadInputNamingIt) {
  EXPECT_THAT(decodeErrorOf([] { fromHex("abcd"); }), AllOf(HasSubstr("\"abcd\""), HasSubstr("missing 0x")));
  EXPECT_THAT(decodeErrorOf([] { fromHex("0xabc"); }), AllOf(HasSubstr("\"0xabc\""), HasSubstr("odd")));
  EXPECT_THAT(decodeErrorOf([] { fromHex("0xag"); }), AllOf(HasSubstr("\"g\""), HasSubstr("position 3")));
  EXPECT_THAT(decodeErrorOf([] { fromHex("0x 1"); }), HasSubstr("position 2"));
  EXPECT_THAT(decodeErrorOf([] { fromHex(std::string_view("0x\0\0", 4)); }), HasSubstr("\\x00"));
  EXPECT_THAT(decodeErrorOf([] { fromHex(""); }), HasSubstr("missing 0x"));
  std::array<std::uint8_t, 2> out{};
  EXPECT_THAT(decodeErrorOf([&] { fromHexInto("0x001122", out); }), HasSubstr("expected 2 bytes"));
}

TEST(EthHex, ShortensLongValuesInMessages) {
  std::string long_text = "0x" + std::string(1000, 'a') + "zz";
  std::string message = decodeErrorOf([&] { fromHex(long_text); });
  EXPECT_LT(message.size(), 300u) << message;
  EXPECT_THAT(message, HasSubstr("position 1002"));
}

TEST(EthQuantity, EncodesWithoutLeadingZeros) {
  EXPECT_EQ(toQuantity(std::uint64_t{0}), "0x0");
  EXPECT_EQ(toQuantity(std::uint64_t{1}), "0x1");
  EXPECT_EQ(toQuantity(std::uint64_t{65}), "0x41");
  EXPECT_EQ(toQuantity(std::uint64_t{1024}), "0x400");
  EXPECT_EQ(toQuantity(std::numeric_limits<std::uint64_t>::max()), "0xffffffffffffffff");
  EXPECT_EQ(toQuantity(U256(0)), "0x0");
  EXPECT_EQ(toQuantity(1_eth), "0xde0b6b3a7640000");
  EXPECT_EQ(toQuantity(~U256(0)), "0x" + std::string(64, 'f'));
}

TEST(EthQuantity, ParsesValidQuantities) {
  EXPECT_EQ(parseQuantity("0x0"), 0);
  EXPECT_EQ(parseQuantity("0x41"), 65);
  EXPECT_EQ(parseQuantity("0x400"), 1024);
  EXPECT_EQ(parseQuantity("0xFF"), 255);
  EXPECT_EQ(parseQuantity("0x" + std::string(64, 'f')), ~U256(0));
  EXPECT_EQ(parseQuantityU64("0xffffffffffffffff"), std::numeric_limits<std::uint64_t>::max());
}

TEST(EthQuantity, RejectsEveryMalformedFormNamingTheValue) {
  for (std::string bad : {"", "0x", "0x00", "0x0400", "400", "0xg", "0x1 ", "x10", "0X10", "-0x1"}) {
    std::string message = decodeErrorOf([&] { parseQuantity(bad); });
    EXPECT_THAT(message, HasSubstr("\"" + bad + "\"")) << "for " << bad;
  }
  EXPECT_THAT(decodeErrorOf([] { parseQuantity("0x00"); }), HasSubstr("leading zero"));
  EXPECT_THAT(decodeErrorOf([] { parseQuantity("0x"); }), HasSubstr("no digits"));
  EXPECT_THAT(decodeErrorOf([] { parseQuantity("0x1" + std::string(64, '0')); }), HasSubstr("2^256"));
  EXPECT_THAT(decodeErrorOf([] { parseQuantityU64("0x10000000000000000"); }), HasSubstr("64 bits"));
}

TEST(EthU256Parse, DecimalAndHexWithRangeChecks) {
  const std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  EXPECT_EQ(parseDecimal(max), ~U256(0));
  EXPECT_EQ(toDecimal(~U256(0)), max);
  EXPECT_THAT(decodeErrorOf([] {
                parseDecimal("115792089237316195423570985008687907853269984665640564039457584007913129639936");
              }),
              HasSubstr("2^256-1"));
  EXPECT_THAT(decodeErrorOf([] { parseDecimal("12a"); }), HasSubstr("position 2"));
  EXPECT_THAT(decodeErrorOf([] { parseDecimal(""); }), HasSubstr("empty"));
  EXPECT_EQ(parseU256("0x00ff"), 255);
  EXPECT_EQ(parseU256("1000000000000000000"), 1_eth);
  EXPECT_EQ(parseU256("0x" + std::string(10, '0') + std::string(64, 'f')), ~U256(0));
  EXPECT_THAT(decodeErrorOf([] { parseU256("0x1" + std::string(64, '0')); }), HasSubstr("2^256-1"));
  EXPECT_THAT(decodeErrorOf([] { parseU256("0x12z"); }), HasSubstr("position 4"));
  EXPECT_EQ(toHexNumber(U256(4096)), "0x1000");
}

TEST(EthU256Bytes, BigEndianRoundTrip) {
  U256 v = parseU256("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  auto be = toBigEndian32(v);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(be[i], i + 1);
  EXPECT_EQ(fromBigEndian(be), v);
  EXPECT_EQ(toMinimalBigEndian(U256(0)), Bytes{});
  EXPECT_EQ(toMinimalBigEndian(U256(1024)), (Bytes{0x04, 0x00}));
  EXPECT_EQ(toBigEndian32(U256(1))[31], 1);
  EXPECT_EQ(fromBigEndian(Bytes{0x00, 0x00, 0x01}), 1);
  EXPECT_THROW(fromBigEndian(Bytes(33, 1)), DecodeError);
  EXPECT_THROW(toUint64(U256(1) << 64, "gas"), DecodeError);
  EXPECT_EQ(toUint64(U256(77), "gas"), 77u);
}

TEST(EthAmounts, LiteralsAreInWei) {
  EXPECT_EQ(5_wei, 5);
  EXPECT_EQ(1_gwei, 1'000'000'000);
  EXPECT_EQ(20_gwei, parseU256("20000000000"));
  EXPECT_EQ(1_eth, parseU256("1000000000000000000"));
  EXPECT_EQ(1'000'000_eth, parseU256("1000000000000000000000000"));
}

TEST(EthKeccak, PublishedVectors) {
  EXPECT_EQ(keccak256("").hex(), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(keccak256("abc").hex(), "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(keccak256("The quick brown fox jumps over the lazy dog").hex(),
            "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  // More than one 136-byte block.
  std::string long_input(1000, 'a');
  EXPECT_EQ(keccak256(long_input), keccak256(std::span(reinterpret_cast<const std::uint8_t*>(long_input.data()),
                                                       long_input.size())));
  EXPECT_NE(keccak256(long_input), keccak256(long_input.substr(1)));
}

TEST(EthAddress, Eip55ChecksumVectors) {
  // From EIP-55: all caps, all lower, and mixed-case addresses.
  for (std::string text : {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                           "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
                           "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                           "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    Address a = Address::fromHex(text);
    EXPECT_EQ(a.checksummed(), text);
    EXPECT_EQ(fmt::format("{}", a), text);
    EXPECT_TRUE(Address::hasValidChecksum(text)) << text;
  }
  EXPECT_FALSE(Address::hasValidChecksum("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
  EXPECT_FALSE(Address::hasValidChecksum("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe"));
}

TEST(EthAddress, ParsesCaseInsensitively) {
  Address mixed = Address::fromHex("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  EXPECT_EQ(Address::fromHex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), mixed);
  EXPECT_EQ(Address::fromHex("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"), mixed);
  EXPECT_EQ(mixed.hex(), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  EXPECT_FALSE(mixed.isZero());
  EXPECT_TRUE(Address().isZero());
  EXPECT_THAT(decodeErrorOf([] { Address::fromHex("0x1234"); }), AllOf(HasSubstr("address"), HasSubstr("20 bytes")));
  EXPECT_THAT(decodeErrorOf([] { Address::fromHex("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"); }),
              HasSubstr("missing 0x"));
  EXPECT_THROW(Address::fromBytes(Bytes(19, 0)), DecodeError);
}

TEST(EthHash, HexRoundTrip) {
  const std::string text = "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53";
  Hash32 h = Hash32::fromHex("0xDAF5A779AE972F972197303D7B574746C7EF83EADAC0F2791AD23DB92E4C8E53");
  EXPECT_EQ(h.hex(), text);
  EXPECT_EQ(fmt::format("{}", h), text);
  EXPECT_EQ(::testing::PrintToString(h), text);
  EXPECT_TRUE(Hash32().isZero());
  EXPECT_THROW(Hash32::fromHex("0xdaf5"), DecodeError);
  EXPECT_THROW(Hash32::fromBytes(Bytes(31, 0)), DecodeError);
  EXPECT_NE(std::hash<Hash32>{}(h), std::hash<Hash32>{}(Hash32()));
}

}  // namespace
}  // namespace e2e::eth
