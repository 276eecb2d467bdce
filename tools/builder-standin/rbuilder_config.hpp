#pragma once
// The rbuilder half's configuration: rbuilder's own TOML keys (orderflow.md §7), read with
// cpptoml, plus two stand-in keys (`el_node_url`, `chain_id`). Departure: rbuilder rejects
// unknown keys (deny_unknown_fields); the stand-in warns and goes on, so one config file
// renders for both.
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/eth/secp256k1.hpp"
#include "framework/eth/types.hpp"
#include "tools/builder-standin/common.hpp"
#include "tools/builder-standin/log.hpp"

namespace bnet::standin {

// rbuilder's relay_secret_key, a BLS12-381 secret key. Debian ships no BLS library, so the
// stand-in cannot sign or derive the real public key: it derives a stand-in 48-byte public
// key and 96-byte signatures deterministically with keccak256 (see bid.hpp). Never printed;
// wiped when destroyed.
class RelaySecretKey {
 public:
  // 32 bytes as hex (0x optional). Throws ConfigError naming `key` without echoing the text.
  static RelaySecretKey fromHex(std::string_view text, std::string_view key);
  static RelaySecretKey random();
  RelaySecretKey(const RelaySecretKey&) = default;
  RelaySecretKey& operator=(const RelaySecretKey&) = default;
  ~RelaySecretKey();
  const std::array<std::uint8_t, 32>& bytes() const { return secret_; }

 private:
  RelaySecretKey() = default;
  std::array<std::uint8_t, 32> secret_{};
};

struct RelayConfig {
  std::string name;
  std::string url;       // as configured (may carry the relay's BLS pubkey as userinfo)
  std::string base_url;  // without userinfo: where requests go
  std::string mode = "full";
  bool use_ssz_for_submit = false;   // accepted; the stand-in always submits JSON
  bool use_gzip_for_submit = false;  // accepted; the stand-in never compresses
};

struct RbuilderConfig {
  std::uint64_t chain_id = 0;  // from `chain` (name or genesis.json path) or stand-in `chain_id`
  std::string chain;           // as configured
  std::string el_node_url;     // stand-in key: the EL's JSON-RPC URL (it cannot open reth's DB)
  ListenAddress jsonrpc{.host = "0.0.0.0", .port = 8645};
  std::optional<e2e::eth::PrivateKey> coinbase_secret_key;  // random (with a warning) if missing
  std::optional<RelaySecretKey> relay_secret_key;           // random (with a warning) if missing
  std::string extra_data = "extra_data_change_me";          // <= 32 bytes UTF-8
  std::vector<std::string> cl_node_urls{"http://127.0.0.1:3500"};
  std::vector<RelayConfig> relays;  // configured and enabled
  ListenAddress redacted_telemetry{.host = "0.0.0.0", .port = 6070};
  ListenAddress full_telemetry{.host = "0.0.0.0", .port = 6069};
  std::vector<std::string> live_builders{"mgp-ordering", "mp-ordering"};
  LogLevel log_level = LogLevel::kInfo;
  std::chrono::seconds time_to_keep_mempool_txs{60};
  std::int64_t slot_delta_to_start_bidding_ms = -8000;
  // What parsing noticed that the program should log: warnings (unknown keys, random keys,
  // unsupported relay options) and notes (rbuilder keys the stand-in accepts but does not use).
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
};

// Parses rbuilder TOML text; `origin` names the file in messages and resolves a relative
// genesis path. Throws ConfigError naming the key (and the file) for a bad value: extra_data
// over 32 bytes, a malformed key, an unset env: variable, a missing required key. Secret
// values are never echoed.
RbuilderConfig parseRbuilderConfig(std::string_view toml_text, const std::filesystem::path& origin);
// Reads the file, then parseRbuilderConfig. Throws ConfigError naming the file when unreadable.
RbuilderConfig loadRbuilderConfig(const std::filesystem::path& path);

// The chain id of a chain name rbuilder knows ("mainnet", "sepolia", "holesky", "hoodi"),
// or nullopt.
std::optional<std::uint64_t> knownChainId(std::string_view name);

}  // namespace bnet::standin
