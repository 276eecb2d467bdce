#pragma once
// The rbuilder stand-in's config.toml for tests that run it on the host (rbuilder's own keys,
// as tools/builder-standin/rbuilder_config.cpp reads them).
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bnet::testing {

struct RbuilderTomlRelay {
  std::string name;
  std::string url;
  std::string mode;  // empty: rbuilder's default
};

struct RbuilderToml {
  std::uint64_t chain_id = 1337;
  std::string el_url;
  std::string cl_url;
  std::uint16_t jsonrpc_port = 0;
  std::uint16_t redacted_telemetry_port = 0;
  std::uint16_t full_telemetry_port = 0;
  std::string coinbase_key_env = "BNET_TEST_COINBASE_KEY";  // coinbase_secret_key = "env:<this>"
  std::string relay_secret_key_hex;
  std::string extra_data;
  std::vector<RbuilderTomlRelay> relays;
  std::string more;  // further lines, verbatim, before the relays
};

inline std::string rbuilderToml(const RbuilderToml& c) {
  std::string out = fmt::format(R"(chain_id = {}
el_node_url = "{}"
jsonrpc_server_ip = "127.0.0.1"
jsonrpc_server_port = {}
redacted_telemetry_server_ip = "127.0.0.1"
redacted_telemetry_server_port = {}
full_telemetry_server_ip = "127.0.0.1"
full_telemetry_server_port = {}
coinbase_secret_key = "env:{}"
relay_secret_key = "{}"
extra_data = "{}"
cl_node_url = "{}"
)",
                                c.chain_id, c.el_url, c.jsonrpc_port, c.redacted_telemetry_port,
                                c.full_telemetry_port, c.coinbase_key_env, c.relay_secret_key_hex, c.extra_data,
                                c.cl_url);
  out += c.more;
  for (const auto& relay : c.relays) {
    out += fmt::format("\n[[relays]]\nname = \"{}\"\nurl = \"{}\"\n", relay.name, relay.url);
    if (!relay.mode.empty()) out += fmt::format("mode = \"{}\"\n", relay.mode);
  }
  return out;
}

}  // namespace bnet::testing
