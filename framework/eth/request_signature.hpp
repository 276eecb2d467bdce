#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "framework/eth/secp256k1.hpp"
#include "framework/eth/types.hpp"

// The JSON-RPC request signature used by Flashbots-style orderflow endpoints: a header
// "<address>:0x<65-byte signature>" where the signature is EIP-191 personal_sign of the
// string "0x" + lowercase hex(keccak256(body)) (66 characters), v as 27/28.
namespace e2e::eth {

inline constexpr std::string_view kFlashbotsSignatureHeader = "X-Flashbots-Signature";

// The header value for body (the exact bytes that will be sent), address in EIP-55 form.
std::string makeSignatureHeader(const PrivateKey& key, std::string_view body);

// What verifySignatureHeader found: the signer, or why the header is not valid.
struct SignatureHeaderCheck {
  std::optional<Address> signer;
  // Empty when signer is set; else the reference's wording: "no signature provided" or
  // "invalid signature provided: <why>".
  std::string error;
  bool ok() const { return signer.has_value(); }
  explicit operator bool() const { return ok(); }
};

// Checks a header value against body as the reference verifier does: splits at the first
// ':', decodes the 0x-signature (65 bytes, v 0/1/27/28), recovers the signer of the EIP-191
// hash of "0x"+hex(keccak(body)), requires low s, and compares the recovered address with
// the address part case-insensitively. Never throws for bad input.
SignatureHeaderCheck verifySignatureHeader(std::string_view header_value, std::string_view body);

}  // namespace e2e::eth
