// The BuilderHub fixture's JSON readers: MeasurementRecord (as written by hand and as a hub
// writes it), BuilderRecord, Peer, and the list bodies (null or an array). The input is parsed as the fixture parses hub answers (no exceptions); each
// value and each array entry goes to every reader. Allowed errors: std::invalid_argument and
// std::runtime_error, which the readers document.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fixtures/hub/hub_types.hpp"

namespace {

void readAll(const nlohmann::json& value) {
  try {
    auto m = bnet::MeasurementRecord::fromJson(value, "fuzz");
    (void)m.toJson().dump();
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  try {
    (void)bnet::MeasurementRecord::fromHub(value, "fuzz");
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  try {
    auto b = bnet::BuilderRecord::fromJson(value, "fuzz");
    (void)b.toJson().dump();
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  try {
    (void)bnet::Peer::fromJson(value, "fuzz");
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)bnet::parseMeasurementList(text, "fuzz");
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  try {
    (void)bnet::parsePeerList(text, "fuzz");
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  auto value = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (value.is_discarded()) return 0;
  readAll(value);
  if (value.is_array()) {
    for (const auto& entry : value) readAll(entry);
  }
  return 0;
}
