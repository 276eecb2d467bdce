#pragma once
#include <string>
#include <string_view>

namespace e2e {

// Quotes text as one word for a POSIX shell: '...' with each ' written as '\''. Safe for
// any bytes except NUL, which no shell argument can hold (throws std::invalid_argument).
std::string shellQuote(std::string_view text);

}  // namespace e2e
