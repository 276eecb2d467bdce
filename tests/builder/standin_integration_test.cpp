// Both modes of bnet-builder-standin as real processes on loopback, with an in-test hub,
// relay and beacon (SSE) and a real anvil as the execution layer.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "framework/eth/accounts.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/http/http_client.hpp"
#include "framework/http/json_rpc_client.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"
#include "tests/builder/tx_helpers.hpp"
#include "tests/http/loopback_server.hpp"
#include "tools/builder-standin/bid.hpp"
#include "tests/support/rbuilder_toml.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"
#include "framework/fs/fs.hpp"

namespace bnet::standin {
namespace {

namespace eth = e2e::eth;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::transferTx;

// Public anvil test keys, written out here (not via revealHex) so that the Redactor does not
// know them and the logs can be checked for them.
constexpr std::string_view kCoinbaseKeyHex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";  // account 0
constexpr std::string_view kSignerKeyHex = "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356";  // account 7
constexpr std::string_view kRelayKeyHex = "25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866";
constexpr std::string_view kExtraData = "Playground VM Builder ⚡🤖";
const std::string kProposerPubkey = "0x" + std::string(96, 'b');
const eth::Address kProposerFeeRecipient = eth::Address::fromHex("0x8943545177806ed17b9f23f0a21ee5948ecaa776");
constexpr std::uint64_t kFirstSlot = 100;

std::filesystem::path standinProgram() { return e2e::inBuildTree("bin/bnet-builder-standin"); }

std::optional<std::filesystem::path> anvilProgram() {
  auto path = e2e::cacheDir() / "npm" / "node_modules" / ".bin" / "anvil";
  if (std::filesystem::exists(path)) return path;
  return e2e::findProgram("anvil");
}

// GET /eth/v1/events?topics=payload_attributes as a text/event-stream of what emit() sends.
class BeaconStub {
 public:
  BeaconStub() {
    server_.server().Get("/eth/v1/events", [this](const httplib::Request&, httplib::Response& res) {
      auto cursor = std::make_shared<std::size_t>();
      {
        std::lock_guard lock(mu_);
        *cursor = events_.size();
        ++subscribers_;
      }
      cv_.notify_all();
      res.set_chunked_content_provider("text/event-stream", [this, cursor](std::size_t, httplib::DataSink& sink) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_ || events_.size() > *cursor; });
        if (stopping_) return false;
        while (*cursor < events_.size()) {
          const std::string& e = events_[(*cursor)++];
          if (!sink.write(e.data(), e.size())) return false;
        }
        return true;
      });
    });
    server_.onStop([this] {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      cv_.notify_all();
    });
    server_.start();
  }
  std::string url() const { return server_.baseUrl(); }
  int subscribers() {
    std::lock_guard lock(mu_);
    return subscribers_;
  }
  void emit(std::uint64_t slot, const json& head, std::uint64_t timestamp) {
    json data{{"version", "electra"},
              {"data",
               {{"proposer_index", "1"},
                {"proposal_slot", std::to_string(slot)},
                {"parent_block_number", std::to_string(eth::parseQuantityU64(head["number"].get<std::string>()))},
                {"parent_block_root", eth::Hash32().hex()},
                {"parent_block_hash", head["hash"]},
                {"payload_attributes",
                 {{"timestamp", std::to_string(timestamp)},
                  {"prev_randao", prevRandao().hex()},
                  {"suggested_fee_recipient", kProposerFeeRecipient.hex()},
                  {"withdrawals", json::array()},
                  {"parent_beacon_block_root", eth::Hash32().hex()}}}}}};
    {
      std::lock_guard lock(mu_);
      events_.push_back(fmt::format("event: payload_attributes\ndata: {}\n\n", data.dump()));
    }
    cv_.notify_all();
  }
  static eth::Hash32 prevRandao() { return eth::keccak256(std::string_view("prev_randao")); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> events_;
  int subscribers_ = 0;
  bool stopping_ = false;
  e2e::testing::LoopbackServer server_;
};

// The relay's builder API: validator registrations for slots 100..199 and block submissions.
// Under /bad the same relay refuses every submission (as mev-boost-relay does, 400 JSON).
class RelayStub {
 public:
  RelayStub() {
    for (std::string prefix : {"", "/bad"}) {
      server_.server().Get(prefix + "/relay/v1/builder/validators", [](const httplib::Request&, httplib::Response& res) {
        json out = json::array();
        for (std::uint64_t slot = kFirstSlot; slot < kFirstSlot + 100; ++slot) {
          out.push_back({{"slot", std::to_string(slot)},
                         {"validator_index", "1"},
                         {"entry",
                          {{"message",
                            {{"fee_recipient", kProposerFeeRecipient.hex()},
                             {"gas_limit", "30000000"},
                             {"timestamp", "0"},
                             {"pubkey", kProposerPubkey}}},
                           {"signature", "0x" + std::string(192, '0')}}}});
        }
        res.set_content(out.dump(), "application/json");
      });
      server_.server().Post(prefix + "/relay/v1/builder/blocks", [this, prefix](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu_);
        if (prefix.empty()) {
          submissions_.push_back(json::parse(req.body));
          res.status = 200;
        } else {
          ++refused_;
          res.status = 400;
          res.set_content(R"({"code":400,"message":"submission for past slot"})", "application/json");
        }
      });
    }
    server_.start();
  }
  std::string url() const { return server_.baseUrl(); }
  std::vector<json> submissions() {
    std::lock_guard lock(mu_);
    return submissions_;
  }
  int refused() {
    std::lock_guard lock(mu_);
    return refused_;
  }

 private:
  std::mutex mu_;
  std::vector<json> submissions_;
  int refused_ = 0;
  e2e::testing::LoopbackServer server_;
};

class HubStub {
 public:
  HubStub() {
    server_.server().Post("/api/l1-builder/v1/register_credentials/orderflow_proxy",
                          [this](const httplib::Request& req, httplib::Response&) {
                            std::lock_guard lock(mu_);
                            registrations_.push_back(req.body);
                          });
    server_.server().Get("/api/l1-builder/v1/builders", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("[]", "text/plain; charset=utf-8");
    });
    server_.start();
  }
  std::string url() const { return server_.baseUrl(); }
  std::vector<std::string> registrations() {
    std::lock_guard lock(mu_);
    return registrations_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> registrations_;
  e2e::testing::LoopbackServer server_;
};

int httpStatus(const std::string& url, std::string* body = nullptr) {
  e2e::HttpClient client({.base_url = url, .timeout = std::chrono::milliseconds(8000)});
  e2e::HttpResponse r = client.get("");
  if (body) *body = r.body;
  return r.status;
}

class BuilderStandin : public ::testing::Test {
 protected:
  void SetUp() override {
    auto anvil = anvilProgram();
    if (!anvil) GTEST_SKIP() << "anvil not installed (tools/setup.sh installs it into $BNET_E2E_CACHE/npm)";
    ASSERT_TRUE(std::filesystem::exists(standinProgram())) << standinProgram() << " is not built";
    ports_ = e2e::reservePorts(7);
    dir_ = std::filesystem::temp_directory_path() / fmt::format("bnet-standin-test-{}-{}", ::getpid(), ++counter_);
    std::filesystem::create_directories(dir_);
    anvil_.emplace(e2e::ChildProcess::start({.name = "anvil",
                                             .executable = *anvil,
                                             .args = {"--host", "127.0.0.1", "--port", std::to_string(port(kAnvil)),
                                                      "--chain-id", "1337"}}));
    el_.emplace(e2e::JsonRpcClient::Config{.http = {.base_url = elUrl()}});
    e2e::waitForReady(*anvil_, "anvil answering eth_blockNumber", e2e::Deadline::after(std::chrono::seconds(30)), [&] {
      try {
        el_->call("eth_blockNumber");
        return e2e::Attempt::done();
      } catch (const std::exception& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
  }

  void TearDown() override {
    flowproxy_.reset();
    rbuilder_.reset();
    anvil_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  enum Port { kAnvil, kUser, kSystem, kMetrics, kRpc, kRedacted, kFull };
  std::uint16_t port(Port p) const { return ports_[p].port(); }
  std::string url(Port p) const { return fmt::format("http://127.0.0.1:{}", port(p)); }
  std::string elUrl() const { return url(kAnvil); }

  void startRbuilder() {
    std::string config = bnet::testing::rbuilderToml(
        {.chain_id = 1337,
         .el_url = elUrl(),
         .cl_url = beacon_.url(),
         .jsonrpc_port = port(kRpc),
         .redacted_telemetry_port = port(kRedacted),
         .full_telemetry_port = port(kFull),
         .relay_secret_key_hex = std::string(kRelayKeyHex),
         .extra_data = std::string(kExtraData),
         .relays = {{.name = "good", .url = fmt::format("http://{}@127.0.0.1:{}", kProposerPubkey, relayPort()), .mode = "full"},
                    {.name = "bad", .url = relay_.url() + "/bad"}},
         .more = "live_builders = [\"mgp-ordering\"]\n"
                 "log_level = \"info,rbuilder=trace\"\n"
                 "slot_delta_to_start_bidding_ms = -60000\n"
                 "reth_datadir = \"/var/lib/persistent/reth\"\n"});
    std::ofstream(dir_ / "config.toml") << config;
    rbuilder_.emplace(e2e::ChildProcess::start({.name = "rbuilder-standin",
                                                .executable = standinProgram(),
                                                .args = {"rbuilder", (dir_ / "config.toml").string()},
                                                .env = {{"BNET_TEST_COINBASE_KEY", std::string(kCoinbaseKeyHex)}}}));
    e2e::waitForReady(*rbuilder_, "rbuilder stand-in /livez", e2e::Deadline::after(std::chrono::seconds(20)), [&] {
      try {
        return e2e::Attempt::check(httpStatus(url(kRedacted) + "/livez") == 200, "not 200 yet");
      } catch (const e2e::HttpError& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
  }

  std::uint16_t relayPort() const { return static_cast<std::uint16_t>(std::stoi(relay_.url().substr(relay_.url().rfind(':') + 1))); }

  void startFlowProxy() {
    flowproxy_.emplace(e2e::ChildProcess::start({.name = "flowproxy-standin",
                                                 .executable = standinProgram(),
                                                 .args = {"flowproxy"},
                                                 .env = {{"USER_LISTEN_ADDR", fmt::format("127.0.0.1:{}", port(kUser))},
                                                         {"SYSTEM_LISTEN_ADDR", fmt::format("127.0.0.1:{}", port(kSystem))},
                                                         {"BUILDERNET_NODE_NAME", "test-builder"},
                                                         {"BUILDER_ENDPOINT", url(kRpc)},
                                                         {"BUILDER_READY_ENDPOINT", url(kRedacted)},
                                                         {"BUILDERHUB_ENDPOINT", hub_.url()},
                                                         {"FLASHBOTS_ORDERFLOW_SIGNER", std::string(kSignerKeyHex)},
                                                         {"METRICS_ADDR", fmt::format("127.0.0.1:{}", port(kMetrics))}}}));
    e2e::waitForReady(*flowproxy_, "flowproxy stand-in /livez", e2e::Deadline::after(std::chrono::seconds(20)), [&] {
      try {
        return e2e::Attempt::check(httpStatus(url(kUser) + "/livez") == 200, "not 200 yet");
      } catch (const e2e::HttpError& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
  }

  json head() { return el_->call("eth_getBlockByNumber", json::array({"latest", false})); }

  void emitNextSlot() {
    e2e::eventually("the rbuilder stand-in subscribed to the beacon", std::chrono::seconds(20),
                    [&] { return e2e::Attempt::check(beacon_.subscribers() > 0, "no subscriber yet"); });
    slot_timestamp_ = static_cast<std::uint64_t>(std::time(nullptr)) + 40;
    beacon_.emit(kFirstSlot, head(), slot_timestamp_);
  }

  // POSTs body to the flowproxy user port with one signature header.
  e2e::HttpResponse sendSigned(const std::string& body, std::string_view header = "X-Flashbots-Signature") {
    e2e::HttpClient client({.base_url = url(kUser)});
    std::string signature = eth::makeSignatureHeader(userKey(), body);
    return client.post("/", body, {{"Content-Type", "application/json"}, {std::string(header), signature}});
  }
  static const eth::PrivateKey& userKey() { return eth::prefundedAccount(6).key; }

  static inline int counter_ = 0;
  std::vector<e2e::PortReservation> ports_;
  std::filesystem::path dir_;
  HubStub hub_;
  RelayStub relay_;
  BeaconStub beacon_;
  std::optional<e2e::ChildProcess> anvil_;  // the EL: rbuilder reads nonces and the parent from it
  std::optional<e2e::JsonRpcClient> el_;
  std::optional<e2e::ChildProcess> rbuilder_;
  std::optional<e2e::ChildProcess> flowproxy_;
  std::uint64_t slot_timestamp_ = 0;
};

TEST_F(BuilderStandin, FlowProxyRegistersItsSignerWithTheHub) {
  startFlowProxy();
  e2e::eventually("the hub got the orderflow_proxy registration", std::chrono::seconds(10),
                  [&] { return e2e::Attempt::check(!hub_.registrations().empty(), "none yet"); });
  auto signer = eth::PrivateKey::fromHex(kSignerKeyHex).address();
  EXPECT_EQ(json::parse(hub_.registrations().front()), (json{{"ecdsa_pubkey_address", signer.checksummed()}}));
}

TEST_F(BuilderStandin, ReadyzChainGoesFrom503To200) {
  startFlowProxy();
  std::string text;
  EXPECT_EQ(httpStatus(url(kUser) + "/readyz", &text), 503);
  EXPECT_EQ(text, "builder not answering readyz request");

  startRbuilder();
  EXPECT_EQ(httpStatus(url(kRedacted) + "/readyz"), 503) << "no payload_attributes seen yet";
  EXPECT_EQ(httpStatus(url(kUser) + "/readyz", &text), 503);
  EXPECT_EQ(text, "builder not ready");

  emitNextSlot();
  e2e::eventually("flowproxy /readyz 200", std::chrono::seconds(20), [&] {
    int status = httpStatus(url(kUser) + "/readyz", &text);
    return e2e::Attempt::check(status == 200 && text == "OK", fmt::format("{} {}", status, text));
  });
  EXPECT_EQ(httpStatus(url(kRedacted) + "/readyz"), 200);
}

TEST_F(BuilderStandin, SignedBundleReachesTheNextBidInOrder) {
  startRbuilder();
  startFlowProxy();
  emitNextSlot();

  auto a = transferTx(1, 0, /*tip gwei*/ 1), b = transferTx(2, 0, 3), c = transferTx(3, 0, 1);
  std::string bundle = json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_sendBundle"},
                            {"params", {{{"txs", {a.rawHex(), b.rawHex()}}}}}}.dump();
  e2e::HttpResponse sent = sendSigned(bundle);
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(json::parse(sent.body)["result"]["bundleHash"].get<std::string>().size(), 66u);
  std::string raw = json{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "eth_sendRawTransaction"}, {"params", {c.rawHex()}}}.dump();
  e2e::HttpResponse sent_raw = sendSigned(raw, "X-BuilderNet-Signature");
  ASSERT_EQ(sent_raw.status, 200) << sent_raw.body;
  EXPECT_EQ(json::parse(sent_raw.body)["result"], c.hash().hex());

  json bid;
  e2e::eventually("a bid with the bundle and the transaction", std::chrono::seconds(30), [&] {
    auto subs = relay_.submissions();
    if (subs.empty()) return e2e::Attempt::retry("no submission yet");
    bid = subs.back();
    auto n = bid["execution_payload"]["transactions"].size();
    return e2e::Attempt::check(n == 3, fmt::format("{} submissions, the last has {} txs", subs.size(), n));
  });
  json h = head();
  const json& m = bid["message"];
  const json& p = bid["execution_payload"];
  EXPECT_EQ(p["transactions"], (json{a.rawHex(), b.rawHex(), c.rawHex()})) << "bundle first (2 gwei avg), kept in order";
  EXPECT_EQ(m["slot"], std::to_string(kFirstSlot));
  EXPECT_EQ(m["parent_hash"], h["hash"]);
  EXPECT_EQ(m["proposer_pubkey"], kProposerPubkey);
  EXPECT_EQ(m["proposer_fee_recipient"], kProposerFeeRecipient.hex());
  EXPECT_EQ(m["builder_pubkey"], standInBuilderPubkey(RelaySecretKey::fromHex(kRelayKeyHex, "relay key")));
  EXPECT_EQ(m["value"], eth::toDecimal(eth::U256(5) * testing::kGwei * 21'000));
  EXPECT_EQ(m["gas_used"], "63000");
  EXPECT_EQ(p["fee_recipient"], eth::prefundedAccount(0).address.hex());
  EXPECT_EQ(p["extra_data"], eth::toHex(kExtraData));
  EXPECT_EQ(p["block_number"], std::to_string(eth::parseQuantityU64(h["number"].get<std::string>()) + 1));
  EXPECT_EQ(p["timestamp"], std::to_string(slot_timestamp_));
  EXPECT_EQ(p["prev_randao"], BeaconStub::prevRandao().hex());
  EXPECT_EQ(p["block_hash"], m["block_hash"]);

  e2e::eventually("the refusing relay was tried", std::chrono::seconds(10),
                  [&] { return e2e::Attempt::check(relay_.refused() > 0, "not yet"); });
  std::string metrics;
  e2e::eventually("rbuilder metrics count the submissions", std::chrono::seconds(10), [&] {
    httpStatus(url(kFull) + "/debug/metrics/prometheus", &metrics);
    return e2e::Attempt::check(metrics.find("relay_errors{kind=\"invalid_request\",relay=\"bad\"}") != std::string::npos,
                               "relay_errors not there yet");
  });
  EXPECT_THAT(metrics, HasSubstr("relay_accepted_submissions{optimistic=\"false\",relay=\"good\"}"));
  EXPECT_THAT(metrics, HasSubstr("initiated_submissions"));
  EXPECT_THAT(metrics, HasSubstr("orderpool_commands_received{kind=\"bundle\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("current_block"));

  std::string log = rbuilder_->logText();
  EXPECT_THAT(log, HasSubstr("Submitting bid"));
  EXPECT_THAT(log, HasSubstr("Error submitting block to the relay"));
  EXPECT_THAT(log, Not(HasSubstr(kCoinbaseKeyHex)));
  EXPECT_THAT(log, Not(HasSubstr(kRelayKeyHex)));
  EXPECT_THAT(flowproxy_->logText(), Not(HasSubstr(kSignerKeyHex)));
}

TEST_F(BuilderStandin, UserEndpointOverHttp) {
  startFlowProxy();
  e2e::HttpClient client({.base_url = url(kUser)});
  std::string body = json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_sendRawTransaction"},
                          {"params", {transferTx(1, 0, 1).rawHex()}}}.dump();
  e2e::HttpResponse unsigned_reply = client.post("/", body, {{"Content-Type", "application/json"}});
  EXPECT_EQ(unsigned_reply.status, 400);
  EXPECT_EQ(json::parse(unsigned_reply.body)["error"], json::parse(R"({"code":-32603,"message":"Invalid signature"})"));

  e2e::HttpResponse unknown = sendSigned(json{{"jsonrpc", "2.0"}, {"id", 4}, {"method", "eth_chainId"}, {"params", json::array()}}.dump());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["error"]["message"], "Method not found: eth_chainId");

  std::string huge(10 * 1024 * 1024 + 1, ' ');
  EXPECT_EQ(client.post("/", huge, {{"Content-Type", "application/json"}}).status, 413);
  EXPECT_EQ(httpStatus(url(kUser) + "/health"), 200);

  std::string metrics;
  EXPECT_EQ(httpStatus(url(kMetrics) + "/metrics", &metrics), 200);
  EXPECT_THAT(metrics, HasSubstr("flowproxy_user_requests{method=\"unknown\",outcome=\"invalid_signature\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("flowproxy_user_requests{method=\"eth_chainId\",outcome=\"method_not_found\"} 1"));

  // The system port answers HAProxy's binary check.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port(kSystem));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::send(fd, "PING", 4, MSG_NOSIGNAL), 4);
  char reply[8] = {};
  ssize_t n = ::recv(fd, reply, sizeof reply, 0);
  ::close(fd);
  EXPECT_EQ(std::string(reply, n > 0 ? static_cast<std::size_t>(n) : 0), "PONG");
}

// FlowProxy's user endpoint over HTTP (addendum §2.1): X-BuilderNet-Signature is read when
// present, X-Flashbots-Signature only when it is absent; a bad X-BuilderNet-Signature is
// refused even next to a valid X-Flashbots-Signature. Refusals as the real proxy answers.
TEST_F(BuilderStandin, UserEndpointSignaturePrecedenceAndRefusalsOverHttp) {
  startFlowProxy();
  e2e::HttpClient client({.base_url = url(kUser)});
  auto rawTx = [](std::uint64_t nonce) {
    return json{{"jsonrpc", "2.0"}, {"id", 7}, {"method", "eth_sendRawTransaction"},
                {"params", {transferTx(2, nonce, 1).rawHex()}}}.dump();
  };
  auto post = [&](const std::string& body, std::optional<std::string> buildernet, std::optional<std::string> flashbots) {
    e2e::Headers headers;
    headers.add("Content-Type", "application/json");
    if (buildernet) headers.add("X-BuilderNet-Signature", *buildernet);
    if (flashbots) headers.add("X-Flashbots-Signature", *flashbots);
    return client.post("/", body, headers);
  };
  auto good = [&](const std::string& body) { return eth::makeSignatureHeader(userKey(), body); };
  auto bad = [&](const std::string& body) { return eth::makeSignatureHeader(userKey(), body + " "); };
  const std::string kInvalidSignature = R"({"id":null,"jsonrpc":"2.0","error":{"code":-32603,"message":"Invalid signature"}})";

  auto b1 = rawTx(1);
  auto only_buildernet = post(b1, good(b1), std::nullopt);
  EXPECT_EQ(only_buildernet.status, 200) << only_buildernet.body;
  EXPECT_EQ(json::parse(only_buildernet.body).at("result"), transferTx(2, 1, 1).hash().hex());
  auto b2 = rawTx(2);
  EXPECT_EQ(post(b2, std::nullopt, good(b2)).status, 200) << "X-Flashbots-Signature alone";
  auto b3 = rawTx(3);
  auto no_fallback = post(b3, bad(b3), good(b3));
  EXPECT_EQ(no_fallback.status, 400) << "a bad X-BuilderNet-Signature is not rescued by a good X-Flashbots-Signature";
  EXPECT_EQ(no_fallback.body, kInvalidSignature);
  EXPECT_EQ(post(b3, good(b3), bad(b3)).status, 200) << "X-BuilderNet-Signature wins; X-Flashbots-Signature unread";

  auto signed_post = [&](const std::string& body) { return post(body, good(body), std::nullopt); };
  auto parse_error = signed_post("{\"jsonrpc\":");
  EXPECT_EQ(parse_error.status, 400);
  EXPECT_EQ(json::parse(parse_error.body)["error"], json::parse(R"({"code":-32700,"message":"Parse error"})"));
  auto invalid_request = signed_post(R"({"jsonrpc":"1.0","id":1,"method":"eth_sendRawTransaction","params":[]})");
  EXPECT_EQ(invalid_request.status, 400);
  EXPECT_EQ(json::parse(invalid_request.body)["error"], json::parse(R"({"code":-32600,"message":"Invalid Request"})"));
  auto not_served = signed_post(R"({"jsonrpc":"2.0","id":3,"method":"mev_sendBundle","params":[{}]})");
  EXPECT_EQ(not_served.status, 404);
  EXPECT_EQ(json::parse(not_served.body)["error"],
            json::parse(R"({"code":-32601,"message":"Method not found: mev_sendBundle"})"));
  auto bad_params = signed_post(R"({"jsonrpc":"2.0","id":5,"method":"eth_sendBundle","params":[]})");
  EXPECT_EQ(bad_params.status, 400);
  EXPECT_EQ(json::parse(bad_params.body)["error"], json::parse(R"({"code":-32602,"message":"Invalid params"})"));
  EXPECT_EQ(json::parse(bad_params.body)["id"], 5);

  for (const char* path : {"/livez", "/health"}) {
    std::string body = "unset";
    EXPECT_EQ(httpStatus(url(kUser) + path, &body), 200) << path;
    EXPECT_EQ(body, "") << path << " answers 200 with an empty body";
  }
}

TEST_F(BuilderStandin, StopsGracefullyOnSigterm) {
  startRbuilder();
  startFlowProxy();
  EXPECT_TRUE(flowproxy_->stop().success()) << flowproxy_->logTail();
  EXPECT_TRUE(rbuilder_->stop().success()) << rbuilder_->logTail();
  EXPECT_THAT(rbuilder_->logText(), HasSubstr("Stopped"));
}

}  // namespace
}  // namespace bnet::standin
