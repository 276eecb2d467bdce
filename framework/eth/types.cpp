#include "framework/eth/types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"

namespace e2e::eth {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> parseFixed(std::string_view text, std::string_view what) {
  std::array<std::uint8_t, N> out{};
  try {
    fromHexInto(text, out, HexPrefix::kRequired);
  } catch (const DecodeError& e) {
    throw DecodeError(fmt::format("{}: {}", what, e.what()));
  }
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> copyFixed(std::span<const std::uint8_t> bytes, std::string_view what) {
  if (bytes.size() != N) {
    throw DecodeError(fmt::format("{}: expected {} bytes, got {}", what, N, bytes.size()));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

template <std::size_t N>
std::size_t hashBytes(const std::array<std::uint8_t, N>& bytes) {
  std::size_t h = 0;
  std::memcpy(&h, bytes.data() + N - sizeof(h), sizeof(h));
  return h;
}

}  // namespace

Hash32 Hash32::fromHex(std::string_view text) { return Hash32(parseFixed<kSize>(text, "32-byte hash")); }

Hash32 Hash32::fromBytes(std::span<const std::uint8_t> bytes) {
  return Hash32(copyFixed<kSize>(bytes, "32-byte hash"));
}

std::string Hash32::hex() const { return toHex(bytes_); }

bool Hash32::isZero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

Address Address::fromHex(std::string_view text) { return Address(parseFixed<kSize>(text, "address")); }

Address Address::fromBytes(std::span<const std::uint8_t> bytes) {
  return Address(copyFixed<kSize>(bytes, "address"));
}

bool Address::hasValidChecksum(std::string_view text) {
  Address a;
  try {
    a = fromHex(text);
  } catch (const DecodeError&) {
    return false;
  }
  return text.substr(2) == std::string_view(a.checksummed()).substr(2);
}

std::string Address::checksummed() const {
  std::string lower = toHexNoPrefix(bytes_);
  Hash32 h = keccak256(lower);
  std::string out = "0x";
  out.reserve(2 + lower.size());
  for (std::size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    std::uint8_t nibble = (i % 2 == 0) ? (h.bytes()[i / 2] >> 4) : (h.bytes()[i / 2] & 0x0f);
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

std::string Address::hex() const { return toHex(bytes_); }

bool Address::isZero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

std::ostream& operator<<(std::ostream& os, const Hash32& h) { return os << h.hex(); }
std::ostream& operator<<(std::ostream& os, const Address& a) { return os << a.checksummed(); }

}  // namespace e2e::eth

std::size_t std::hash<e2e::eth::Address>::operator()(const e2e::eth::Address& a) const noexcept {
  return e2e::eth::hashBytes(a.bytes());
}
std::size_t std::hash<e2e::eth::Hash32>::operator()(const e2e::eth::Hash32& h) const noexcept {
  return e2e::eth::hashBytes(h.bytes());
}
