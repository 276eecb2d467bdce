#pragma once
// Signed test transactions from the public anvil/hardhat test accounts.
#include <cstdint>

#include "framework/eth/accounts.hpp"
#include "framework/eth/transaction.hpp"

namespace bnet::standin::testing {

inline constexpr std::uint64_t kChainId = 1337;
inline constexpr std::uint64_t kGwei = 1'000'000'000ull;

// An EIP-1559 transfer of 1 wei from prefunded account `from` to account 9.
inline e2e::eth::SignedTx transferTx(std::size_t from, std::uint64_t nonce, std::uint64_t tip_gwei,
                                     std::uint64_t max_fee_gwei = 100, std::uint64_t gas = 21'000) {
  e2e::eth::Eip1559Tx tx{.chain_id = kChainId,
                         .nonce = nonce,
                         .max_priority_fee_per_gas = e2e::eth::U256(tip_gwei) * kGwei,
                         .max_fee_per_gas = e2e::eth::U256(max_fee_gwei) * kGwei,
                         .gas_limit = gas,
                         .to = e2e::eth::prefundedAccount(9).address,
                         .value = 1};
  return e2e::eth::signTransaction(tx, e2e::eth::prefundedAccount(from).key);
}

inline e2e::eth::SignedTx legacyTx(std::size_t from, std::uint64_t nonce, std::uint64_t gas_price_gwei) {
  e2e::eth::LegacyTx tx{.nonce = nonce,
                        .gas_price = e2e::eth::U256(gas_price_gwei) * kGwei,
                        .to = e2e::eth::prefundedAccount(9).address,
                        .value = 1,
                        .chain_id = kChainId};
  return e2e::eth::signTransaction(tx, e2e::eth::prefundedAccount(from).key);
}

}  // namespace bnet::standin::testing
