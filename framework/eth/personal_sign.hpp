#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "framework/eth/secp256k1.hpp"
#include "framework/eth/types.hpp"

// EIP-191 version 0x45 ("personal_sign"): keccak256("\x19Ethereum Signed Message:\n" +
// decimal length of the message + message).
namespace e2e::eth {

Hash32 personalMessageHash(std::span<const std::uint8_t> message);
Hash32 personalMessageHash(std::string_view message);
// The signature a wallet's signMessage makes (v written as 27/28 by Signature::hex()).
Signature signPersonalMessage(const PrivateKey& key, std::string_view message);
// The signer's address; throws SignatureError when nothing recovers.
Address recoverPersonalMessageSigner(std::string_view message, const Signature& sig);

}  // namespace e2e::eth
