// bnet-attestation-gateway: owns the three attestation headers, forwards everything else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>
#include <httplib.h>

#include <fstream>
#include <mutex>
#include <strings.h>
#include <thread>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/hub/hub_matchers.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A loopback HTTP server that records the request it got and answers 418 with a header
// and a body, to see exactly what the gateway forwards both ways.
class EchoUpstream {
 public:
  EchoUpstream() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      method_ = req.method;
      target_ = req.target;
      body_ = req.body;
      headers_.clear();
      for (const auto& [k, v] : req.headers) headers_.emplace_back(k, v);
      res.status = 418;
      res.set_header("X-Echo", "yes");
      res.set_content("{\"short\":\"and stout\"}", "application/x-teapot");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~EchoUpstream() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  std::vector<std::string> header(std::string_view name) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, v] : headers_) {
      if (strcasecmp(k.c_str(), std::string(name).c_str()) == 0) out.push_back(v);
    }
    return out;
  }
  std::string method() { std::lock_guard lock(mu_); return method_; }
  std::string target() { std::lock_guard lock(mu_); return target_; }
  std::string body() { std::lock_guard lock(mu_); return body_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string method_, target_, body_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("bnet-e2e-gateway-test-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    program_ = findProjectProgram("bnet-attestation-gateway", {}, "BNET_ATTESTATION_GATEWAY");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts a gateway by hand (not through BuilderHub) in front of any upstream.
  e2e::ChildProcess startGateway(const std::string& upstream, std::uint16_t& port) {
    auto ports = dir_ / "gw.json";
    auto gw = e2e::ChildProcess::start(
        {.name = "gateway", .executable = program_,
         .args = {"--listen", "127.0.0.1:0", "--upstream", upstream, "--attestation-type", "bnet-twin", "--measurement",
                  R"({"0":"aa","4":"bb"})", "--forwarded-for", "10.0.2.15", "--ports-file", ports.string()},
         .log_path = dir_ / "gateway.log"});
    e2e::waitForReady(gw, "gateway ports file", e2e::Deadline::after(10s), [&] {
      std::ifstream in(ports);
      if (!in) return e2e::Attempt::retry("no ports file yet");
      port = nlohmann::json::parse(in).at("listen").get<std::uint16_t>();
      return e2e::Attempt::done();
    });
    return gw;
  }
  fs::path dir_;
  fs::path program_;
};

TEST_F(GatewayTest, SetsTheAttestationHeadersAppendsTheIpAndForwardsTheRest) {
  EchoUpstream upstream;
  std::uint16_t port = 0;
  auto gw = startGateway(upstream.url(), port);
  httplib::Client client("127.0.0.1", port);
  httplib::Headers headers = {{"X-Forwarded-For", "6.6.6.6"},
                              {"x-forwarded-for", "7.7.7.7, 8.8.8.8"},
                              {"X-Flashbots-Measurement", ""},  // empty: Go's Header.Get sees nothing
                              {"X-Custom", "kept"}};
  const std::string body = "{\"tls_cert\": \"-----BEGIN CERTIFICATE-----\\n\"}\n\x01";
  auto res = client.Post("/api/l1-builder/v1/register_credentials/instance?x=1&y=%2F", headers, body, "text/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 418);
  EXPECT_EQ(res->body, "{\"short\":\"and stout\"}");
  EXPECT_EQ(res->get_header_value("X-Echo"), "yes");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-teapot");

  EXPECT_EQ(upstream.method(), "POST");
  EXPECT_EQ(upstream.target(), "/api/l1-builder/v1/register_credentials/instance?x=1&y=%2F");
  EXPECT_EQ(upstream.body(), body);
  EXPECT_EQ(upstream.header("X-Flashbots-Attestation-Type"), std::vector<std::string>{"bnet-twin"});
  EXPECT_EQ(upstream.header("X-Flashbots-Measurement"), std::vector<std::string>{R"({"0":"aa","4":"bb"})"});
  EXPECT_EQ(upstream.header("X-Forwarded-For"), std::vector<std::string>{"6.6.6.6, 7.7.7.7, 8.8.8.8, 10.0.2.15"})
      << "Go's ReverseProxy joins the client's values and appends the peer";
  EXPECT_EQ(upstream.header("X-Custom"), std::vector<std::string>{"kept"});
  EXPECT_EQ(upstream.header("Content-Type"), std::vector<std::string>{"text/json"});

  ASSERT_TRUE(client.Post("/x", "", "text/plain"));
  EXPECT_EQ(upstream.header("X-Forwarded-For"), std::vector<std::string>{"10.0.2.15"}) << "no client value: the IP alone";
}

// cvm-reverse-proxy proxy/proxy.go: a client may not claim an attestation; Go's http.Error.
TEST_F(GatewayTest, AClientSentAttestationHeaderGetsTheRealForbidden) {
  EchoUpstream upstream;
  std::uint16_t port = 0;
  auto gw = startGateway(upstream.url(), port);
  httplib::Client client("127.0.0.1", port);
  auto refused = [&](httplib::Headers headers) {
    auto res = client.Get("/api/l1-builder/v1/configuration", headers);
    EXPECT_TRUE(res) << httplib::to_string(res.error());
    return res;
  };
  auto measurement = refused({{"X-Flashbots-Measurement", R"({"4":"spoofed"})"}});
  ASSERT_TRUE(measurement);
  EXPECT_EQ(measurement->status, 403);
  EXPECT_EQ(measurement->body, "unexpected measurement header passed\n");
  EXPECT_EQ(measurement->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(measurement->get_header_value("X-Content-Type-Options"), "nosniff");

  auto type = refused({{"X-Flashbots-Attestation-Type", "azure-tdx"}});
  ASSERT_TRUE(type);
  EXPECT_EQ(type->status, 403);
  EXPECT_EQ(type->body, "unexpected attestation type header passed\n");
  EXPECT_EQ(type->get_header_value("X-Content-Type-Options"), "nosniff");

  auto both = refused({{"X-Flashbots-Attestation-Type", "azure-tdx"}, {"X-Flashbots-Measurement", "{}"}});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->body, "unexpected measurement header passed\n") << "the measurement header is checked first";
  EXPECT_EQ(upstream.method(), "") << "nothing refused reaches the hub";
}

TEST_F(GatewayTest, AnswersBadGatewayWhenTheHubIsDown) {
  std::uint16_t port = 0;
  auto gw = startGateway("http://127.0.0.1:1", port);
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/api/l1-builder/v1/configuration");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 502);
  EXPECT_THAT(res->body, HasSubstr("upstream http://127.0.0.1:1 did not answer"));
}

TEST_F(GatewayTest, RefusesAnUpstreamOffLoopbackAndBadFlags) {
  auto run = [&](std::vector<std::string> args) {
    return e2e::runCommand({.name = "gateway", .executable = program_, .args = std::move(args),
                            .log_path = dir_ / "gw-run.log"}, e2e::Deadline::after(10s));
  };
  auto remote = run({"--upstream", "http://192.0.2.1:8080", "--attestation-type", "t", "--measurement", "{}",
                     "--forwarded-for", "10.0.2.15"});
  EXPECT_EQ(remote.status.describe(), "exited with code 2");
  EXPECT_THAT(remote.output, HasSubstr("only loopback upstreams are allowed"));
  auto bad_measurement = run({"--upstream", "http://127.0.0.1:1", "--attestation-type", "t", "--measurement", "[1]",
                              "--forwarded-for", "10.0.2.15"});
  EXPECT_EQ(bad_measurement.status.describe(), "exited with code 2");
  EXPECT_THAT(bad_measurement.output, HasSubstr("--measurement '[1]': must be a JSON object of strings"));
  auto bad_ip = run({"--upstream", "http://127.0.0.1:1", "--attestation-type", "t", "--measurement", "{}",
                     "--forwarded-for", "vm-1"});
  EXPECT_THAT(bad_ip.output, HasSubstr("--forwarded-for 'vm-1': not an IP address"));
}

TEST(GatewayWithHub, SpoofedHeadersFromTheClientSideDoNotChangeWhoTheVmIs) {
  auto hub = BuilderHub::start({});
  auto admin = hub.admin();
  for (auto [name, ip, type] : {std::tuple{"a", "10.0.2.15", "bnet-twin"}, std::tuple{"b", "10.0.3.15", "qemu-tdx"}}) {
    admin.addMeasurement({.measurement_id = std::string(name) + "-m", .attestation_type = type,
                          .measurements = {{"0", RegisterExpectation::exactly(std::string(96, name[0]))}}});
    admin.activateMeasurement(std::string(name) + "-m");
    admin.addBuilder({.name = name, .ip_address = ip, .network = "dev"});
    admin.setConfiguration(name, "{}");
    admin.setSecrets(name, fmt::format(R"({{"instance_name":"{}"}})", name));
    admin.activateBuilder(name);
  }
  BuilderIdentity a{.ip = "10.0.2.15", .attestation_type = "bnet-twin", .measurement = {{"0", std::string(96, 'a')}}};
  BuilderIdentity b{.ip = "10.0.3.15", .attestation_type = "qemu-tdx", .measurement = {{"0", std::string(96, 'b')}}};
  auto gateway = hub.startGateway(a);
  EXPECT_EQ(gateway.guestUrl(), fmt::format("http://10.0.2.2:{}", gateway.port()));
  EXPECT_EQ(gateway.builderApi().configuration(), R"({"instance_name":"a"})");
  // A client claiming b's attestation through a's gateway is refused; one claiming b's IP
  // in X-Forwarded-For is still a (the gateway appends a's IP, the hub reads the last).
  HubBuilderApi spoofing({.url = gateway.url(), .headers = AttestationHeaders::of(b)});
  auto spoofed = hubOutcomeOf([&] { spoofing.configuration(); });
  EXPECT_EQ(spoofed.status, 403);
  EXPECT_EQ(spoofed.body, "unexpected measurement header passed\n");
  HubBuilderApi spoofing_ip({.url = gateway.url(), .headers = AttestationHeaders{.forwarded_for = {b.ip}}});
  EXPECT_EQ(spoofing_ip.configuration(), R"({"instance_name":"a"})");
  EXPECT_EQ(hub.builderApi(b).configuration(), R"({"instance_name":"b"})") << "b itself, direct to the hub";
  // The gateway of an identity the hub does not know gets the hub's 403, empty body.
  auto stranger = hub.startGateway({.ip = "10.0.4.15", .attestation_type = "bnet-twin",
                                    .measurement = {{"0", std::string(96, 'a')}}});
  EXPECT_THAT(hubOutcomeOf([&] { stranger.builderApi().configuration(); }), IsForbiddenWithEmptyBody());
  gateway.stop();
  EXPECT_THROW(HubBuilderApi({.url = gateway.url(), .timeout = 1s}).configuration(), HubUnreachable)
      << "a stopped gateway releases its port";
}

}  // namespace
}  // namespace bnet
