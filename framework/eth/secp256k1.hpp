#pragma once
#include <array>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"

namespace e2e::eth {

// A recoverable ECDSA signature over secp256k1. y_parity is the recovery id (0 or 1).
struct Signature {
  U256 r;
  U256 s;
  std::uint8_t y_parity = 0;

  // r || s || v (65 bytes) with v = y_parity + v_offset (27 for EIP-191 and eth_sign).
  std::array<std::uint8_t, 65> toBytes(std::uint8_t v_offset = 27) const;
  // "0x" + 130 hex digits of toBytes(v_offset).
  std::string hex(std::uint8_t v_offset = 27) const;
  // 65 bytes r || s || v with v in {0, 1, 27, 28}; throws SignatureError otherwise.
  static Signature fromBytes(std::span<const std::uint8_t> bytes);
  // s <= n/2 (EIP-2); libsecp256k1 only makes such signatures.
  bool isLowS() const;

  bool operator==(const Signature&) const = default;
};

// An uncompressed secp256k1 public key: x || y, 64 bytes.
class PublicKey {
 public:
  explicit PublicKey(const std::array<std::uint8_t, 64>& xy) : xy_(xy) {}
  const std::array<std::uint8_t, 64>& bytes() const { return xy_; }
  // keccak256(x || y)[12:]
  Address address() const;
  // "0x04" + x + y (the SEC1 uncompressed form).
  std::string hex() const;
  bool operator==(const PublicKey&) const = default;

 private:
  std::array<std::uint8_t, 64> xy_;
};

// A secp256k1 private key. Never printed: operator<< and fmt show only its address; the
// bytes are wiped when the object dies. revealHex() is the one deliberate way out.
class PrivateKey {
 public:
  // 64 hex digits with or without 0x; throws DecodeError without echoing the text, or
  // SignatureError when the scalar is zero or >= the curve order.
  static PrivateKey fromHex(std::string_view text);
  static PrivateKey fromBytes(std::span<const std::uint8_t> bytes);
  // A fresh key from the kernel's random source (getrandom); throws SignatureError if unavailable.
  static PrivateKey random();

  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  ~PrivateKey();

  const PublicKey& publicKey() const { return public_key_; }
  const Address& address() const { return address_; }
  // Deterministic (RFC 6979) recoverable signature of a 32-byte hash, low-s.
  Signature sign(const Hash32& hash) const;
  // "0x" + 64 hex digits: for handing the key to a tool that needs it. Registers the digits
  // (both cases) with e2e::Redactor::instance(), so artifact logs mask them from then on.
  std::string revealHex() const;

  bool operator==(const PrivateKey& other) const;

 private:
  explicit PrivateKey(const std::array<std::uint8_t, 32>& secret);
  std::array<std::uint8_t, 32> secret_;
  PublicKey public_key_;
  Address address_;
};

std::ostream& operator<<(std::ostream& os, const PrivateKey& key);

// The address whose key made sig over hash. Throws SignatureError when r or s is out of
// range or no point recovers. Accepts high-s (callers that must reject it check isLowS()).
Address recoverAddress(const Hash32& hash, const Signature& sig);
PublicKey recoverPublicKey(const Hash32& hash, const Signature& sig);

}  // namespace e2e::eth

template <>
struct fmt::formatter<e2e::eth::PrivateKey> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const e2e::eth::PrivateKey& key, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(
        fmt::format("PrivateKey(<redacted>, address {})", key.address().checksummed()), ctx);
  }
};
