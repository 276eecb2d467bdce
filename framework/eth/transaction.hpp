#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "framework/eth/secp256k1.hpp"
#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"

namespace e2e::eth {

// A legacy transaction. With chain_id set it is signed per EIP-155 (v = 35 + 2*chain_id +
// parity); without, as before EIP-155 (v = 27 + parity). `to` empty = contract creation.
struct LegacyTx {
  std::uint64_t nonce = 0;
  U256 gas_price = 0;
  std::uint64_t gas_limit = 21'000;
  std::optional<Address> to;
  U256 value = 0;
  Bytes data;
  std::optional<std::uint64_t> chain_id;

  bool operator==(const LegacyTx&) const = default;
};

struct AccessListEntry {
  Address address;
  std::vector<Hash32> storage_keys;
  bool operator==(const AccessListEntry&) const = default;
};

// An EIP-1559 (type 2) transaction.
struct Eip1559Tx {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  U256 max_priority_fee_per_gas = 0;
  U256 max_fee_per_gas = 0;
  std::uint64_t gas_limit = 21'000;
  std::optional<Address> to;
  U256 value = 0;
  Bytes data;
  std::vector<AccessListEntry> access_list;

  bool operator==(const Eip1559Tx&) const = default;
};

enum class TxType : std::uint8_t { kLegacy = 0, kEip1559 = 2 };

// The hash a sender signs: keccak of the EIP-155 (or pre-155) RLP list for legacy,
// keccak(0x02 || rlp([...fields])) for type 2.
Hash32 signingHash(const LegacyTx& tx);
Hash32 signingHash(const Eip1559Tx& tx);

// A signed transaction: the fields, the signature, the raw bytes (for eth_sendRawTransaction;
// the EIP-2718 envelope for type 2), the hash (keccak of the raw bytes) and the sender.
class SignedTx {
 public:
  using Fields = std::variant<LegacyTx, Eip1559Tx>;

  TxType type() const;
  const Fields& fields() const { return fields_; }
  // The fields of the one type; nullptr for the other.
  const LegacyTx* legacy() const { return std::get_if<LegacyTx>(&fields_); }
  const Eip1559Tx* eip1559() const { return std::get_if<Eip1559Tx>(&fields_); }
  const Signature& signature() const { return signature_; }
  const Bytes& raw() const { return raw_; }
  std::string rawHex() const;
  const Hash32& hash() const { return hash_; }
  const Address& sender() const { return sender_; }

  // Fields both types have.
  std::uint64_t nonce() const;
  std::optional<std::uint64_t> chainId() const;
  std::uint64_t gasLimit() const;
  const std::optional<Address>& to() const;
  const U256& value() const;
  const Bytes& data() const;

 private:
  friend SignedTx signTransaction(const LegacyTx&, const PrivateKey&);
  friend SignedTx signTransaction(const Eip1559Tx&, const PrivateKey&);
  friend SignedTx decodeTransaction(std::span<const std::uint8_t>);
  SignedTx(Fields fields, Signature signature, Bytes raw, Address sender);
  Fields fields_;
  Signature signature_;
  Bytes raw_;
  Hash32 hash_;
  Address sender_;
};

// Signs with key; never throws for a valid key.
SignedTx signTransaction(const LegacyTx& tx, const PrivateKey& key);
SignedTx signTransaction(const Eip1559Tx& tx, const PrivateKey& key);

// Decodes raw bytes of a legacy or type-2 transaction and recovers its sender. Throws
// TransactionError (with the RLP offset where it applies) for malformed RLP, a wrong field
// count or size, an unsupported type, a high-s or unrecoverable signature.
SignedTx decodeTransaction(std::span<const std::uint8_t> raw);
// Same from "0x"-hex.
SignedTx decodeTransactionHex(std::string_view raw_hex);

}  // namespace e2e::eth
