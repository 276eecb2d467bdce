#include "tools/devnet/beacon.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <sstream>

namespace bnet::devnet {

using nlohmann::json;

namespace {
std::string str(std::uint64_t v) { return std::to_string(v); }
const char* kZeroRoot = "0x0000000000000000000000000000000000000000000000000000000000000000";

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& message) {
  sendJson(res, status, json{{"code", status}, {"message", message}});
}
}  // namespace

json Beacon::syncingJson() const {
  std::lock_guard lock(mu_);
  return json{{"data",
               {{"head_slot", str(head_.slot)},
                {"sync_distance", "0"},
                {"is_syncing", false},
                {"is_optimistic", false},
                {"el_offline", false}}}};
}

json Beacon::headerJson() const {
  std::lock_guard lock(mu_);
  return json{{"execution_optimistic", false},
              {"finalized", false},
              {"data",
               {{"root", head_.beacon_root.hex()},
                {"canonical", true},
                {"header",
                 {{"message",
                   {{"slot", str(head_.slot)},
                    {"proposer_index", str(params_.proposerIndex(head_.slot))},
                    {"parent_root", head_.parent_beacon_root.hex()},
                    {"state_root", standInRoot("state", head_.slot, head_.block_hash).hex()},
                    {"body_root", standInRoot("body", head_.slot, head_.block_hash).hex()}}},
                  {"signature", standInSignature(fmt::format("block {}", head_.slot))}}}}}};
}

json Beacon::genesisJson() const {
  return json{{"data",
               {{"genesis_time", str(params_.genesis_time)},
                {"genesis_validators_root", standInRoot("genesis validators", 0, {}).hex()},
                {"genesis_fork_version", kGenesisForkVersion}}}};
}

json Beacon::specJson() const {
  return json{{"data",
               {{"PRESET_BASE", "mainnet"},
                {"CONFIG_NAME", "bnet-devnet"},
                {"SECONDS_PER_SLOT", str(params_.slot_seconds)},
                {"SLOTS_PER_EPOCH", str(params_.slots_per_epoch)},
                {"MIN_GENESIS_TIME", str(params_.genesis_time)},
                {"GENESIS_DELAY", "0"},
                {"GENESIS_FORK_VERSION", kGenesisForkVersion},
                {"ALTAIR_FORK_VERSION", "0x20000090"},
                {"ALTAIR_FORK_EPOCH", "0"},
                {"BELLATRIX_FORK_VERSION", "0x20000091"},
                {"BELLATRIX_FORK_EPOCH", "0"},
                {"CAPELLA_FORK_VERSION", "0x20000092"},
                {"CAPELLA_FORK_EPOCH", "0"},
                {"DENEB_FORK_VERSION", "0x20000093"},
                {"DENEB_FORK_EPOCH", "0"},
                {"ELECTRA_FORK_VERSION", "0x20000094"},
                {"ELECTRA_FORK_EPOCH", "0"},
                {"DEPOSIT_CHAIN_ID", str(params_.chain_id)},
                {"DEPOSIT_NETWORK_ID", str(params_.chain_id)},
                {"DEPOSIT_CONTRACT_ADDRESS", "0x4242424242424242424242424242424242424242"}}}};
}

json Beacon::payloadAttributesEvent(const PayloadAttributes& a) {
  return json{{"version", "electra"},
              {"data",
               {{"proposer_index", str(a.proposer_index)},
                {"proposal_slot", str(a.proposal_slot)},
                {"parent_block_number", str(a.parent_block_number)},
                {"parent_block_root", a.parent_block_root.hex()},
                {"parent_block_hash", a.parent_block_hash.hex()},
                {"payload_attributes",
                 {{"timestamp", str(a.timestamp)},
                  {"prev_randao", a.prev_randao.hex()},
                  {"suggested_fee_recipient", a.suggested_fee_recipient.hex()},
                  {"withdrawals", json::array()},
                  {"parent_beacon_block_root", a.parent_block_root.hex()}}}}}};
}

json Beacon::headEvent(const Head& h) const {
  return json{{"slot", str(h.slot)},
              {"block", h.beacon_root.hex()},
              {"state", standInRoot("state", h.slot, h.block_hash).hex()},
              {"epoch_transition", h.slot % params_.slots_per_epoch == 0},
              {"previous_duty_dependent_root", kZeroRoot},
              {"current_duty_dependent_root", kZeroRoot},
              {"execution_optimistic", false}};
}

void Beacon::broadcast(const std::string& topic, const std::string& data) {
  std::string event = fmt::format("event: {}\ndata: {}\n\n", topic, data);
  {
    std::lock_guard lock(mu_);
    for (auto& sub : subscribers_) {
      if (sub->topics.count(topic)) sub->queue.push_back(event);
    }
  }
  cv_.notify_all();
}

void Beacon::publishHead(const Head& head) {
  {
    std::lock_guard lock(mu_);
    head_ = head;
  }
  broadcast("head", headEvent(head).dump());
}

void Beacon::publishPayloadAttributes(const PayloadAttributes& attributes) {
  broadcast("payload_attributes", payloadAttributesEvent(attributes).dump());
}

void Beacon::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Beacon::registerRoutes(httplib::Server& server) {
  server.Get("/eth/v1/node/syncing",
             [this](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, syncingJson()); });
  server.Get("/eth/v1/node/health", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  server.Get("/eth/v1/node/version", [](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, json{{"data", {{"version", "bnet-devnet/beacon-stand-in"}}}});
  });
  server.Get("/eth/v1/beacon/headers/head",
             [this](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, headerJson()); });
  server.Get("/eth/v1/beacon/genesis",
             [this](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, genesisJson()); });
  server.Get("/eth/v1/config/spec",
             [this](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, specJson()); });
  server.Get("/eth/v1/config/fork_schedule", [](const httplib::Request&, httplib::Response& res) {
    json forks = json::array();
    const char* versions[] = {"0x20000089", "0x20000090", "0x20000091", "0x20000092", "0x20000093", "0x20000094"};
    for (std::size_t i = 1; i < std::size(versions); ++i) {
      forks.push_back({{"previous_version", versions[i - 1]}, {"current_version", versions[i]}, {"epoch", "0"}});
    }
    sendJson(res, 200, json{{"data", forks}});
  });
  server.Get("/eth/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("topics")) {
      sendError(res, 400, "Missing query parameter: topics");
      return;
    }
    auto sub = std::make_shared<Subscriber>();
    std::string topics = req.get_param_value("topics");
    for (std::size_t i = 0; i < req.get_param_value_count("topics"); ++i) {
      std::stringstream list(req.get_param_value("topics", i));
      std::string topic;
      while (std::getline(list, topic, ',')) {
        if (topic.empty()) continue;
        if (topic != "head" && topic != "payload_attributes") {
          sendError(res, 400, fmt::format("Invalid topic: {} (the devnet serves head and payload_attributes)", topic));
          return;
        }
        sub->topics.insert(topic);
      }
    }
    {
      std::lock_guard lock(mu_);
      subscribers_.push_back(sub);
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, sub](std::size_t, httplib::DataSink& sink) {
          std::unique_lock lock(mu_);
          cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !sub->queue.empty(); });
          if (stopping_) {
            lock.unlock();
            sink.done();
            return true;
          }
          std::deque<std::string> events;
          events.swap(sub->queue);
          lock.unlock();
          for (const std::string& e : events) {
            if (!sink.write(e.data(), e.size())) return false;
          }
          if (events.empty() && !sink.is_writable()) return false;
          return true;
        },
        [this, sub](bool) {
          std::lock_guard lock(mu_);
          subscribers_.remove(sub);
        });
  });
}

}  // namespace bnet::devnet
