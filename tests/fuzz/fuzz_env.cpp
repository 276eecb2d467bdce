// Environment files: parseEnvText (JSON with duplicate-key checks and ${VAR} expansion) and
// the typed reading of bnet::Environment. The only error allowed is EnvFileError.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fixtures/environment/environment.hpp"
#include "framework/artifacts/redactor.hpp"
#include "framework/env/env_file.hpp"

namespace {

// A fixed, small variable set: A and EMPTY are set, everything else is unset.
std::optional<std::string> lookup(const std::string& name) {
  if (name == "A") return "value-of-a";
  if (name == "EMPTY") return "";
  if (name == "URL") return "http://127.0.0.1:8545";
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    e2e::parseEnvText(text, "fuzz.json", lookup);
  } catch (const e2e::EnvFileError&) {
  }
  try {
    e2e::Redactor redactor;  // a fresh one: secrets of one input do not pile up
    bnet::Environment::fromText(text, "fuzz.json", lookup, redactor);
  } catch (const e2e::EnvFileError&) {
  }
  return 0;
}
