// RLP decoding and raw transaction decoding (legacy and EIP-1559 typed envelopes). Allowed
// errors: RlpError from rlp::decode, TransactionError from decodeTransaction (as documented).
// A decoded item must re-encode to the same bytes (decode accepts only canonical RLP).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "framework/eth/errors.hpp"
#include "framework/eth/rlp.hpp"
#include "framework/eth/transaction.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  try {
    auto item = e2e::eth::rlp::decode(input);
    auto again = e2e::eth::rlp::encode(item);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  } catch (const e2e::eth::RlpError&) {
  }
  try {
    auto tx = e2e::eth::decodeTransaction(input);
    if (tx.raw().size() != size) std::abort();
  } catch (const e2e::eth::TransactionError&) {
  }
  return 0;
}
