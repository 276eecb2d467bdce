// The builder stand-in's other readers of outside input: the beacon's payload_attributes
// event data, rbuilder's TOML configuration, and rbuilder's JSON-RPC order input
// (OrderInput::handle). Every input goes to all three. Allowed errors: std::invalid_argument
// from parsePayloadAttributes and ConfigError from parseRbuilderConfig, as documented;
// OrderInput::handle answers everything (it must never throw).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string_view>

#include "tools/builder-standin/bid.hpp"
#include "tools/builder-standin/common.hpp"
#include "tools/builder-standin/log.hpp"
#include "tools/builder-standin/metrics.hpp"
#include "tools/builder-standin/order_pool.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"
#include "tools/builder-standin/rbuilder_rpc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)bnet::standin::parsePayloadAttributes(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    (void)bnet::standin::parseRbuilderConfig(text, "/nonexistent/fuzz/config.toml");
  } catch (const bnet::standin::ConfigError&) {
  }
  static std::FILE* null_out = std::fopen("/dev/null", "w");
  bnet::standin::Logger log(bnet::standin::LogLevel::kTrace, null_out);
  bnet::standin::Metrics metrics;
  bnet::standin::OrderPool pool;
  bnet::standin::OrderInput input(pool, log, metrics);
  (void)input.handle(text);
  return 0;
}
