#include "tools/builder-standin/rbuilder_service.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>

#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/http/http_client.hpp"
#include "framework/http/json_rpc_client.hpp"
#include "framework/http/sse_client.hpp"
#include "tools/builder-standin/bid.hpp"
#include "tools/builder-standin/http_server.hpp"
#include "tools/builder-standin/metrics.hpp"
#include "tools/builder-standin/order_pool.hpp"
#include "tools/builder-standin/rbuilder_rpc.hpp"

namespace bnet::standin {

namespace eth = e2e::eth;
using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "rbuilder::live_builder";
constexpr std::string_view kSubmitTarget = "rbuilder::live_builder::block_output::relay_submit";
constexpr std::string_view kBuildTarget = "rbuilder::building::builders::block_building_helper";
constexpr std::string_view kSlotTarget = "rbuilder::live_builder::payload_events";
constexpr auto kRebuildInterval = std::chrono::milliseconds(1000);

void describeMetrics(Metrics& m) {
  using T = Metrics::Type;
  m.describe("initiated_submissions", T::kCounter, "Bids the builder started to submit");
  m.describe("relay_accepted_submissions", T::kCounter, "Submissions a relay accepted");
  m.describe("relay_errors", T::kCounter, "Submission errors by relay and kind");
  m.describe("orderpool_txs", T::kGauge, "Single transactions in the order pool");
  m.describe("orderpool_bundles", T::kGauge, "Bundles in the order pool");
  m.describe("orderpool_commands_received", T::kCounter, "Order pool commands by kind");
  m.describe("current_block", T::kGauge, "The head block the builder builds on");
  m.describe("block_built_txs", T::kHistogram, "Transactions per built block", countBuckets());
  m.describe("block_built_gas_used", T::kGauge, "Gas used by the last built block");
  m.describe("rbuilder_coinbase_balance", T::kGauge, "Coinbase balance in ether at the head block");
  m.describe("rbuilder_order_input_rpc_errors", T::kCounter, "Order input JSON-RPC errors by kind");
  m.describe("rpc_processing_time", T::kHistogram, "Order input call processing time in microseconds",
             {10, 50, 100, 500, 1000, 5000, 10000, 50000});
}

struct Parent {
  std::uint64_t number = 0;
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  U256 base_fee = 0;
};

std::uint64_t quantityField(const json& block, const char* name) {
  if (!block.contains(name) || !block[name].is_string()) throw std::runtime_error(fmt::format("block has no {}", name));
  return eth::parseQuantityU64(block[name].get<std::string>());
}

struct SlotJob {
  PayloadAttributes attributes;
  std::optional<Parent> parent;
  std::map<std::size_t, ProposerDuty> duties;  // by relay index
  std::optional<BlockContext> block;
  std::vector<eth::Hash32> last_submitted;
  std::optional<std::chrono::steady_clock::time_point> last_parent_try, last_duty_try, last_build;
  std::uint64_t built_version = 0;
  bool built_once = false;
};

class Builder {
 public:
  Builder(const RbuilderConfig& config, Logger& log, Metrics& metrics, OrderPool& pool, std::atomic<bool>& ready)
      : config_(config),
        log_(log),
        metrics_(metrics),
        pool_(pool),
        ready_(ready),
        coinbase_(config.coinbase_secret_key->address()),
        builder_name_(config.live_builders.empty() ? "mgp-ordering" : config.live_builders.front()),
        el_({.http = {.base_url = config.el_node_url,
                      .connect_timeout = std::chrono::milliseconds(2000),
                      .timeout = std::chrono::milliseconds(5000)}}) {
    for (const RelayConfig& r : config.relays) {
      relays_.emplace_back(e2e::HttpClient::Config{.base_url = r.base_url,
                                                   .connect_timeout = std::chrono::milliseconds(2000),
                                                   .timeout = std::chrono::milliseconds(5000)});
    }
    duties_.resize(config.relays.size());
  }

  void run(const StopSignal& stop) {
    std::optional<e2e::SseClient> sse;
    std::optional<std::chrono::steady_clock::time_point> last_connect_warning;
    std::uint64_t seen = pool_.version();
    const HttpUrl cl = parseHttpUrl(config_.cl_node_urls.front(), "cl_node_url");
    while (!stop.requested()) {
      if (!sse) {
        try {
          sse = e2e::SseClient::start({.http = {.base_url = cl.base, .connect_timeout = std::chrono::milliseconds(2000)},
                                       .target = "/eth/v1/events?topics=payload_attributes",
                                       .start_timeout = std::chrono::milliseconds(2000),
                                       .max_backoff = std::chrono::milliseconds(2000)});
          log_.info(kSlotTarget, "Subscribed to payload_attributes events", {{"cl_node_url", cl.base}});
        } catch (const std::exception& e) {
          auto now = std::chrono::steady_clock::now();
          if (!last_connect_warning || now - *last_connect_warning > std::chrono::seconds(30)) {
            log_.warn(kSlotTarget, "Cannot subscribe to payload_attributes events; retrying",
                      {{"cl_node_url", cl.base}, {"error", e.what()}});
            last_connect_warning = now;
          }
          if (stop.waitFor(std::chrono::seconds(1))) break;
          continue;
        }
      }
      for (const e2e::SseEvent& event : sse->takeEvents()) {
        if (event.type != "payload_attributes") continue;
        try {
          PayloadAttributes a = parsePayloadAttributes(event.data);
          if (!job_ || a.proposal_slot > job_->attributes.proposal_slot) startSlot(std::move(a));
        } catch (const std::invalid_argument& e) {
          log_.warn(kSlotTarget, "Ignoring a malformed payload_attributes event", {{"error", e.what()}});
        }
      }
      if (job_) step(seen);
      seen = pool_.waitForChange(seen, std::chrono::milliseconds(50));
    }
  }

 private:
  void startSlot(PayloadAttributes a) {
    if (!ready_.exchange(true)) log_.info(kTarget, "Builder is ready: payload attributes received, building pool started");
    log_.info(kSlotTarget, "Received payload attributes",
              {{"slot", std::to_string(a.proposal_slot)},
               {"parent_hash", a.parent_block_hash.hex()},
               {"timestamp", std::to_string(a.timestamp)}});
    job_ = SlotJob{.attributes = std::move(a)};
  }

  bool loadParent(SlotJob& job) {
    auto now = std::chrono::steady_clock::now();
    if (job.last_parent_try && now - *job.last_parent_try < std::chrono::milliseconds(500)) return false;
    job.last_parent_try = now;
    try {
      json block = el_.call("eth_getBlockByHash", json::array({job.attributes.parent_block_hash.hex(), false}));
      if (block.is_null()) throw std::runtime_error("the EL does not know the parent block (yet)");
      Parent p{.number = quantityField(block, "number"),
               .gas_limit = quantityField(block, "gasLimit"),
               .gas_used = quantityField(block, "gasUsed"),
               .base_fee = block.contains("baseFeePerGas") && block["baseFeePerGas"].is_string()
                               ? eth::parseQuantity(block["baseFeePerGas"].get<std::string>())
                               : U256(0)};
      job.parent = p;
      metrics_.set("current_block", static_cast<double>(p.number));
      std::size_t pruned = pool_.prune(p.number + 1, now, config_.time_to_keep_mempool_txs);
      if (pruned) log_.debug(kTarget, "Dropped stale orders", {{"orders", std::to_string(pruned)}});
      updateCoinbaseBalance();
      return true;
    } catch (const std::exception& e) {
      log_.warn(kTarget, "Cannot read the parent block from the EL",
                {{"slot", std::to_string(job.attributes.proposal_slot)},
                 {"parent_hash", job.attributes.parent_block_hash.hex()},
                 {"el_node_url", config_.el_node_url},
                 {"error", e.what()}});
      return false;
    }
  }

  void updateCoinbaseBalance() {
    try {
      json balance = el_.call("eth_getBalance", json::array({coinbase_.hex(), "latest"}));
      U256 wei = eth::parseQuantity(balance.get<std::string>());
      metrics_.set("rbuilder_coinbase_balance", std::stod(formatEther(wei)));
    } catch (const std::exception& e) {
      log_.debug(kTarget, "Cannot read the coinbase balance", {{"error", e.what()}});
    }
  }

  // Looks the slot up in each relay's validator registrations (refreshing a relay's list
  // when the slot is not in it, at most once a second per slot).
  void loadDuties(SlotJob& job) {
    auto now = std::chrono::steady_clock::now();
    if (job.last_duty_try && now - *job.last_duty_try < std::chrono::seconds(1)) return;
    job.last_duty_try = now;
    std::uint64_t slot = job.attributes.proposal_slot;
    for (std::size_t i = 0; i < relays_.size(); ++i) {
      if (job.duties.count(i)) continue;
      if (!duties_[i].count(slot)) {
        try {
          e2e::HttpResponse r = relays_[i].get("/relay/v1/builder/validators");
          if (r.status != 200) throw std::runtime_error(fmt::format("HTTP {} {}", r.status, e2e::bodyExcerpt(r.body)));
          duties_[i] = parseProposerDuties(r.body);
        } catch (const std::exception& e) {
          metrics_.increment("relay_errors", {{"relay", config_.relays[i].name}, {"kind", "validators"}});
          log_.warn(kTarget, "Cannot fetch validator registrations from the relay",
                    {{"relay", config_.relays[i].name}, {"error", e.what()}});
          continue;
        }
      }
      auto it = duties_[i].find(slot);
      if (it != duties_[i].end()) {
        job.duties[i] = it->second;
      } else {
        log_.debug(kTarget, "Relay has no validator registration for the slot",
                   {{"relay", config_.relays[i].name}, {"slot", std::to_string(slot)}});
      }
    }
  }

  void step(std::uint64_t pool_version) {
    SlotJob& job = *job_;
    std::int64_t now_ms = static_cast<std::int64_t>(unixMillis());
    std::int64_t slot_ms = static_cast<std::int64_t>(job.attributes.timestamp) * 1000;
    if (now_ms >= slot_ms) return;  // the slot started: too late for this one
    if (now_ms < slot_ms + config_.slot_delta_to_start_bidding_ms) return;
    if (!job.parent && !loadParent(job)) return;
    if (job.duties.size() < relays_.size()) loadDuties(job);
    if (!job.block) {
      const Parent& p = *job.parent;
      std::uint64_t desired = job.duties.empty() ? p.gas_limit : job.duties.begin()->second.gas_limit;
      job.block = BlockContext{.number = p.number + 1,
                               .timestamp = job.attributes.timestamp,
                               .gas_limit = nextGasLimit(p.gas_limit, desired),
                               .base_fee = nextBaseFee(p.gas_used, p.gas_limit, p.base_fee)};
    }
    auto now = std::chrono::steady_clock::now();
    bool due = !job.built_once || pool_version != job.built_version ||
               (job.last_build && now - *job.last_build >= kRebuildInterval);
    if (!due) return;
    job.built_once = true;
    job.built_version = pool_version;
    job.last_build = now;
    build(job);
  }

  void build(SlotJob& job) {
    const BlockContext& ctx = *job.block;
    std::map<eth::Address, std::uint64_t> nonce_cache;
    std::string tag = eth::toQuantity(job.parent->number);
    auto nonces = [&](const eth::Address& a) -> std::uint64_t {
      auto it = nonce_cache.find(a);
      if (it != nonce_cache.end()) return it->second;
      json n = el_.call("eth_getTransactionCount", json::array({a.hex(), tag}));
      std::uint64_t v = eth::parseQuantityU64(n.get<std::string>());
      nonce_cache[a] = v;
      return v;
    };
    std::vector<Order> orders = pool_.snapshot();
    AssembledBlock content;
    try {
      content = assembleBlock(orders, ctx, nonces);
    } catch (const std::exception& e) {
      log_.warn(kTarget, "Cannot build a block: the EL did not answer a nonce query",
                {{"slot", std::to_string(job.attributes.proposal_slot)}, {"error", e.what()}});
      return;
    }
    if (!content.stale.empty()) {
      pool_.remove(content.stale);
      log_.debug(kTarget, "Dropped orders that can no longer land", {{"orders", std::to_string(content.stale.size())}});
    }
    metrics_.set("orderpool_txs", static_cast<double>(pool_.transactionCount()));
    metrics_.set("orderpool_bundles", static_cast<double>(pool_.bundleCount()));
    if (content.txs.empty() || content.value == 0) {
      log_.trace(kBuildTarget, "No profitable block to build", {{"block", std::to_string(ctx.number)}});
      return;
    }
    std::vector<eth::Hash32> hashes;
    for (const auto& tx : content.txs) hashes.push_back(tx.hash());
    if (hashes == job.last_submitted) return;

    metrics_.observe("block_built_txs", {{"builder_name", builder_name_}}, static_cast<double>(content.txs.size()));
    metrics_.set("block_built_gas_used", static_cast<double>(content.gas_used));
    log_.trace(kBuildTarget, "Built block",
               {{"block", std::to_string(ctx.number)},
                {"profit", formatEther(content.value)},
                {"builder_name", builder_name_},
                {"txs", std::to_string(content.txs.size())},
                {"gas_used", std::to_string(content.gas_used)}});
    if (job.duties.empty()) {
      log_.debug(kTarget, "No relay has the slot's validator registration: bid not submitted",
                 {{"slot", std::to_string(job.attributes.proposal_slot)}});
      return;
    }
    job.last_submitted = hashes;
    submit(job, content);
  }

  void submit(SlotJob& job, const AssembledBlock& content) {
    std::string relay_set;
    for (const auto& [i, duty] : job.duties) relay_set += (relay_set.empty() ? "" : ",") + config_.relays[i].name;
    for (const auto& [i, duty] : job.duties) {
      Bid bid = makeBid(job.attributes, duty, *job.block, coinbase_, config_.extra_data, content, *config_.relay_secret_key);
      std::string span = formatSpan("bid", {{"bid_value", formatEther(content.value)},
                                            {"true_bid_value", formatEther(content.value)},
                                            {"block", std::to_string(bid.block.number)},
                                            {"slot", std::to_string(job.attributes.proposal_slot)},
                                            {"hash", bid.block_hash.hex()},
                                            {"gas", std::to_string(content.gas_used)},
                                            {"builder_name", builder_name_},
                                            {"relay_set", relay_set},
                                            {"bundles", std::to_string(content.bundles)},
                                            {"txs", std::to_string(content.txs.size())}});
      log_.log(LogLevel::kInfo, kSubmitTarget, "Submitting bid", {{"relay", config_.relays[i].name}}, span);
      metrics_.increment("initiated_submissions");
      std::string body = submissionJson(bid, *config_.relay_secret_key).dump();
      const std::string& relay = config_.relays[i].name;
      std::string kind;
      std::string error;
      try {
        e2e::HttpResponse r = relays_[i].post("/relay/v1/builder/blocks", body, {{"Content-Type", "application/json"}});
        if (r.ok()) {
          metrics_.increment("relay_accepted_submissions", {{"relay", relay}, {"optimistic", "false"}});
          log_.log(LogLevel::kTrace, kSubmitTarget, "Block submitted to the relay successfully", {{"relay", relay}}, span);
          continue;
        }
        kind = r.status == 429 ? "too_many_requests" : r.status >= 500 ? "internal_error" : "invalid_request";
        error = fmt::format("HTTP {} {}", r.status, e2e::bodyExcerpt(r.body));
      } catch (const e2e::HttpError& e) {
        kind = "connection";
        error = e.what();
      }
      metrics_.increment("relay_errors", {{"relay", relay}, {"kind", kind}});
      log_.log(LogLevel::kWarn, kSubmitTarget, "Error submitting block to the relay",
               {{"relay", relay}, {"kind", kind}, {"err", error}}, span);
    }
  }

  const RbuilderConfig& config_;
  Logger& log_;
  Metrics& metrics_;
  OrderPool& pool_;
  std::atomic<bool>& ready_;
  eth::Address coinbase_;
  std::string builder_name_;
  e2e::JsonRpcClient el_;
  std::vector<e2e::HttpClient> relays_;
  std::vector<std::map<std::uint64_t, ProposerDuty>> duties_;  // per relay, by slot
  std::optional<SlotJob> job_;
};

}  // namespace

int runRbuilder(const RbuilderConfig& config, const StopSignal& stop, Logger& log) {
  log.setLevel(config.log_level);
  for (const std::string& w : config.warnings) log.warn(kTarget, w);
  for (const std::string& n : config.notes) log.info(kTarget, n);
  std::string relays;
  for (const RelayConfig& r : config.relays) relays += (relays.empty() ? "" : ",") + r.name + "=" + r.base_url;
  log.info(kTarget, "Starting rbuilder (bnet-builder-standin)",
           {{"chain_id", std::to_string(config.chain_id)},
            {"coinbase", config.coinbase_secret_key->address().checksummed()},
            {"builder_pubkey", standInBuilderPubkey(*config.relay_secret_key)},
            {"extra_data", config.extra_data},
            {"el_node_url", config.el_node_url},
            {"cl_node_url", config.cl_node_urls.front()},
            {"relays", relays.empty() ? "none" : relays}});

  Metrics metrics;
  describeMetrics(metrics);
  OrderPool pool;
  OrderInput input(pool, log, metrics);
  std::atomic<bool> ready{false};
  std::atomic<bool> pool_started{false};

  std::unique_ptr<HttpServer> rpc, redacted, full;
  try {
    rpc = HttpServer::start({.what = "JSON-RPC server (jsonrpc_server_port)",
                             .address = config.jsonrpc,
                             .routes = [&](httplib::Server& s) {
                               s.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
                                 RpcReply reply = input.handle(req.body);
                                 res.status = reply.status;
                                 res.set_content(reply.body, "application/json");
                                 metrics.set("orderpool_txs", static_cast<double>(pool.transactionCount()));
                                 metrics.set("orderpool_bundles", static_cast<double>(pool.bundleCount()));
                               });
                             }});
    redacted = HttpServer::start({.what = "redacted telemetry server (redacted_telemetry_server_port)",
                                  .address = config.redacted_telemetry,
                                  .routes = [&](httplib::Server& s) {
                                    s.Get("/livez", [](const httplib::Request&, httplib::Response& res) {
                                      res.set_content("OK", "text/plain; charset=utf-8");
                                    });
                                    s.Get("/readyz", [&](const httplib::Request&, httplib::Response& res) {
                                      bool ok = pool_started && ready;
                                      res.status = ok ? 200 : 503;
                                      res.set_content(ok ? "OK" : "not ready", "text/plain; charset=utf-8");
                                    });
                                  }});
    full = HttpServer::start({.what = "full telemetry server (full_telemetry_server_port)",
                              .address = config.full_telemetry,
                              .routes = [&](httplib::Server& s) {
                                s.Get("/debug/metrics/prometheus", [&](const httplib::Request&, httplib::Response& res) {
                                  res.set_content(metrics.render(), "text/plain; version=0.0.4");
                                });
                                s.Get("/livez", [](const httplib::Request&, httplib::Response& res) {
                                  res.set_content("OK", "text/plain; charset=utf-8");
                                });
                              }});
  } catch (const ConfigError& e) {
    log.error(kTarget, "Failed to start", {{"error", e.what()}});
    return 1;
  }
  log.info(kTarget, "Servers started",
           {{"jsonrpc", config.jsonrpc.text()},
            {"redacted_telemetry", config.redacted_telemetry.text()},
            {"full_telemetry", config.full_telemetry.text()}});

  Builder builder(config, log, metrics, pool, ready);
  pool_started = true;
  builder.run(stop);

  log.info(kTarget, "Shutting down");
  full.reset();
  redacted.reset();
  rpc.reset();
  log.info(kTarget, "Stopped");
  return 0;
}

}  // namespace bnet::standin
