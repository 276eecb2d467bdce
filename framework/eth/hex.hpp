#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "framework/eth/u256.hpp"

namespace e2e::eth {

// Lowercase hex of bytes: "0x" + 2 digits per byte ("0x" for none).
std::string toHex(std::span<const std::uint8_t> bytes);
// The same without the "0x".
std::string toHexNoPrefix(std::span<const std::uint8_t> bytes);
std::string toHex(std::string_view bytes);

enum class HexPrefix {
  kRequired,  // "0x" or "0X" must come first (JSON-RPC data)
  kOptional,  // with or without "0x"
};

// Hex data to bytes: an even number of digits (either case) after the prefix; "0x" alone is
// no bytes. Throws DecodeError naming the (shortened) text and the position of a bad char.
Bytes fromHex(std::string_view text, HexPrefix prefix = HexPrefix::kRequired);
// Same, into exactly out.size() bytes; throws DecodeError if the length differs.
void fromHexInto(std::string_view text, std::span<std::uint8_t> out,
                 HexPrefix prefix = HexPrefix::kRequired);

// JSON-RPC quantities: "0x" + lowercase hex without leading zeros; zero is "0x0".
std::string toQuantity(std::uint64_t value);
std::string toQuantity(const U256& value);
// Parses a quantity strictly: throws DecodeError naming the text for "", "0x", "0x01",
// non-hex characters, a missing "0x", or more than 256 bits. Never returns 0 on bad input.
U256 parseQuantity(std::string_view text);
// Same, and the value must fit in 64 bits.
std::uint64_t parseQuantityU64(std::string_view text);

}  // namespace e2e::eth

namespace e2e::eth::detail {
// 0..15 for a hex digit (either case), -1 otherwise.
int hexDigitValue(char c);
// Decodes 2*out.size() hex digits (no prefix) into out; on a bad digit returns false and
// sets bad_index. For callers that must not echo the text (private keys).
bool decodeHexDigits(std::string_view digits, std::span<std::uint8_t> out, std::size_t& bad_index);
}  // namespace e2e::eth::detail
