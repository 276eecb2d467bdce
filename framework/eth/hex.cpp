#include "framework/eth/hex.hpp"

#include <fmt/format.h>

#include <limits>

#include "framework/eth/errors.hpp"

namespace e2e::eth {
namespace detail {

int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decodeHexDigits(std::string_view digits, std::span<std::uint8_t> out, std::size_t& bad_index) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hexDigitValue(digits[2 * i]);
    if (hi < 0) {
      bad_index = 2 * i;
      return false;
    }
    int lo = hexDigitValue(digits[2 * i + 1]);
    if (lo < 0) {
      bad_index = 2 * i + 1;
      return false;
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

}  // namespace detail

namespace {

constexpr char kDigits[] = "0123456789abcdef";

bool hasPrefix(std::string_view text) {
  return text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
}

// The digits after the prefix, checked for prefix rules and even length.
std::string_view hexDigitsOf(std::string_view text, HexPrefix prefix, std::size_t& skipped) {
  skipped = 0;
  if (hasPrefix(text)) {
    skipped = 2;
  } else if (prefix == HexPrefix::kRequired) {
    throw DecodeError(fmt::format("hex {}: missing 0x prefix", quoteForError(text)));
  }
  std::string_view digits = text.substr(skipped);
  if (digits.size() % 2 != 0) {
    throw DecodeError(fmt::format("hex {}: odd number of digits ({})", quoteForError(text), digits.size()));
  }
  return digits;
}

void decodeChecked(std::string_view text, std::string_view digits, std::size_t skipped,
                   std::span<std::uint8_t> out) {
  std::size_t bad = 0;
  if (!detail::decodeHexDigits(digits, out, bad)) {
    throw DecodeError(fmt::format("hex {}: bad character {} at position {}", quoteForError(text),
                                  quoteForError(digits.substr(bad, 1)), skipped + bad));
  }
}

}  // namespace

std::string toHexNoPrefix(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::string toHex(std::span<const std::uint8_t> bytes) { return "0x" + toHexNoPrefix(bytes); }

std::string toHex(std::string_view bytes) {
  return toHex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

Bytes fromHex(std::string_view text, HexPrefix prefix) {
  std::size_t skipped = 0;
  std::string_view digits = hexDigitsOf(text, prefix, skipped);
  Bytes out(digits.size() / 2);
  decodeChecked(text, digits, skipped, out);
  return out;
}

void fromHexInto(std::string_view text, std::span<std::uint8_t> out, HexPrefix prefix) {
  std::size_t skipped = 0;
  std::string_view digits = hexDigitsOf(text, prefix, skipped);
  if (digits.size() != out.size() * 2) {
    throw DecodeError(fmt::format("hex {}: expected {} bytes ({} digits), got {} digits",
                                  quoteForError(text), out.size(), out.size() * 2, digits.size()));
  }
  decodeChecked(text, digits, skipped, out);
}

std::string toQuantity(std::uint64_t value) { return fmt::format("0x{:x}", value); }

std::string toQuantity(const U256& value) { return toHexNumber(value); }

U256 parseQuantity(std::string_view text) {
  if (text.empty()) throw DecodeError("quantity \"\": empty");
  if (!(text.size() >= 2 && text[0] == '0' && text[1] == 'x')) {
    throw DecodeError(fmt::format("quantity {}: missing 0x prefix", quoteForError(text)));
  }
  if (text.size() == 2) throw DecodeError(fmt::format("quantity {}: no digits after 0x", quoteForError(text)));
  if (text[2] == '0' && text.size() > 3) {
    throw DecodeError(fmt::format("quantity {}: leading zero digits", quoteForError(text)));
  }
  if (text.size() > 2 + 64) {
    throw DecodeError(fmt::format("quantity {}: larger than 2^256-1", quoteForError(text)));
  }
  return parseU256(text);
}

std::uint64_t parseQuantityU64(std::string_view text) {
  U256 value = parseQuantity(text);
  if (value > std::numeric_limits<std::uint64_t>::max()) {
    throw DecodeError(fmt::format("quantity {}: does not fit in 64 bits", quoteForError(text)));
  }
  return static_cast<std::uint64_t>(value);
}

}  // namespace e2e::eth
