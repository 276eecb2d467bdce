#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>

namespace e2e::eth {

// A 256-bit unsigned integer (wraps on overflow like the EVM; parsing checks the range).
using U256 = boost::multiprecision::uint256_t;
// An amount of ether in wei.
using Wei = U256;
using Bytes = std::vector<std::uint8_t>;

// Decimal digits only ("0", "1000"); throws DecodeError naming the text when it is empty,
// has another character, or exceeds 2^256-1.
U256 parseDecimal(std::string_view text);
// Decimal, or hex with a 0x prefix (leading zeros allowed, unlike a JSON-RPC quantity).
U256 parseU256(std::string_view text);
std::string toDecimal(const U256& value);
// Lowercase hex with 0x and no leading zeros ("0x0" for zero); the JSON-RPC quantity form.
std::string toHexNumber(const U256& value);

// 32 bytes, big-endian.
std::array<std::uint8_t, 32> toBigEndian32(const U256& value);
// Big-endian without leading zero bytes (empty for zero): the RLP integer payload.
Bytes toMinimalBigEndian(const U256& value);
// Big-endian bytes of any length up to 32 (leading zeros allowed); throws DecodeError if longer.
U256 fromBigEndian(std::span<const std::uint8_t> bytes);

// The largest value that fits in 64 bits, checked: throws DecodeError naming `what`.
std::uint64_t toUint64(const U256& value, std::string_view what);

inline constexpr std::uint64_t kWeiPerGwei = 1'000'000'000ull;
inline constexpr std::uint64_t kWeiPerEther = 1'000'000'000'000'000'000ull;

// Amounts: `1_eth`, `20_gwei`, `5_wei` (all in wei). Functions, not globals, so they are
// safe in static initializers too.
namespace literals {
inline U256 operator""_wei(unsigned long long v) { return U256(v); }
inline U256 operator""_gwei(unsigned long long v) { return U256(v) * kWeiPerGwei; }
inline U256 operator""_eth(unsigned long long v) { return U256(v) * kWeiPerEther; }
}  // namespace literals

}  // namespace e2e::eth
