#pragma once
// Block assembly and the relay submission, without I/O: which orders go into the block for a
// slot (by effective priority fee, bundles as units in their order, nonces per sender, the
// gas limit), the bid's value, and the JSON mev-boost-relay's POST /relay/v1/builder/blocks
// takes (playground-and-relay.md §10.3).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/eth/transaction.hpp"
#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"
#include "tools/builder-standin/order_pool.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"

namespace bnet::standin {

using e2e::eth::U256;

// A payload_attributes event's data (beacon-APIs; playground-and-relay.md §11).
struct PayloadAttributes {
  std::uint64_t proposal_slot = 0;
  std::uint64_t proposer_index = 0;
  std::optional<std::uint64_t> parent_block_number;  // absent from gloas on
  e2e::eth::Hash32 parent_block_root;
  e2e::eth::Hash32 parent_block_hash;
  std::uint64_t timestamp = 0;
  e2e::eth::Hash32 prev_randao;
  e2e::eth::Address suggested_fee_recipient;
  nlohmann::json withdrawals = nlohmann::json::array();  // as received
  std::optional<e2e::eth::Hash32> parent_beacon_block_root;
  std::string version;  // "electra", ...
};
// Parses the SSE event's data ({"version","data":{...}}); throws std::invalid_argument
// naming the field that is missing or malformed.
PayloadAttributes parsePayloadAttributes(std::string_view event_data);

// A relay's validator registration for one slot (GET /relay/v1/builder/validators).
struct ProposerDuty {
  std::uint64_t slot = 0;
  std::string pubkey;  // 0x + 48 bytes
  e2e::eth::Address fee_recipient;
  std::uint64_t gas_limit = 0;
};
// Parses the validators answer into duties by slot; throws std::invalid_argument.
std::map<std::uint64_t, ProposerDuty> parseProposerDuties(std::string_view body);

// The block the stand-in builds on top of the parent.
struct BlockContext {
  std::uint64_t number = 0;
  std::uint64_t timestamp = 0;
  std::uint64_t gas_limit = 0;
  U256 base_fee = 0;
};

// EIP-1559: the next block's base fee (elasticity 2, change denominator 8).
U256 nextBaseFee(std::uint64_t parent_gas_used, std::uint64_t parent_gas_limit, const U256& parent_base_fee);
// The next gas limit moving from parent toward desired by less than parent/1024 per block.
std::uint64_t nextGasLimit(std::uint64_t parent_gas_limit, std::uint64_t desired_gas_limit);

// What the sender pays the coinbase per gas at base_fee: min(max priority fee, max fee -
// base fee) for EIP-1559, gas price - base fee for legacy. nullopt when the transaction
// cannot pay the base fee.
std::optional<U256> effectivePriorityFee(const e2e::eth::SignedTx& tx, const U256& base_fee);

struct AssembledBlock {
  std::vector<e2e::eth::SignedTx> txs;    // block order
  std::vector<std::uint64_t> included;    // order ids in block order
  std::vector<std::uint64_t> stale;       // orders that can never land (nonce used, target passed)
  std::uint64_t gas_used = 0;
  U256 value = 0;                         // sum of effective priority fee * gas, wei
  std::size_t bundles = 0;                // included bundles
};

// The sender's next nonce at the parent block (e.g. eth_getTransactionCount at the parent);
// may throw, which assembleBlock passes on.
using NonceLookup = std::function<std::uint64_t(const e2e::eth::Address&)>;

// Greedy "mev-gas-price" ordering: orders that fit the block (target block, timestamps) are
// ranked by their effective priority fee per gas (a bundle by its total over its gas), ties
// by arrival; the best order whose every transaction has its sender's next nonce (chaining
// transactions of one sender, also across orders) and fits the remaining gas goes in, then
// the ranking is walked again from the top. Departure: nothing is executed, so a
// transaction's gas used is its gas limit and every transaction is assumed to succeed.
AssembledBlock assembleBlock(const std::vector<Order>& orders, const BlockContext& block, const NonceLookup& nonces);

// The stand-in BLS public key of relay_secret_key: 48 bytes from keccak256 (Debian has no
// BLS12-381 library, so the real G1 public key cannot be derived). Deterministic.
std::string standInBuilderPubkey(const RelaySecretKey& key);
// A stand-in 96-byte "BLS signature" of the bid: keccak256-based, deterministic.
std::string standInBidSignature(const RelaySecretKey& key, const e2e::eth::Hash32& block_hash);

struct Bid {
  PayloadAttributes attributes;
  ProposerDuty duty;
  BlockContext block;
  e2e::eth::Address fee_recipient;  // the builder's coinbase
  std::string extra_data;           // raw UTF-8 bytes
  AssembledBlock content;
  std::string builder_pubkey;
  e2e::eth::Hash32 block_hash;      // stand-in, see standInBlockHash
};
// Departure: the stand-in executes nothing, so it has no state or receipts root; its block
// hash is keccak256 over the payload fields it does have (parent hash, fee recipient,
// number, timestamp, prev_randao, gas limit and used, base fee, extra data, tx hashes).
e2e::eth::Hash32 standInBlockHash(const Bid& bid);
// Fills builder_pubkey and block_hash.
Bid makeBid(PayloadAttributes attributes, ProposerDuty duty, BlockContext block, e2e::eth::Address fee_recipient,
            std::string extra_data, AssembledBlock content, const RelaySecretKey& key);

// The JSON submission: {"message": BidTrace, "execution_payload": …, "blobs_bundle": …,
// "execution_requests": …, "signature": …}; numbers as decimal strings, bytes as 0x-hex,
// transactions as raw 0x-hex in block order.
nlohmann::ordered_json submissionJson(const Bid& bid, const RelaySecretKey& key);

// Wei as ether with up to 18 decimals and no trailing zeros ("0.000021"), as rbuilder logs
// bid_value.
std::string formatEther(const U256& wei);

}  // namespace bnet::standin
