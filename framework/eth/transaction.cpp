#include "framework/eth/transaction.hpp"

#include <fmt/format.h>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/rlp.hpp"

namespace e2e::eth {
namespace {

using rlp::Item;

Item toItem(const std::optional<Address>& to) { return to ? Item::address(*to) : Item::bytes(Bytes{}); }

std::vector<Item> legacyBase(const LegacyTx& tx) {
  std::vector<Item> items;
  items.reserve(9);
  items.push_back(Item::uint(tx.nonce));
  items.push_back(Item::uint(tx.gas_price));
  items.push_back(Item::uint(tx.gas_limit));
  items.push_back(toItem(tx.to));
  items.push_back(Item::uint(tx.value));
  items.push_back(Item::bytes(tx.data));
  return items;
}

std::vector<Item> eip1559Base(const Eip1559Tx& tx) {
  std::vector<Item> items;
  items.reserve(12);
  items.push_back(Item::uint(tx.chain_id));
  items.push_back(Item::uint(tx.nonce));
  items.push_back(Item::uint(tx.max_priority_fee_per_gas));
  items.push_back(Item::uint(tx.max_fee_per_gas));
  items.push_back(Item::uint(tx.gas_limit));
  items.push_back(toItem(tx.to));
  items.push_back(Item::uint(tx.value));
  items.push_back(Item::bytes(tx.data));
  std::vector<Item> access;
  access.reserve(tx.access_list.size());
  for (const AccessListEntry& e : tx.access_list) {
    std::vector<Item> keys;
    keys.reserve(e.storage_keys.size());
    for (const Hash32& k : e.storage_keys) keys.push_back(Item::hash(k));
    access.push_back(Item::list({Item::address(e.address), Item::list(std::move(keys))}));
  }
  items.push_back(Item::list(std::move(access)));
  return items;
}

Bytes typed(TxType type, const Item& list) {
  Bytes out{static_cast<std::uint8_t>(type)};
  Bytes body = rlp::encode(list);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void appendSignature(std::vector<Item>& items, const U256& v, const Signature& sig) {
  items.push_back(Item::uint(v));
  items.push_back(Item::uint(sig.r));
  items.push_back(Item::uint(sig.s));
}

// Field access with errors that name the field and its offset in the raw bytes.
class FieldReader {
 public:
  FieldReader(const std::vector<Item>& items, std::size_t base, std::string_view kind)
      : items_(items), base_(base), kind_(kind) {}

  template <typename F>
  auto read(std::size_t index, std::string_view name, F&& f) const {
    const Item& item = items_[index];
    try {
      return f(item);
    } catch (const RlpError& e) {
      throw TransactionError(fmt::format("{} transaction: field {} at offset {}: {}", kind_, name,
                                         e.offset() + base_, e.reason()));
    }
  }
  std::uint64_t u64(std::size_t i, std::string_view name) const {
    return read(i, name, [](const Item& it) { return it.asUint64(); });
  }
  U256 u256(std::size_t i, std::string_view name) const {
    return read(i, name, [](const Item& it) { return it.asUint(); });
  }
  Bytes bytes(std::size_t i, std::string_view name) const {
    return read(i, name, [](const Item& it) { return it.asBytes(); });
  }
  std::optional<Address> to(std::size_t i) const {
    return read(i, "to", [](const Item& it) -> std::optional<Address> {
      if (it.asBytes().empty()) return std::nullopt;
      return it.asAddress();
    });
  }
  std::vector<AccessListEntry> accessList(std::size_t i) const {
    return read(i, "accessList", [](const Item& it) {
      std::vector<AccessListEntry> out;
      for (const Item& entry : it.asList()) {
        const auto& pair = entry.asList();
        if (pair.size() != 2) {
          throw RlpError(entry.offset(), fmt::format("access list entry has {} items, expected 2", pair.size()));
        }
        AccessListEntry e{.address = pair[0].asAddress(), .storage_keys = {}};
        for (const Item& key : pair[1].asList()) e.storage_keys.push_back(key.asHash());
        out.push_back(std::move(e));
      }
      return out;
    });
  }

 private:
  const std::vector<Item>& items_;
  std::size_t base_;
  std::string_view kind_;
};

Signature readSignature(const FieldReader& f, std::size_t first, std::uint8_t parity, std::string_view kind) {
  Signature sig{.r = f.u256(first + 1, "r"), .s = f.u256(first + 2, "s"), .y_parity = parity};
  if (!sig.isLowS()) throw TransactionError(fmt::format("{} transaction: signature s is above n/2 (EIP-2)", kind));
  return sig;
}

Address recoverSender(const Hash32& signing_hash, const Signature& sig, std::string_view kind) {
  try {
    return recoverAddress(signing_hash, sig);
  } catch (const SignatureError& e) {
    throw TransactionError(fmt::format("{} transaction: cannot recover the sender: {}", kind, e.what()));
  }
}

const std::vector<Item>& topList(const Item& item, std::size_t expected, std::size_t base, std::string_view kind) {
  if (!item.isList()) throw TransactionError(fmt::format("{} transaction: RLP at offset {} is not a list", kind, base));
  const auto& items = item.asList();
  if (items.size() != expected) {
    throw TransactionError(fmt::format("{} transaction: {} fields, expected {}", kind, items.size(), expected));
  }
  return items;
}

rlp::Item decodeRlp(std::span<const std::uint8_t> bytes, std::size_t base, std::string_view kind) {
  try {
    return rlp::decode(bytes);
  } catch (const RlpError& e) {
    throw TransactionError(fmt::format("{} transaction: RLP at offset {}: {}", kind, e.offset() + base, e.reason()));
  }
}

}  // namespace

Hash32 signingHash(const LegacyTx& tx) {
  std::vector<Item> items = legacyBase(tx);
  if (tx.chain_id) {
    items.push_back(Item::uint(*tx.chain_id));
    items.push_back(Item::uint(std::uint64_t{0}));
    items.push_back(Item::uint(std::uint64_t{0}));
  }
  return keccak256(rlp::encode(Item::list(std::move(items))));
}

Hash32 signingHash(const Eip1559Tx& tx) {
  return keccak256(typed(TxType::kEip1559, Item::list(eip1559Base(tx))));
}

SignedTx::SignedTx(Fields fields, Signature signature, Bytes raw, Address sender)
    : fields_(std::move(fields)),
      signature_(std::move(signature)),
      raw_(std::move(raw)),
      hash_(keccak256(raw_)),
      sender_(sender) {}

TxType SignedTx::type() const { return legacy() ? TxType::kLegacy : TxType::kEip1559; }
std::string SignedTx::rawHex() const { return toHex(raw_); }

std::uint64_t SignedTx::nonce() const {
  return std::visit([](const auto& t) { return t.nonce; }, fields_);
}
std::optional<std::uint64_t> SignedTx::chainId() const {
  if (const auto* l = legacy()) return l->chain_id;
  return eip1559()->chain_id;
}
std::uint64_t SignedTx::gasLimit() const {
  return std::visit([](const auto& t) { return t.gas_limit; }, fields_);
}
const std::optional<Address>& SignedTx::to() const {
  return std::visit([](const auto& t) -> const std::optional<Address>& { return t.to; }, fields_);
}
const U256& SignedTx::value() const {
  return std::visit([](const auto& t) -> const U256& { return t.value; }, fields_);
}
const Bytes& SignedTx::data() const {
  return std::visit([](const auto& t) -> const Bytes& { return t.data; }, fields_);
}

SignedTx signTransaction(const LegacyTx& tx, const PrivateKey& key) {
  Signature sig = key.sign(signingHash(tx));
  U256 v = tx.chain_id ? U256(*tx.chain_id) * 2 + 35 + sig.y_parity : U256(27 + sig.y_parity);
  std::vector<Item> items = legacyBase(tx);
  appendSignature(items, v, sig);
  return SignedTx(tx, sig, rlp::encode(Item::list(std::move(items))), key.address());
}

SignedTx signTransaction(const Eip1559Tx& tx, const PrivateKey& key) {
  Signature sig = key.sign(signingHash(tx));
  std::vector<Item> items = eip1559Base(tx);
  appendSignature(items, sig.y_parity, sig);
  return SignedTx(tx, sig, typed(TxType::kEip1559, Item::list(std::move(items))), key.address());
}

SignedTx decodeTransaction(std::span<const std::uint8_t> raw) {
  if (raw.empty()) throw TransactionError("raw transaction: empty");
  const std::uint8_t first = raw[0];
  if (first >= 0xc0) {
    constexpr std::string_view kKind = "legacy";
    Item top = decodeRlp(raw, 0, kKind);
    const auto& items = topList(top, 9, 0, kKind);
    FieldReader f(items, 0, kKind);
    LegacyTx tx{.nonce = f.u64(0, "nonce"),
                .gas_price = f.u256(1, "gasPrice"),
                .gas_limit = f.u64(2, "gas"),
                .to = f.to(3),
                .value = f.u256(4, "value"),
                .data = f.bytes(5, "data"),
                .chain_id = std::nullopt};
    const std::uint64_t v = f.u64(6, "v");
    std::uint8_t parity = 0;
    if (v == 27 || v == 28) {
      parity = static_cast<std::uint8_t>(v - 27);
    } else if (v >= 35) {
      tx.chain_id = (v - 35) / 2;
      parity = static_cast<std::uint8_t>((v - 35) % 2);
    } else {
      throw TransactionError(fmt::format("legacy transaction: v = {} is neither 27/28 nor EIP-155 (>= 35)", v));
    }
    Signature sig = readSignature(f, 6, parity, kKind);
    Address sender = recoverSender(signingHash(tx), sig, kKind);
    return SignedTx(std::move(tx), sig, Bytes(raw.begin(), raw.end()), sender);
  }
  if (first == static_cast<std::uint8_t>(TxType::kEip1559)) {
    constexpr std::string_view kKind = "type-2";
    Item top = decodeRlp(raw.subspan(1), 1, kKind);
    const auto& items = topList(top, 12, 1, kKind);
    FieldReader f(items, 1, kKind);
    Eip1559Tx tx{.chain_id = f.u64(0, "chainId"),
                 .nonce = f.u64(1, "nonce"),
                 .max_priority_fee_per_gas = f.u256(2, "maxPriorityFeePerGas"),
                 .max_fee_per_gas = f.u256(3, "maxFeePerGas"),
                 .gas_limit = f.u64(4, "gas"),
                 .to = f.to(5),
                 .value = f.u256(6, "value"),
                 .data = f.bytes(7, "data"),
                 .access_list = f.accessList(8)};
    const std::uint64_t y = f.u64(9, "yParity");
    if (y > 1) throw TransactionError(fmt::format("type-2 transaction: yParity = {}, expected 0 or 1", y));
    Signature sig = readSignature(f, 9, static_cast<std::uint8_t>(y), kKind);
    Address sender = recoverSender(signingHash(tx), sig, kKind);
    return SignedTx(std::move(tx), sig, Bytes(raw.begin(), raw.end()), sender);
  }
  if (first < 0x80) {
    throw TransactionError(
        fmt::format("raw transaction: type 0x{:02x} is not supported (legacy and type 2 only)", first));
  }
  throw TransactionError(fmt::format("raw transaction: first byte 0x{:02x} is neither a type nor an RLP list", first));
}

SignedTx decodeTransactionHex(std::string_view raw_hex) {
  Bytes raw;
  try {
    raw = fromHex(raw_hex);
  } catch (const DecodeError& e) {
    throw TransactionError(fmt::format("raw transaction: {}", e.what()));
  }
  return decodeTransaction(raw);
}

}  // namespace e2e::eth
