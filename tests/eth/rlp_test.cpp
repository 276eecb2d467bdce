#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/rlp.hpp"

namespace e2e::eth::rlp {
namespace {

using ::testing::HasSubstr;

Item str(std::string_view s) { return Item::string(s); }

// The RlpError that decoding hex throws ("" and a failure if none).
RlpError decodeFailure(std::string_view hex) {
  try {
    decode(fromHex(hex));
  } catch (const RlpError& e) {
    return e;
  }
  ADD_FAILURE() << "decoding " << hex << " did not throw";
  return RlpError(0, "none");
}

struct Vector {
  const char* name;
  Item item;
  std::string hex;
};

// From the Ethereum wiki's RLP page and ethereum/tests RLPTests/rlptest.json.
std::vector<Vector> publishedVectors() {
  const std::string lorem55 = "Lorem ipsum dolor sit amet, consectetur adipisicing eli";
  const std::string lorem56 = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  return {
      {"dog", str("dog"), "0x83646f67"},
      {"cat_dog", Item::list({str("cat"), str("dog")}), "0xc88363617483646f67"},
      {"empty_string", str(""), "0x80"},
      {"empty_list", Item::list({}), "0xc0"},
      {"zero", Item::uint(std::uint64_t{0}), "0x80"},
      {"byte_zero", Item::bytes(Bytes{0x00}), "0x00"},
      {"byte_0x7f", Item::bytes(Bytes{0x7f}), "0x7f"},
      {"byte_0x80", Item::bytes(Bytes{0x80}), "0x8180"},
      {"fifteen", Item::uint(std::uint64_t{15}), "0x0f"},
      {"1024", Item::uint(std::uint64_t{1024}), "0x820400"},
      {"bigint", Item::uint(parseU256("83729609699884896815286331701780722")), "0x8f102030405060708090a0b0c0d0e0f2"},
      {"set_theoretic", Item::list({Item::list({}), Item::list({Item::list({})}),
                                    Item::list({Item::list({}), Item::list({Item::list({})})})}),
       "0xc7c0c1c0c3c0c1c0"},
      {"string_55", str(lorem55), "0xb7" + toHexNoPrefix(Bytes(lorem55.begin(), lorem55.end()))},
      {"string_56", str(lorem56), "0xb838" + toHexNoPrefix(Bytes(lorem56.begin(), lorem56.end()))},
      {"list_of_lists",
       Item::list({Item::list({str("asdf"), str("qwer"), str("zxcv")}), Item::list({str("asdf"), str("qwer"), str("zxcv")}),
                   Item::list({str("asdf"), str("qwer"), str("zxcv")}), Item::list({str("asdf"), str("qwer"), str("zxcv")})}),
       "0xf840cf84617364668471776572847a786376cf84617364668471776572847a786376cf84617364668471776572847a786376cf846173"
       "64668471776572847a786376"},
  };
}

TEST(EthRlp, EncodesPublishedVectors) {
  for (auto& v : publishedVectors()) {
    EXPECT_EQ(toHex(encode(v.item)), v.hex) << v.name;
  }
}

TEST(EthRlp, DecodesPublishedVectorsBack) {
  for (auto& v : publishedVectors()) {
    Item decoded = decode(fromHex(v.hex));
    EXPECT_EQ(decoded, v.item) << v.name;
  }
}

TEST(EthRlp, LongStringUsesTwoLengthBytes) {
  Bytes encoded = encode(str(std::string(1024, 'a')));
  ASSERT_EQ(encoded.size(), 1027u);
  EXPECT_EQ(encoded[0], 0xb9);
  EXPECT_EQ(encoded[1], 0x04);
  EXPECT_EQ(encoded[2], 0x00);
  EXPECT_EQ(decode(encoded).asBytes().size(), 1024u);
}

TEST(EthRlp, IntegersAreMinimalAndCanonical) {
  EXPECT_EQ(decode(fromHex("0x820400")).asUint(), 1024);
  EXPECT_EQ(decode(fromHex("0x80")).asUint64(), 0u);
  EXPECT_EQ(decode(fromHex("0x0f")).asUint64(), 15u);
  // Decoding 0x00 as a byte string is fine; as an integer it is a leading zero.
  EXPECT_THROW(decode(fromHex("0x00")).asUint(), RlpError);
  EXPECT_THAT([] {
    try {
      decode(fromHex("0x820004")).asUint();
    } catch (const RlpError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  }(), HasSubstr("leading zero"));
  EXPECT_THROW(decode(fromHex("0x89010000000000000000")).asUint64(), RlpError);
  EXPECT_THROW(decode(encode(Item::bytes(Bytes(33, 1)))).asUint(), RlpError);
  EXPECT_THROW(decode(fromHex("0xc0")).asUint(), RlpError);
  EXPECT_THROW(decode(fromHex("0x83646f67")).asList(), RlpError);
}

TEST(EthRlp, RejectsNonCanonicalSingleByte) {
  RlpError e = decodeFailure("0x8100");
  EXPECT_EQ(e.offset(), 0u);
  EXPECT_THAT(e.what(), HasSubstr("non-canonical"));
  EXPECT_THAT(decodeFailure("0x817f").what(), HasSubstr("single byte 0x7f"));
  // Inside a list the offset points at the bad item.
  EXPECT_EQ(decodeFailure("0xc3808100").offset(), 2u);
}

TEST(EthRlp, RejectsLongFormForShortLengths) {
  EXPECT_THAT(decodeFailure("0xb80100").what(), HasSubstr("below 56"));
  EXPECT_THAT(decodeFailure("0xb837" + std::string(110, 'a')).what(), HasSubstr("below 56"));
  EXPECT_THAT(decodeFailure("0xf801c0").what(), HasSubstr("below 56"));
}

TEST(EthRlp, RejectsLeadingZerosInLength) {
  RlpError e = decodeFailure("0xb90038" + std::string(112, 'a'));
  EXPECT_THAT(e.what(), HasSubstr("leading zero"));
  EXPECT_EQ(e.offset(), 0u);
  EXPECT_THAT(decodeFailure("0xf90040" + std::string(128, 'c') ).what(), HasSubstr("leading zero"));
}

TEST(EthRlp, RejectsTruncatedInput) {
  EXPECT_THAT(decodeFailure("0x").what(), HasSubstr("truncated"));
  EXPECT_THAT(decodeFailure("0x83646f").what(), HasSubstr("2 of 3 payload bytes"));
  EXPECT_THAT(decodeFailure("0xc88363617483646f").what(), HasSubstr("truncated"));
  EXPECT_THAT(decodeFailure("0xb9").what(), HasSubstr("truncated"));
  // A child that runs past its list's payload.
  RlpError child = decodeFailure("0xc2836361");
  EXPECT_THAT(child.what(), HasSubstr("truncated"));
  EXPECT_EQ(child.offset(), 1u);
  // An 8-byte length near 2^64 must not overflow into an in-range value.
  EXPECT_THAT(decodeFailure("0xbfffffffffffffffff").what(), HasSubstr("truncated"));
  EXPECT_THAT(decodeFailure("0xffffffffffffffffff00").what(), HasSubstr("truncated"));
}

TEST(EthRlp, RejectsTrailingBytes) {
  RlpError e = decodeFailure("0x83646f6700");
  EXPECT_EQ(e.offset(), 4u);
  EXPECT_THAT(e.what(), HasSubstr("1 trailing byte"));
  EXPECT_THAT(decodeFailure("0xc0c0").what(), HasSubstr("trailing"));
}

TEST(EthRlp, LimitsNestingDepth) {
  Item nested = Item::list({});
  for (int i = 0; i < 60; ++i) nested = Item::list({nested});
  EXPECT_EQ(decode(encode(nested)), nested);
  for (int i = 0; i < 40; ++i) nested = Item::list({nested});
  Bytes deep = encode(nested);
  EXPECT_THROW(decode(deep), RlpError);
  // A long run of list headers with no payload is rejected without deep recursion.
  Bytes many(100000, 0xc1);
  EXPECT_THROW(decode(many), RlpError);
}

TEST(EthRlp, AddressAndHashFields) {
  Bytes twenty(20, 0x35);
  std::string expected = "0x";
  for (int i = 0; i < 20; ++i) expected += "35";
  EXPECT_EQ(decode(encode(Item::bytes(twenty))).asAddress().hex(), expected);
  EXPECT_THROW(decode(encode(Item::bytes(Bytes(19, 1)))).asAddress(), RlpError);
  EXPECT_THROW(decode(encode(Item::bytes(Bytes(31, 1)))).asHash(), RlpError);
}

// Random and mutated inputs: decoding either throws RlpError or yields an item whose
// encoding is exactly the input (canonical form means one encoding per item).
TEST(EthRlp, ArbitraryInputEitherFailsCleanlyOrRoundTrips) {
  std::mt19937 rng(20240611);
  std::vector<Bytes> seeds;
  for (auto& v : publishedVectors()) seeds.push_back(fromHex(v.hex));
  int decoded_ok = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes input;
    if (i % 2 == 0) {
      input = seeds[rng() % seeds.size()];
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits && !input.empty(); ++k) {
        switch (rng() % 3) {
          case 0: input[rng() % input.size()] = static_cast<std::uint8_t>(rng()); break;
          case 1: input.erase(input.begin() + static_cast<std::ptrdiff_t>(rng() % input.size())); break;
          default: input.insert(input.begin() + static_cast<std::ptrdiff_t>(rng() % input.size()),
                                static_cast<std::uint8_t>(rng()));
        }
      }
    } else {
      input.resize(rng() % 16);
      for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    }
    try {
      Item item = decode(input);
      ++decoded_ok;
      ASSERT_EQ(encode(item), input) << toHex(input);
    } catch (const RlpError&) {
    }
  }
  EXPECT_GT(decoded_ok, 100);
}

}  // namespace
}  // namespace e2e::eth::rlp
