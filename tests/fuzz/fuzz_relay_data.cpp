// What the Relay fixture reads from a relay: the data API's bid trace arrays
// (parseBidTraces) and mev-boost-relay's logrus lines (parseLogrusLine,
// parseReceivedBlockLine). Every input goes to all three. Allowed error: RelayError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fixtures/l1/relay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)bnet::parseLogrusLine(text);
  try {
    (void)bnet::parseReceivedBlockLine(text);
  } catch (const bnet::RelayError&) {
  }
  // As Relay::getJson: a body that is not JSON never reaches parseBidTraces.
  auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  try {
    (void)bnet::parseBidTraces(body, "builder_blocks_received");
  } catch (const bnet::RelayError&) {
  }
  return 0;
}
