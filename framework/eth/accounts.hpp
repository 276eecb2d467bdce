#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "framework/eth/secp256k1.hpp"
#include "framework/eth/transaction.hpp"
#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"

namespace e2e::eth {

// The mnemonic of anvil, hardhat and builder-playground's prefunded accounts.
inline constexpr std::string_view kTestMnemonic = "test test test test test test test test test test test junk";

// One of the mnemonic's accounts (m/44'/60'/0'/0/index), as published with those tools.
struct TestAccount {
  std::size_t index;
  PrivateKey key;
  Address address;  // as published; tests check that key derives it
};

// The first 10 accounts of kTestMnemonic (public test keys: never use them on a real chain).
const std::vector<TestAccount>& prefundedAccounts();
// prefundedAccounts()[index]; throws std::out_of_range naming the index and the count.
const TestAccount& prefundedAccount(std::size_t index);

// Hands out nonces per sender: the first request for an address asks `fetch_start` (e.g.
// eth_getTransactionCount(addr, "pending")), later ones count up locally. Thread-safe; a
// fetch for one address does not block others.
class NonceManager {
 public:
  using FetchStart = std::function<std::uint64_t(const Address&)>;
  explicit NonceManager(FetchStart fetch_start);

  // The nonce for the next transaction of addr. Blocks on fetch_start the first time (and
  // after reset); rethrows what it throws, in which case the next call asks again.
  std::uint64_t next(const Address& addr);
  // Forgets addr's count (e.g. a transaction was dropped), so the next call fetches again.
  void reset(const Address& addr);

 private:
  struct Slot {
    std::mutex mu;
    std::optional<std::uint64_t> next;
  };
  FetchStart fetch_start_;
  std::mutex mu_;
  std::map<Address, std::shared_ptr<Slot>> slots_;
};

// Gas of a plain value transfer.
inline constexpr std::uint64_t kTransferGas = 21'000;

struct Fees {
  U256 max_fee_per_gas;
  U256 max_priority_fee_per_gas;
};

// An unsigned EIP-1559 transfer; the caller completes it with what the chain decides.
struct Transfer {
  Address from;
  Address to;
  U256 value;
  std::uint64_t gas_limit = kTransferGas;

  Eip1559Tx complete(std::uint64_t chain_id, std::uint64_t nonce, const Fees& fees) const;
  // complete() and sign; throws EthError if key is not the key of `from`.
  SignedTx sign(const PrivateKey& key, std::uint64_t chain_id, std::uint64_t nonce, const Fees& fees) const;
};

Transfer transfer(const Address& from, const Address& to, const U256& amount);
Transfer transfer(const TestAccount& from, const Address& to, const U256& amount);
Transfer transfer(const TestAccount& from, const TestAccount& to, const U256& amount);

}  // namespace e2e::eth
