#include "framework/ssh/shell.hpp"

#include <stdexcept>

namespace e2e {

std::string shellQuote(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("shellQuote: a shell word cannot contain a NUL byte");
  }
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

}  // namespace e2e
