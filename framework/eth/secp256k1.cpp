#include "framework/eth/secp256k1.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "framework/artifacts/redactor.hpp"
#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"

namespace e2e::eth {
namespace {

void fillRandom(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SignatureError(fmt::format("getrandom failed: {}", std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

// One context for the process: created and randomized once, then used read-only (the
// library documents const-context calls as thread-safe).
const secp256k1_context* context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::array<std::uint8_t, 32> seed{};
    fillRandom(seed);
    if (secp256k1_context_randomize(c, seed.data()) != 1) {
      throw SignatureError("secp256k1_context_randomize failed");
    }
    return c;
  }();
  return ctx;
}

const U256& halfOrder() {
  static const U256 kHalf =
      U256("0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0");
  return kHalf;
}

PublicKey derivePublicKey(const std::array<std::uint8_t, 32>& secret) {
  secp256k1_pubkey pub;
  if (secp256k1_ec_pubkey_create(context(), &pub, secret.data()) != 1) {
    throw SignatureError("private key is zero or not below the secp256k1 order");
  }
  std::array<std::uint8_t, 65> ser{};
  std::size_t len = ser.size();
  secp256k1_ec_pubkey_serialize(context(), ser.data(), &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  std::array<std::uint8_t, 64> xy{};
  std::memcpy(xy.data(), ser.data() + 1, xy.size());
  return PublicKey(xy);
}

std::array<std::uint8_t, 64> compact(const Signature& sig) {
  std::array<std::uint8_t, 64> out{};
  auto r = toBigEndian32(sig.r);
  auto s = toBigEndian32(sig.s);
  std::memcpy(out.data(), r.data(), 32);
  std::memcpy(out.data() + 32, s.data(), 32);
  return out;
}

}  // namespace

std::array<std::uint8_t, 65> Signature::toBytes(std::uint8_t v_offset) const {
  std::array<std::uint8_t, 65> out{};
  auto rs = compact(*this);
  std::memcpy(out.data(), rs.data(), rs.size());
  out[64] = static_cast<std::uint8_t>(y_parity + v_offset);
  return out;
}

std::string Signature::hex(std::uint8_t v_offset) const { return toHex(toBytes(v_offset)); }

Signature Signature::fromBytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 65) {
    throw SignatureError(fmt::format("signature of {} bytes, expected 65 (r, s, v)", bytes.size()));
  }
  std::uint8_t v = bytes[64];
  if (v >= 27) v = static_cast<std::uint8_t>(v - 27);
  if (v > 1) throw SignatureError(fmt::format("signature v = {}: expected 0, 1, 27 or 28", bytes[64]));
  return Signature{.r = fromBigEndian(bytes.subspan(0, 32)), .s = fromBigEndian(bytes.subspan(32, 32)), .y_parity = v};
}

bool Signature::isLowS() const { return s <= halfOrder(); }

Address PublicKey::address() const {
  Hash32 h = keccak256(xy_);
  return Address::fromBytes(h.span().subspan(12));
}

std::string PublicKey::hex() const { return "0x04" + toHexNoPrefix(xy_); }

PrivateKey::PrivateKey(const std::array<std::uint8_t, 32>& secret)
    : secret_(secret), public_key_(derivePublicKey(secret)), address_(public_key_.address()) {}

PrivateKey::PrivateKey(const PrivateKey& other) = default;
PrivateKey& PrivateKey::operator=(const PrivateKey& other) = default;

PrivateKey::~PrivateKey() { explicit_bzero(secret_.data(), secret_.size()); }

PrivateKey PrivateKey::fromHex(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
  if (digits.size() != 64) {
    throw DecodeError(fmt::format("private key: expected 64 hex digits (optionally after 0x), got {}",
                                  digits.size()));
  }
  std::array<std::uint8_t, 32> secret{};
  std::size_t bad = 0;
  if (!detail::decodeHexDigits(digits, secret, bad)) {
    explicit_bzero(secret.data(), secret.size());
    throw DecodeError(fmt::format("private key: a non-hex character at digit {}", bad));
  }
  PrivateKey key(secret);
  explicit_bzero(secret.data(), secret.size());
  return key;
}

PrivateKey PrivateKey::fromBytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 32) throw DecodeError(fmt::format("private key: {} bytes, expected 32", bytes.size()));
  std::array<std::uint8_t, 32> secret{};
  std::memcpy(secret.data(), bytes.data(), 32);
  PrivateKey key(secret);
  explicit_bzero(secret.data(), secret.size());
  return key;
}

PrivateKey PrivateKey::random() {
  std::array<std::uint8_t, 32> secret{};
  do {
    fillRandom(secret);
  } while (secp256k1_ec_seckey_verify(context(), secret.data()) != 1);
  PrivateKey key(secret);
  explicit_bzero(secret.data(), secret.size());
  return key;
}

Signature PrivateKey::sign(const Hash32& hash) const {
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_sign_recoverable(context(), &sig, hash.bytes().data(), secret_.data(), nullptr,
                                       nullptr) != 1) {
    throw SignatureError("secp256k1 signing failed");
  }
  std::array<std::uint8_t, 64> rs{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), rs.data(), &recid, &sig);
  return Signature{.r = fromBigEndian(std::span(rs).subspan(0, 32)),
                   .s = fromBigEndian(std::span(rs).subspan(32, 32)),
                   .y_parity = static_cast<std::uint8_t>(recid)};
}

std::string PrivateKey::revealHex() const {
  std::string digits = toHexNoPrefix(secret_);
  std::string upper = digits;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Redactor::instance().registerSecret(digits);
  Redactor::instance().registerSecret(upper);
  return "0x" + digits;
}

bool PrivateKey::operator==(const PrivateKey& other) const { return secret_ == other.secret_; }

std::ostream& operator<<(std::ostream& os, const PrivateKey& key) {
  return os << "PrivateKey(<redacted>, address " << key.address().checksummed() << ")";
}

PublicKey recoverPublicKey(const Hash32& hash, const Signature& sig) {
  if (sig.y_parity > 1) throw SignatureError(fmt::format("recovery id {} is not 0 or 1", sig.y_parity));
  if (sig.r == 0 || sig.s == 0) throw SignatureError("signature r or s is zero");
  auto rs = compact(sig);
  secp256k1_ecdsa_recoverable_signature parsed;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, rs.data(), sig.y_parity) != 1) {
    throw SignatureError("signature r or s is not below the secp256k1 order");
  }
  secp256k1_pubkey pub;
  if (secp256k1_ecdsa_recover(context(), &pub, &parsed, hash.bytes().data()) != 1) {
    throw SignatureError("no public key recovers from this signature and hash");
  }
  std::array<std::uint8_t, 65> ser{};
  std::size_t len = ser.size();
  secp256k1_ec_pubkey_serialize(context(), ser.data(), &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  std::array<std::uint8_t, 64> xy{};
  std::memcpy(xy.data(), ser.data() + 1, xy.size());
  return PublicKey(xy);
}

Address recoverAddress(const Hash32& hash, const Signature& sig) { return recoverPublicKey(hash, sig).address(); }

}  // namespace e2e::eth
