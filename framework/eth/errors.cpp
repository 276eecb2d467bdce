#include "framework/eth/errors.hpp"

#include <fmt/format.h>

namespace e2e::eth {

RlpError::RlpError(std::size_t offset, const std::string& reason)
    : DecodeError(fmt::format("RLP at offset {}: {}", offset, reason)), offset_(offset), reason_(reason) {}

std::string quoteForError(std::string_view value, std::size_t max_chars) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (char c : value) {
    if (shown == max_chars) {
      out += fmt::format("...\" ({} bytes)", value.size());
      return out;
    }
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
    ++shown;
  }
  out += '"';
  return out;
}

}  // namespace e2e::eth
