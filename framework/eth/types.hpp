#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace e2e::eth {

// A 32-byte hash (keccak-256, a transaction or block hash, a storage key).
class Hash32 {
 public:
  static constexpr std::size_t kSize = 32;
  Hash32() = default;
  explicit Hash32(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}
  // "0x" + 64 hex digits, either case; throws DecodeError naming the text.
  static Hash32 fromHex(std::string_view text);
  // Exactly 32 bytes; throws DecodeError otherwise.
  static Hash32 fromBytes(std::span<const std::uint8_t> bytes);

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  std::span<const std::uint8_t> span() const { return bytes_; }
  // "0x" + 64 lowercase hex digits.
  std::string hex() const;
  bool isZero() const;

  auto operator<=>(const Hash32&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

// A 20-byte account address. Parsed case-insensitively; printed with the EIP-55 checksum.
class Address {
 public:
  static constexpr std::size_t kSize = 20;
  Address() = default;
  explicit Address(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}
  // "0x" + 40 hex digits in any case (the checksum is not enforced; see hasValidChecksum).
  // Throws DecodeError naming the text.
  static Address fromHex(std::string_view text);
  // Exactly 20 bytes; throws DecodeError otherwise.
  static Address fromBytes(std::span<const std::uint8_t> bytes);
  // True when text is a 0x-address whose letter case is exactly its EIP-55 form.
  static bool hasValidChecksum(std::string_view text);

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  std::span<const std::uint8_t> span() const { return bytes_; }
  // EIP-55 mixed-case form, e.g. "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".
  std::string checksummed() const;
  // "0x" + 40 lowercase hex digits.
  std::string hex() const;
  bool isZero() const;

  auto operator<=>(const Address&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

std::ostream& operator<<(std::ostream& os, const Hash32& h);
std::ostream& operator<<(std::ostream& os, const Address& a);

}  // namespace e2e::eth

template <>
struct std::hash<e2e::eth::Address> {
  std::size_t operator()(const e2e::eth::Address& a) const noexcept;
};
template <>
struct std::hash<e2e::eth::Hash32> {
  std::size_t operator()(const e2e::eth::Hash32& h) const noexcept;
};

template <>
struct fmt::formatter<e2e::eth::Address> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const e2e::eth::Address& a, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(a.checksummed(), ctx);
  }
};
template <>
struct fmt::formatter<e2e::eth::Hash32> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const e2e::eth::Hash32& h, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(h.hex(), ctx);
  }
};
