#include "framework/eth/request_signature.hpp"

#include <fmt/format.h>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/personal_sign.hpp"

namespace e2e::eth {
namespace {

// The EIP-191 hash the signature covers.
Hash32 bodyMessageHash(std::string_view body) { return personalMessageHash(keccak256(body).hex()); }

SignatureHeaderCheck failure(std::string why) { return SignatureHeaderCheck{.signer = std::nullopt, .error = std::move(why)}; }

}  // namespace

std::string makeSignatureHeader(const PrivateKey& key, std::string_view body) {
  Signature sig = key.sign(bodyMessageHash(body));
  return key.address().checksummed() + ":" + sig.hex(27);
}

SignatureHeaderCheck verifySignatureHeader(std::string_view header_value, std::string_view body) {
  if (header_value.empty()) return failure("no signature provided");
  std::size_t colon = header_value.find(':');
  if (colon == std::string_view::npos) {
    return failure(fmt::format("invalid signature provided: no ':' between address and signature in {}",
                               quoteForError(header_value)));
  }
  std::string_view address_text = header_value.substr(0, colon);
  std::string_view signature_text = header_value.substr(colon + 1);

  // The reference parses the address leniently (go-ethereum HexToAddress); this accepts
  // exactly 40 hex digits in any case, with or without 0x: a narrower, explicit subset.
  Address claimed;
  try {
    std::array<std::uint8_t, Address::kSize> bytes{};
    fromHexInto(address_text, bytes, HexPrefix::kOptional);
    claimed = Address(bytes);
  } catch (const DecodeError& e) {
    return failure(fmt::format("invalid signature provided: address part: {}", e.what()));
  }

  Signature sig;
  try {
    sig = Signature::fromBytes(fromHex(signature_text, HexPrefix::kRequired));
  } catch (const EthError& e) {
    return failure(fmt::format("invalid signature provided: {}", e.what()));
  }
  if (!sig.isLowS()) return failure("invalid signature provided: s is above n/2 (malleable form)");

  Address recovered;
  try {
    recovered = recoverAddress(bodyMessageHash(body), sig);
  } catch (const SignatureError& e) {
    return failure(fmt::format("invalid signature provided: {}", e.what()));
  }
  if (recovered != claimed) {
    return failure(fmt::format("invalid signature provided: signing address mismatch: header says {}, signature is by {}",
                               claimed.checksummed(), recovered.checksummed()));
  }
  return SignatureHeaderCheck{.signer = recovered, .error = {}};
}

}  // namespace e2e::eth
