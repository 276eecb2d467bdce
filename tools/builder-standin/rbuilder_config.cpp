#include "tools/builder-standin/rbuilder_config.hpp"

#include <cpptoml.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <sys/random.h>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"

namespace bnet::standin {

namespace eth = e2e::eth;

namespace {

// rbuilder keys the stand-in reads (documented in README.md).
const std::set<std::string, std::less<>> kUsedKeys = {
    "chain", "chain_id", "el_node_url", "jsonrpc_server_port", "jsonrpc_server_ip", "coinbase_secret_key",
    "relay_secret_key", "extra_data", "cl_node_url", "relays", "enabled_relays", "redacted_telemetry_server_port",
    "redacted_telemetry_server_ip", "full_telemetry_server_port", "full_telemetry_server_ip", "live_builders",
    "log_level", "time_to_keep_mempool_txs_secs", "slot_delta_to_start_bidding_ms"};

// rbuilder (and rbuilder-operator) keys the stand-in accepts without using them.
const std::set<std::string, std::less<>> kIgnoredKeys = {
    "reth_datadir", "reth_db_path", "reth_static_files_path", "el_node_ipc_path", "jsonrpc_server_max_connections",
    "log_json", "log_color", "ignore_cancellable_orders", "ignore_blobs", "simulation_threads", "blocklist",
    "blocklist_file_path", "require_non_empty_blocklist", "system_recipient_allowlist", "watchdog_timeout_sec",
    "root_hash_use_sparse_trie", "root_hash_compare_sparse_trie", "genesis_fork_version",
    "registration_update_interval_ms", "relay_bid_scrapers", "builders", "subsidy", "subsidy_overrides",
    "optimistic_v3_server_ip", "optimistic_v3_server_port", "optimistic_v3_public_url",
    "optimistic_v3_relay_pubkeys", "key_registration_url", "error_storage_path", "log_file", "log_enable_dynamic",
    "evm_caching_enable", "faster_finalize", "max_order_execution_duration_warning_us", "backtest_fetch_mempool_data_dir",
    "backtest_fetch_eth_rpc_url", "backtest_fetch_eth_rpc_parallel", "backtest_fetch_output_file",
    "backtest_protect_bundle_signers", "backtest_builders", "backtest_results_store_path", "dry_run",
    "dry_run_validation_url", "extra_rpc", "root_hash_sparse_trie_version", "root_hash_threads"};

const std::set<std::string, std::less<>> kRelayKeys = {
    "name", "url", "mode", "use_ssz_for_submit", "use_gzip_for_submit", "optimistic", "interval_between_submissions_ms",
    "max_bid_eth", "authorization_header", "builder_id_header", "api_token_header", "grpc_url", "is_bloxroute",
    "ask_for_filtering_validators", "can_ignore_gas_limit", "adjustment_fee_payer", "optimistic_v3",
    "optimistic_v3_bid_adjustment_required", "priority"};

// rbuilder's built-in relay `playground` (orderflow.md §7).
constexpr std::string_view kPlaygroundRelayUrl =
    "http://0xac6e77dfe25ecd6110b8e780608cce0dab71fdd5ebea22a16c0205200f2f8e2e3ad3b71d3499c54ad14d6c21b41a37ae@localhost:"
    "5555";

class Reader {
 public:
  Reader(const cpptoml::table& table, std::string origin, std::string prefix = "")
      : table_(table), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(std::string_view key, std::string_view why) const {
    throw ConfigError(fmt::format("{}: {}{}: {}", origin_, prefix_, key, why));
  }
  bool has(const std::string& key) const { return table_.contains(key); }

  std::optional<std::string> str(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto v = table_.get_as<std::string>(key);
    if (!v) fail(key, "expected a string");
    return *v;
  }
  std::optional<std::int64_t> integer(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto v = table_.get_as<std::int64_t>(key);
    if (!v) fail(key, "expected an integer");
    return *v;
  }
  std::optional<bool> boolean(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto v = table_.get_as<bool>(key);
    if (!v) fail(key, "expected true or false");
    return *v;
  }
  // A string or an array of strings.
  std::optional<std::vector<std::string>> strings(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    if (auto one = table_.get_as<std::string>(key)) return std::vector<std::string>{*one};
    auto arr = table_.get_array_of<std::string>(key);
    if (!arr) fail(key, "expected a string or an array of strings");
    return *arr;
  }
  int port(const std::string& key, int fallback) const {
    auto v = integer(key);
    if (!v) return fallback;
    if (*v < 1 || *v > 65535) fail(key, fmt::format("{} is not a port (1..65535)", *v));
    return static_cast<int>(*v);
  }
  // A string value after env: indirection.
  std::optional<std::string> secretOrEnv(const std::string& key) const {
    auto v = str(key);
    if (!v) return std::nullopt;
    try {
      return resolveEnvIndirection(*v, prefix_ + key);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", origin_, e.what()));
    }
  }
  const std::string& origin() const { return origin_; }

 private:
  const cpptoml::table& table_;
  std::string origin_;
  std::string prefix_;
};

std::uint64_t chainIdFromGenesis(const std::filesystem::path& path, const std::string& origin) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: chain: cannot read genesis file {}", origin, path.string()));
  std::stringstream text;
  text << in.rdbuf();
  try {
    nlohmann::json g = nlohmann::json::parse(text.str());
    const nlohmann::json& id = g.at("config").at("chainId");
    if (id.is_number_unsigned()) return id.get<std::uint64_t>();
    if (id.is_string()) return eth::toUint64(eth::parseU256(id.get<std::string>()), "chainId");
    throw ConfigError("config.chainId is not a number");
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("{}: chain: genesis file {} has no usable config.chainId ({})", origin, path.string(),
                                  e.what()));
  }
}

RelayConfig readRelay(const cpptoml::table& t, std::size_t index, const std::string& origin,
                      std::vector<std::string>& warnings) {
  Reader r(t, origin, fmt::format("relays[{}].", index));
  RelayConfig relay;
  auto name = r.str("name");
  if (!name || name->empty()) r.fail("name", "required");
  relay.name = *name;
  auto url = r.str("url");
  if (!url) r.fail("url", "required");
  relay.url = *url;
  relay.base_url = parseHttpUrl(*url, fmt::format("{}: relays[{}].url", origin, index)).base;
  relay.mode = r.str("mode").value_or("full");
  relay.use_ssz_for_submit = r.boolean("use_ssz_for_submit").value_or(false);
  relay.use_gzip_for_submit = r.boolean("use_gzip_for_submit").value_or(false);
  if (relay.use_ssz_for_submit) {
    warnings.push_back(fmt::format("relay {}: use_ssz_for_submit is not supported by the stand-in; submitting JSON", relay.name));
  }
  if (relay.use_gzip_for_submit) {
    warnings.push_back(fmt::format("relay {}: use_gzip_for_submit is not supported by the stand-in; not compressing", relay.name));
  }
  for (const auto& [key, value] : t) {
    if (!kRelayKeys.count(key)) {
      warnings.push_back(fmt::format("unknown config key relays[{}].{} (ignored; rbuilder would reject it)", index, key));
    }
  }
  return relay;
}

}  // namespace

RelaySecretKey RelaySecretKey::fromHex(std::string_view text, std::string_view key) {
  std::string_view digits = text;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
  RelaySecretKey k;
  std::size_t bad = 0;
  if (digits.size() != 64 || !eth::detail::decodeHexDigits(digits, k.secret_, bad)) {
    throw ConfigError(fmt::format("{}: not a BLS secret key (32 bytes as 64 hex digits, 0x optional)", key));
  }
  bool zero = true;
  for (auto b : k.secret_) zero = zero && b == 0;
  if (zero) throw ConfigError(fmt::format("{}: the BLS secret key must not be zero", key));
  return k;
}

RelaySecretKey RelaySecretKey::random() {
  RelaySecretKey k;
  if (::getrandom(k.secret_.data(), k.secret_.size(), 0) != static_cast<ssize_t>(k.secret_.size())) {
    throw ConfigError("relay_secret_key: no random bytes available for a random key");
  }
  return k;
}

RelaySecretKey::~RelaySecretKey() {
  volatile std::uint8_t* p = secret_.data();
  for (std::size_t i = 0; i < secret_.size(); ++i) p[i] = 0;
}

std::optional<std::uint64_t> knownChainId(std::string_view name) {
  if (name == "mainnet") return 1;
  if (name == "sepolia") return 11155111;
  if (name == "holesky") return 17000;
  if (name == "hoodi") return 560048;
  return std::nullopt;
}

RbuilderConfig parseRbuilderConfig(std::string_view toml_text, const std::filesystem::path& origin_path) {
  const std::string origin = origin_path.string();
  std::shared_ptr<cpptoml::table> root;
  try {
    std::istringstream in{std::string(toml_text)};
    cpptoml::parser parser(in);
    root = parser.parse();
  } catch (const cpptoml::parse_exception& e) {
    throw ConfigError(fmt::format("{}: not valid TOML: {}", origin, e.what()));
  }
  Reader r(*root, origin);
  RbuilderConfig c;

  for (const auto& [key, value] : *root) {
    if (kUsedKeys.count(key)) continue;
    if (kIgnoredKeys.count(key)) {
      c.notes.push_back(fmt::format("config key {} is accepted but not used by the stand-in", key));
    } else {
      c.warnings.push_back(fmt::format("unknown config key {} (ignored; rbuilder would reject it)", key));
    }
  }

  c.chain = r.str("chain").value_or("mainnet");
  if (auto id = r.integer("chain_id")) {
    if (*id <= 0) r.fail("chain_id", "must be a positive integer");
    c.chain_id = static_cast<std::uint64_t>(*id);
  } else if (auto known = knownChainId(c.chain)) {
    c.chain_id = *known;
  } else {
    std::filesystem::path genesis(c.chain);
    if (genesis.is_relative()) genesis = origin_path.parent_path() / genesis;
    std::error_code ec;
    if (genesis.is_absolute() && !std::filesystem::exists(genesis, ec)) {
      // Departure: rbuilder fails here. The stand-in follows whatever chain its EL serves
      // (the twin without a playground artifacts server has no genesis file).
      c.warnings.push_back(fmt::format("chain: genesis file {} does not exist: the chain id is unknown, following the EL's chain",
                                       genesis.string()));
    } else {
      c.chain_id = chainIdFromGenesis(genesis, origin);
    }
  }

  if (auto el = r.str("el_node_url")) {
    parseHttpUrl(*el, origin + ": el_node_url");
    c.el_node_url = *el;
  } else {
    c.el_node_url = "http://127.0.0.1:8545";
    c.warnings.push_back("el_node_url (stand-in key) not set: using http://127.0.0.1:8545");
  }

  c.jsonrpc = ListenAddress{.host = r.str("jsonrpc_server_ip").value_or("0.0.0.0"),
                            .port = r.port("jsonrpc_server_port", 8645)};
  c.redacted_telemetry = ListenAddress{.host = r.str("redacted_telemetry_server_ip").value_or("0.0.0.0"),
                                       .port = r.port("redacted_telemetry_server_port", 6070)};
  c.full_telemetry = ListenAddress{.host = r.str("full_telemetry_server_ip").value_or("0.0.0.0"),
                                   .port = r.port("full_telemetry_server_port", 6069)};

  if (auto key = r.secretOrEnv("coinbase_secret_key")) {
    try {
      c.coinbase_secret_key = eth::PrivateKey::fromHex(*key);
    } catch (const eth::EthError&) {
      std::fill(key->begin(), key->end(), '\0');
      r.fail("coinbase_secret_key", "not a secp256k1 private key (64 hex digits, 0x optional)");
    }
    std::fill(key->begin(), key->end(), '\0');
  } else {
    c.coinbase_secret_key = eth::PrivateKey::random();
    c.warnings.push_back("coinbase_secret_key not set: using a random coinbase key");
  }
  if (auto key = r.secretOrEnv("relay_secret_key")) {
    try {
      c.relay_secret_key = RelaySecretKey::fromHex(*key, "relay_secret_key");
    } catch (const ConfigError& e) {
      std::fill(key->begin(), key->end(), '\0');
      throw ConfigError(fmt::format("{}: {}", origin, e.what()));
    }
    std::fill(key->begin(), key->end(), '\0');
  } else {
    c.relay_secret_key = RelaySecretKey::random();
    c.warnings.push_back("relay_secret_key not set: using a random relay key");
  }

  if (auto extra = r.str("extra_data")) c.extra_data = *extra;
  if (c.extra_data.size() > 32) {
    r.fail("extra_data", fmt::format("is {} bytes of UTF-8, at most 32 are allowed", c.extra_data.size()));
  }

  if (auto cl = r.strings("cl_node_url")) {
    if (cl->empty()) r.fail("cl_node_url", "must name at least one beacon node URL");
    for (const std::string& u : *cl) parseHttpUrl(u, origin + ": cl_node_url");
    c.cl_node_urls = *cl;
    if (cl->size() > 1) c.warnings.push_back("cl_node_url lists several beacon nodes: the stand-in follows the first");
  }

  std::set<std::string> names;
  if (root->contains("relays")) {
    auto relays = root->get_table_array("relays");
    if (!relays) r.fail("relays", "expected an array of tables ([[relays]])");
    std::size_t i = 0;
    for (const auto& t : *relays) {
      RelayConfig relay = readRelay(*t, i++, origin, c.warnings);
      if (!names.insert(relay.name).second) r.fail("relays", fmt::format("relay name '{}' appears twice", relay.name));
      c.relays.push_back(std::move(relay));
    }
  }
  if (auto enabled = r.strings("enabled_relays")) {
    for (const std::string& name : *enabled) {
      if (names.count(name)) continue;
      if (name == "playground") {
        c.relays.push_back(RelayConfig{.name = "playground",
                                       .url = std::string(kPlaygroundRelayUrl),
                                       .base_url = parseHttpUrl(kPlaygroundRelayUrl, "playground relay").base});
        names.insert(name);
        continue;
      }
      r.fail("enabled_relays", fmt::format("relay '{}' is neither configured in [[relays]] nor built in", name));
    }
  }
  if (c.relays.empty()) c.warnings.push_back("no relays configured: bids are built but not submitted");

  if (auto builders = r.strings("live_builders")) c.live_builders = *builders;
  if (auto level = r.str("log_level")) {
    std::string resolved;
    try {
      resolved = resolveEnvIndirection(*level, "log_level");
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", origin, e.what()));
    }
    try {
      c.log_level = parseLogLevel(resolved, "log_level");
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", origin, e.what()));
    }
  }
  if (auto keep = r.integer("time_to_keep_mempool_txs_secs")) {
    if (*keep <= 0) r.fail("time_to_keep_mempool_txs_secs", "must be positive");
    c.time_to_keep_mempool_txs = std::chrono::seconds(*keep);
  }
  if (auto delta = r.integer("slot_delta_to_start_bidding_ms")) c.slot_delta_to_start_bidding_ms = *delta;
  return c;
}

RbuilderConfig loadRbuilderConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the config file", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return parseRbuilderConfig(text.str(), path);
}

}  // namespace bnet::standin
