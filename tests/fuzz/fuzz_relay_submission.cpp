// The local relay's builder submission decoder (POST /relay/v1/builder/blocks). The only
// error allowed is SubmissionError (the relay's 400 with a message).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/devnet/submission.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    bnet::devnet::parseSubmission(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const bnet::devnet::SubmissionError&) {
  }
  return 0;
}
