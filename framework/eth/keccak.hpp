#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "framework/eth/types.hpp"

namespace e2e::eth {

// Keccak-256 as Ethereum uses it (the original padding, not SHA3-256), via Crypto++.
Hash32 keccak256(std::span<const std::uint8_t> data);
Hash32 keccak256(std::string_view data);

}  // namespace e2e::eth
