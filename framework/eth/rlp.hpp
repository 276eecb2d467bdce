#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"

// Recursive Length Prefix (Ethereum yellow paper, appendix B).
namespace e2e::eth::rlp {

// One RLP item: a byte string or a list of items. Items built here have offset 0; decoded
// items carry the offset of their first byte (header) in the decoded input, for messages.
class Item {
 public:
  static Item bytes(std::span<const std::uint8_t> b);
  static Item bytes(Bytes b);
  static Item string(std::string_view s);
  // Minimal big-endian (zero is the empty string).
  static Item uint(const U256& value);
  static Item uint(std::uint64_t value);
  static Item address(const Address& a);
  static Item hash(const Hash32& h);
  static Item list(std::vector<Item> items);

  bool isList() const { return std::holds_alternative<std::vector<Item>>(value_); }
  bool isBytes() const { return !isList(); }
  std::size_t offset() const { return offset_; }

  // Each of these throws RlpError at this item's offset when the item has the wrong shape.
  const Bytes& asBytes() const;
  const std::vector<Item>& asList() const;
  // A canonical integer: at most 32 bytes and no leading zero byte.
  U256 asUint() const;
  std::uint64_t asUint64() const;
  Address asAddress() const;
  Hash32 asHash() const;

  bool operator==(const Item& other) const { return value_ == other.value_; }

 private:
  std::variant<Bytes, std::vector<Item>> value_;
  std::size_t offset_ = 0;
  friend class Decoder;
};

// The encoding of an item.
Bytes encode(const Item& item);
// Appends the encoding of a byte string / a list header (for a payload of payload_size bytes).
void appendBytes(Bytes& out, std::span<const std::uint8_t> bytes);
void appendListHeader(Bytes& out, std::size_t payload_size);

// Deepest nesting decode() accepts (real Ethereum data nests a few levels).
inline constexpr std::size_t kMaxDepth = 64;

// Decodes exactly one item that spans the whole input. Throws RlpError (with the offset)
// for truncated input, trailing bytes, non-canonical length prefixes (a single byte < 0x80
// in a 0x81 header, a long form for a length < 56, a length with leading zero bytes), list
// payloads that do not split into items, or nesting deeper than kMaxDepth. Any input is
// safe: nothing is read outside the span.
Item decode(std::span<const std::uint8_t> input);

}  // namespace e2e::eth::rlp
