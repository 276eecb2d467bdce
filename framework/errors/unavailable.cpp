#include "framework/errors/unavailable.hpp"

#include <utility>

namespace e2e {

namespace {
std::string joined(const std::string& component, const std::string& reason) {
  return component.empty() ? reason : component + ": " + reason;
}
}  // namespace

Unavailable::Unavailable(std::string component, std::string reason)
    : std::runtime_error(joined(component, reason)), component_(std::move(component)), reason_(std::move(reason)) {}

}  // namespace e2e
