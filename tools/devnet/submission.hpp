#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"

namespace bnet::devnet {

// A submission the relay rejects: the HTTP status and the message of the relay's error JSON
// ({"code": status, "message": message}).
class SubmissionError : public std::runtime_error {
 public:
  SubmissionError(int status, std::string message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// The BidTrace of a builder submission (flashbots/relay-specs, builder-specs). BLS keys are
// kept as lowercase 0x-hex of exactly 48 bytes.
struct BidTrace {
  std::uint64_t slot = 0;
  e2e::eth::Hash32 parent_hash;
  e2e::eth::Hash32 block_hash;
  std::string builder_pubkey;
  std::string proposer_pubkey;
  e2e::eth::Address proposer_fee_recipient;
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  e2e::eth::U256 value = 0;
};

struct Withdrawal {
  std::uint64_t index = 0;
  std::uint64_t validator_index = 0;
  e2e::eth::Address address;
  std::uint64_t amount = 0;
  bool operator==(const Withdrawal&) const = default;
};

// The execution payload of a submission (Deneb/Electra shape).
struct ExecutionPayload {
  e2e::eth::Hash32 parent_hash;
  e2e::eth::Address fee_recipient;
  e2e::eth::Hash32 state_root;
  e2e::eth::Hash32 receipts_root;
  e2e::eth::Bytes logs_bloom;
  e2e::eth::Hash32 prev_randao;
  std::uint64_t block_number = 0;
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  std::uint64_t timestamp = 0;
  e2e::eth::Bytes extra_data;
  e2e::eth::U256 base_fee_per_gas = 0;
  e2e::eth::Hash32 block_hash;
  std::vector<e2e::eth::Bytes> transactions;  // raw EIP-2718 bytes
  std::vector<Withdrawal> withdrawals;
  std::uint64_t blob_gas_used = 0;
  std::uint64_t excess_blob_gas = 0;
};

struct Submission {
  BidTrace message;
  ExecutionPayload execution_payload;
  std::string signature;  // lowercase 0x-hex, 96 bytes; shape-checked only (see README)
};

// Parses a JSON submission body. Messages follow the decoders the relay uses
// (attestantio go-builder-client / go-eth2-client): "invalid JSON: ...", "message missing",
// "signature missing", "incorrect length for signature", "execution payload missing",
// "blobs bundle missing", "<field> missing", "invalid value for <field>: ...".
// Throws SubmissionError(400, message).
Submission parseSubmission(std::string_view body);

}  // namespace bnet::devnet
