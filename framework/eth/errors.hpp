#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace e2e::eth {

// Base of every error thrown by framework/eth.
class EthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Text or bytes that do not parse: bad hex, a quantity with leading zeros, a number out of
// range, an address of the wrong length. The message names the value (shortened) and why.
class DecodeError : public EthError {
 public:
  using EthError::EthError;
};

// Malformed RLP; offset() is the byte offset in the decoded input where the problem is.
class RlpError : public DecodeError {
 public:
  RlpError(std::size_t offset, const std::string& reason);
  std::size_t offset() const { return offset_; }
  // The problem without the offset, e.g. "truncated: 3 of 5 payload bytes present".
  const std::string& reason() const { return reason_; }

 private:
  std::size_t offset_;
  std::string reason_;
};

// A signature that cannot be made, parsed or recovered.
class SignatureError : public EthError {
 public:
  using EthError::EthError;
};

// A raw transaction that is not a valid signed transaction of a supported type.
class TransactionError : public DecodeError {
 public:
  using DecodeError::DecodeError;
};

// The value as it appears in an error message: quoted, non-printable bytes escaped, and
// shortened to about max_chars characters.
std::string quoteForError(std::string_view value, std::size_t max_chars = 80);

}  // namespace e2e::eth
