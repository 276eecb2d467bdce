#include "framework/eth/keccak.hpp"

#include <cryptopp/keccak.h>

namespace e2e::eth {

Hash32 keccak256(std::span<const std::uint8_t> data) {
  CryptoPP::Keccak_256 hasher;
  hasher.Update(data.data(), data.size());
  std::array<std::uint8_t, Hash32::kSize> out{};
  hasher.Final(out.data());
  return Hash32(out);
}

Hash32 keccak256(std::string_view data) {
  return keccak256(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

}  // namespace e2e::eth
