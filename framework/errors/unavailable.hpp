#pragma once
// The project's one failure model: a component that cannot run here (no twin image, no
// Docker, no KVM, no credentials, an environment whose builder is not the twin) throws
// e2e::Unavailable; every other error is a failure. Wherever it is thrown below a test
// (SetUp or the test body), the project's GoogleTest main reports the test skipped with
// the reason (framework/testing/skip_unavailable.hpp).
#include <stdexcept>
#include <string>

namespace e2e {

class Unavailable : public std::runtime_error {
 public:
  // what() is "<component>: <reason>", or the reason alone when component is empty.
  Unavailable(std::string component, std::string reason);
  const std::string& component() const { return component_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string component_;
  std::string reason_;
};

}  // namespace e2e
