#include "framework/eth/u256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"

namespace e2e::eth {
namespace {

const U256& maxU256() {
  static const U256 kMax = ~U256(0);
  return kMax;
}

}  // namespace

U256 parseDecimal(std::string_view text) {
  if (text.empty()) throw DecodeError("decimal number \"\": empty");
  U256 value = 0;
  const U256 limit = maxU256() / 10;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') {
      throw DecodeError(fmt::format("decimal number {}: bad character at position {}",
                                    quoteForError(text), i));
    }
    unsigned digit = static_cast<unsigned>(c - '0');
    if (value > limit || (value == limit && digit > static_cast<unsigned>(maxU256() % 10))) {
      throw DecodeError(fmt::format("decimal number {}: larger than 2^256-1", quoteForError(text)));
    }
    value = value * 10 + digit;
  }
  return value;
}

U256 parseU256(std::string_view text) {
  if (!(text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))) {
    return parseDecimal(text);
  }
  if (text.size() == 2) throw DecodeError(fmt::format("number {}: no digits after 0x", quoteForError(text)));
  U256 value = 0;
  std::size_t significant = 0;
  for (std::size_t i = 2; i < text.size(); ++i) {
    int d = detail::hexDigitValue(text[i]);
    if (d < 0) {
      throw DecodeError(fmt::format("number {}: bad hex character at position {}", quoteForError(text), i));
    }
    if (significant > 0 || d != 0) ++significant;
    if (significant > 64) throw DecodeError(fmt::format("number {}: larger than 2^256-1", quoteForError(text)));
    value = (value << 4) | static_cast<unsigned>(d);
  }
  return value;
}

std::string toDecimal(const U256& value) { return value.str(); }

std::string toHexNumber(const U256& value) {
  if (value == 0) return "0x0";
  Bytes b = toMinimalBigEndian(value);
  std::string digits = toHexNoPrefix(b);
  if (digits[0] == '0') digits.erase(0, 1);
  return "0x" + digits;
}

std::array<std::uint8_t, 32> toBigEndian32(const U256& value) {
  std::array<std::uint8_t, 32> out{};
  Bytes minimal = toMinimalBigEndian(value);
  std::copy(minimal.begin(), minimal.end(), out.end() - static_cast<std::ptrdiff_t>(minimal.size()));
  return out;
}

Bytes toMinimalBigEndian(const U256& value) {
  Bytes out;
  if (value == 0) return out;
  out.reserve(32);
  boost::multiprecision::export_bits(value, std::back_inserter(out), 8, true);
  return out;
}

U256 fromBigEndian(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > 32) {
    throw DecodeError(fmt::format("{} bytes do not fit in a 256-bit number", bytes.size()));
  }
  U256 value = 0;
  if (bytes.empty()) return value;
  boost::multiprecision::import_bits(value, bytes.begin(), bytes.end(), 8, true);
  return value;
}

std::uint64_t toUint64(const U256& value, std::string_view what) {
  if (value > std::numeric_limits<std::uint64_t>::max()) {
    throw DecodeError(fmt::format("{}: {} does not fit in 64 bits", what, toDecimal(value)));
  }
  return static_cast<std::uint64_t>(value);
}

}  // namespace e2e::eth
