#include "framework/eth/personal_sign.hpp"

#include <cryptopp/keccak.h>
#include <fmt/format.h>

#include "framework/eth/keccak.hpp"

namespace e2e::eth {

Hash32 personalMessageHash(std::span<const std::uint8_t> message) {
  std::string prefix = fmt::format("\x19" "Ethereum Signed Message:\n{}", message.size());
  CryptoPP::Keccak_256 hasher;
  hasher.Update(reinterpret_cast<const CryptoPP::byte*>(prefix.data()), prefix.size());
  hasher.Update(message.data(), message.size());
  std::array<std::uint8_t, Hash32::kSize> out{};
  hasher.Final(out.data());
  return Hash32(out);
}

Hash32 personalMessageHash(std::string_view message) {
  return personalMessageHash(std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()));
}

Signature signPersonalMessage(const PrivateKey& key, std::string_view message) {
  return key.sign(personalMessageHash(message));
}

Address recoverPersonalMessageSigner(std::string_view message, const Signature& sig) {
  return recoverAddress(personalMessageHash(message), sig);
}

}  // namespace e2e::eth
