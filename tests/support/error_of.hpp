#pragma once
// The message of what a call throws, for tests that assert on error text.
#include <exception>
#include <string>

namespace e2e::testing {

// what() of the exception fn throws, or "(no error)".
template <class F>
std::string errorOf(F&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace e2e::testing
