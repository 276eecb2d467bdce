#include "framework/http/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <set>

#include "loopback_server.hpp"
#include "test_certs.hpp"

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace e2e {
namespace {

using testing::LoopbackServer;

constexpr const char* kPassword = "pa55:word-S3CRET";
constexpr const char* kBearer = "Bearer tok-S3CRET-value";

// A gate a handler blocks on until the test opens it (bounded, so a stuck test ends).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 20s, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(HttpClient, GetReturnsStatusHeadersAndBody) {
  LoopbackServer server;
  server.server().Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 201;
    res.set_header("X-Seen-Default", req.get_header_value("X-Default"));
    res.set_header("X-Seen-Request", req.get_header_value("X-Request"));
    res.set_content("hi there", "text/plain");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl(), .default_headers = {{"X-Default", "from-config"}}});
  auto response = client.get("/hello", {{"X-Request", "from-call"}});
  EXPECT_EQ(response.status, 201);
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.body, "hi there");
  EXPECT_EQ(response.method, "GET");
  EXPECT_EQ(response.url, server.baseUrl() + "/hello");
  EXPECT_EQ(response.headers.get("content-type"), "text/plain");
  EXPECT_EQ(response.headers.get("X-SEEN-DEFAULT"), "from-config");
  EXPECT_EQ(response.headers.get("x-seen-request"), "from-call");
  EXPECT_GT(response.total_time, Clock::duration::zero());
}

TEST(HttpClient, RequestHeaderOverridesTheDefaultOfTheSameName) {
  LoopbackServer server;
  server.server().Get("/h", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(fmt::format("{}|{}", req.get_header_value_count("X-Mode"), req.get_header_value("X-Mode")),
                    "text/plain");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl(), .default_headers = {{"x-mode", "default"}}});
  EXPECT_EQ(client.get("/h").body, "1|default");
  EXPECT_EQ(client.get("/h", {{"X-Mode", "override"}}).body, "1|override");
}

TEST(HttpClient, PostSendsAndReceivesExactBodyBytes) {
  std::mutex mu;  // the handler runs on a server thread
  std::string seen_body, seen_expect;
  bool had_content_type = true;
  LoopbackServer server;
  server.server().Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen_body = req.body;
    had_content_type = req.has_header("Content-Type");
    seen_expect = req.get_header_value("Expect");
    res.set_content(req.body, "application/octet-stream");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl()});

  const std::string binary("a\0b\xff\xfe\x80\r\n\0\0end", 14);
  auto response = client.post("/echo", binary);
  std::unique_lock lock(mu);
  EXPECT_EQ(seen_body, binary) << "server got " << bodyExcerpt(seen_body);
  EXPECT_EQ(response.body, binary) << "client got " << bodyExcerpt(response.body);
  EXPECT_FALSE(had_content_type) << "a Content-Type was added to a body that had none";

  std::string large(3 * 1024 * 1024, '\0');
  std::mt19937 rng(7);
  for (auto& c : large) c = static_cast<char>(rng());
  lock.unlock();
  response = client.post("/echo", large, {{"Content-Type", "application/octet-stream"}});
  lock.lock();
  EXPECT_TRUE(seen_body == large) << "3 MiB body changed on the way to the server";
  EXPECT_TRUE(response.body == large) << "3 MiB body changed on the way back";
  EXPECT_EQ(seen_expect, "") << "curl asked for 100-continue";
}

TEST(HttpClient, MethodsAndQueryParametersAreSentAsGiven) {
  LoopbackServer server;
  auto echo = [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(fmt::format("{} {} a b={} x&y={} body={}", req.method, req.path, req.get_param_value("a b"),
                                req.get_param_value("x&y"), req.body),
                    "text/plain");
  };
  server.server().Put("/m", echo).Delete("/m", echo).Patch("/m", echo).Get("/m", echo);
  server.server().Options("/m", echo);
  server.start();
  HttpClient client({.base_url = server.baseUrl() + "/"});
  std::vector<std::pair<std::string, std::string>> query{{"a b", "1 2"}, {"x&y", "=/?"}};
  EXPECT_EQ(client.send({.method = "put", .target = "/m", .query = query, .body = "p"}).body,
            "PUT /m a b=1 2 x&y==/? body=p");
  EXPECT_EQ(client.send({.method = "DELETE", .target = "m", .query = query}).body, "DELETE /m a b=1 2 x&y==/? body=");
  EXPECT_EQ(client.send({.method = "PATCH", .target = "/m", .body = "{}"}).body, "PATCH /m a b= x&y= body={}");
  EXPECT_EQ(client.send({.method = "GET", .target = "/m?a%20b=3", .query = {{"x&y", "4"}}}).body,
            "GET /m a b=3 x&y=4 body=");
  auto head = client.send({.method = "HEAD", .target = "/m"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(client.url("/m", query), server.baseUrl() + "/m?a%20b=1%202&x%26y=%3D%2F%3F");
  EXPECT_EQ(client.url("http://127.0.0.1:1/abs"), "http://127.0.0.1:1/abs");
}

TEST(HttpClient, RepeatedResponseHeadersAreKeptInOrder) {
  LoopbackServer server;
  server.server().Get("/multi", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Multi", "one");
    res.set_header("x-multi", "two");
    res.set_header("Set-Cookie", "a=1");
    res.set_header("Set-Cookie", "b=2");
    res.set_content("", "text/plain");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl()});
  auto response = client.get("/multi");
  EXPECT_THAT(response.headers.getAll("X-MULTI"), ElementsAre("one", "two"));
  EXPECT_THAT(response.headers.getAll("set-cookie"), ElementsAre("a=1", "b=2"));
  EXPECT_EQ(response.headers.get("x-multi"), "one");
  EXPECT_FALSE(response.headers.contains("X-Absent"));
}

TEST(HttpClient, HttpErrorStatusIsAResponseNotAnException) {
  LoopbackServer server;
  server.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("no such thing", "text/plain");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl()});
  auto response = client.get("/missing");
  EXPECT_EQ(response.status, 404);
  EXPECT_FALSE(response.ok());
  EXPECT_NO_THROW(response.expectStatus(404));
  try {
    response.expectStatus(200);
    FAIL() << "expectStatus(200) accepted a 404";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_THAT(e.what(), HasSubstr("GET " + server.baseUrl() + "/missing"));
    EXPECT_THAT(e.what(), HasSubstr("expected status 200, got 404"));
    EXPECT_THAT(e.what(), HasSubstr("no such thing"));
  }
}

TEST(HttpClient, BasicAuthReachesTheServer) {
  LoopbackServer server;
  server.server().Get("/private", [](const httplib::Request& req, httplib::Response& res) {
    bool ok = req.get_header_value("Authorization") == "Basic b3BlcmF0b3I6cGE1NTp3b3JkLVMzQ1JFVA==";
    res.status = ok ? 200 : 401;
  });
  server.start();
  HttpClient with_auth({.base_url = server.baseUrl(), .basic_auth = BasicAuth{"operator", kPassword}});
  EXPECT_EQ(with_auth.get("/private").status, 200);
  HttpClient without_auth({.base_url = server.baseUrl()});
  EXPECT_EQ(without_auth.get("/private").status, 401);
}

TEST(HttpClient, RefusedConnectionIsAnHttpErrorNamingMethodAndUrl) {
  auto unused = reservePort();  // held, so nobody listens on it during the test
  auto url = fmt::format("http://127.0.0.1:{}", unused.port());
  HttpClient client({.base_url = url, .connect_timeout = 2s, .timeout = 5s});
  try {
    client.post("/rpc", "{}");
    FAIL() << "a request to a port nobody listens on succeeded";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kConnect);
    EXPECT_EQ(e.method(), "POST");
    EXPECT_EQ(e.url(), url + "/rpc");
    EXPECT_THAT(e.what(), HasSubstr("HTTP POST " + url + "/rpc failed: "));
    EXPECT_THAT(e.what(), HasSubstr("(curl error 7)"));
  }
}

TEST(HttpClient, ConnectTimeoutFiresWhenTheServerNeverAccepts) {
  // A listener whose accept queue is full: the kernel drops further SYNs, so a connect
  // neither succeeds nor is refused.
  auto reservation = reservePort();
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(reservation.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  auto url = fmt::format("http://127.0.0.1:{}/slow", reservation.port());
  HttpClient client({.base_url = url, .connect_timeout = 300ms, .timeout = 20s});
  auto start = Clock::now();
  try {
    client.get("");
    ADD_FAILURE() << "connected to a listener with a full accept queue";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kTimeout) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(url));
    EXPECT_LT(Clock::now() - start, 20s) << "the total timeout fired, not the connect timeout";
  }
  ::close(filler);
  ::close(listener);
}

TEST(HttpClient, TotalTimeoutFiresAgainstASlowHandler) {
  Gate gate;
  LoopbackServer server;
  server.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    gate.wait();
    res.set_content("late", "text/plain");
  });
  server.onStop([&] { gate.release(); });
  server.start();

  HttpClient short_config({.base_url = server.baseUrl(), .timeout = 300ms});
  try {
    short_config.get("/slow");
    ADD_FAILURE() << "a request to a handler that never answers returned";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kTimeout) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("HTTP GET " + server.baseUrl() + "/slow failed"));
  }

  HttpClient long_config({.base_url = server.baseUrl(), .timeout = 60s});
  try {
    long_config.send({.target = "/slow", .timeout = 300ms});
    ADD_FAILURE() << "the per-request timeout did not apply";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kTimeout) << e.what();
  }
}

TEST(HttpClient, ReusesOneConnectionForSeveralRequests) {
  std::mutex mu;
  std::set<int> client_ports;
  LoopbackServer server;
  server.server().set_keep_alive_max_count(100);
  server.server().Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    client_ports.insert(req.remote_port);
    res.set_content("pong", "text/plain");
  });
  server.server().Post("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    client_ports.insert(req.remote_port);
    res.set_content(req.body, "text/plain");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl()});
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(client.get("/ping").body, "pong");
    EXPECT_EQ(client.post("/ping", "x").body, "x");
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(client_ports.size(), 1u) << "12 requests used " << client_ports.size() << " connections";
}

TEST(HttpClient, ClientIsUsableFromSeveralThreads) {
  LoopbackServer server;
  server.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "text/plain");
  });
  server.start();
  HttpClient client({.base_url = server.baseUrl()});
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto body = fmt::format("thread {} request {}", t, i);
        if (client.post("/echo", body).body != body) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(HttpClient, HeaderWithLineBreakIsRejectedWithoutShowingItsValue) {
  HttpClient client({.base_url = "http://127.0.0.1:1"});
  try {
    client.get("/", {{"Authorization", "Bearer x\r\nInjected: yes"}});
    FAIL() << "a header value with CRLF was sent";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'Authorization'"));
    EXPECT_THAT(e.what(), Not(HasSubstr("Bearer")));
  }
}

TEST(HttpClient, MissingBaseUrlNamesTheFix) {
  HttpClient client({});
  try {
    client.get("/status");
    FAIL() << "a request without a base URL was sent";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("URL '/status' is not http:// or https://; set the config's base_url"));
  }
}

TEST(HttpClient, SecretsNeverAppearInErrorMessages) {
  auto unused = reservePort();
  auto base = fmt::format("http://admin:url-S3CRET@127.0.0.1:{}", unused.port());
  HttpClient client({.base_url = base,
                     .connect_timeout = 2s,
                     .basic_auth = BasicAuth{"operator", kPassword},
                     .default_headers = {{"X-Api-Key", "key-S3CRET"}}});
  try {
    client.post("/rpc", "{}", {{"Authorization", kBearer}});
    FAIL() << "request to a closed port succeeded";
  } catch (const HttpError& e) {
    std::string message = e.what();
    EXPECT_THAT(message, HasSubstr(fmt::format("http://127.0.0.1:{}/rpc", unused.port())));
    for (const char* secret : {kPassword, kBearer, "tok-S3CRET", "url-S3CRET", "key-S3CRET"}) {
      EXPECT_THAT(message, Not(HasSubstr(secret)));
      EXPECT_THAT(e.url(), Not(HasSubstr(secret)));
    }
  }
}

class HttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = testing::makeTestCa("bnet-e2e test CA");
    leaf_ = testing::makeTestLeaf(ca_, "127.0.0.1");
  }
  void startServer(X509_STORE* client_ca_store = nullptr) {
    server_ = std::make_unique<LoopbackServer>(
        std::make_unique<httplib::SSLServer>(leaf_.cert.get(), leaf_.key.get(), client_ca_store), true);
    server_->server().Get("/secure", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("over tls", "text/plain");
    });
    server_->start();
  }
  testing::CertAndKey ca_, leaf_;
  testing::TempDir dir_;
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(HttpClientTls, DefaultVerificationRejectsAnUnknownCa) {
  startServer();
  HttpClient client({.base_url = server_->baseUrl(), .basic_auth = BasicAuth{"operator", kPassword}});
  try {
    client.get("/secure");
    FAIL() << "a certificate from an unknown CA was accepted";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::kTls) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("HTTP GET " + server_->baseUrl() + "/secure failed"));
    EXPECT_THAT(e.what(), Not(HasSubstr(kPassword)));
  }
}

TEST_F(HttpClientTls, PinnedCaPemIsAccepted) {
  startServer();
  HttpClient client({.base_url = server_->baseUrl(), .tls = {.ca_pem = ca_.cert_pem}});
  EXPECT_EQ(client.get("/secure").body, "over tls");
}

TEST_F(HttpClientTls, PinnedCaFileIsAccepted) {
  startServer();
  auto ca_file = dir_.path / "ca.pem";
  testing::writeFile(ca_file, ca_.cert_pem);
  HttpClient client({.base_url = server_->baseUrl(), .tls = {.ca_file = ca_file.string()}});
  EXPECT_EQ(client.get("/secure").body, "over tls");
}

TEST_F(HttpClientTls, PinningAnotherCaRejectsTheServer) {
  startServer();
  auto other_ca = testing::makeTestCa("another CA");
  HttpClient client({.base_url = server_->baseUrl(), .tls = {.ca_pem = other_ca.cert_pem}});
  EXPECT_THROW(client.get("/secure"), HttpError);
}

TEST_F(HttpClientTls, InsecureAcceptsAnyCertificate) {
  startServer();
  HttpClient client({.base_url = server_->baseUrl(), .tls = {.verify = false}});
  EXPECT_EQ(client.get("/secure").body, "over tls");
}

TEST_F(HttpClientTls, ClientCertificateIsPresentedWhenConfigured) {
  X509_STORE* store = X509_STORE_new();  // owned by the server's SSL_CTX from here on
  X509_STORE_add_cert(store, ca_.cert.get());
  startServer(store);
  auto client_leaf = testing::makeTestLeaf(ca_, "test client");
  auto cert_file = dir_.path / "client.pem", key_file = dir_.path / "client.key";
  testing::writeFile(cert_file, client_leaf.cert_pem);
  testing::writeFile(key_file, client_leaf.key_pem);

  HttpClient without({.base_url = server_->baseUrl(), .tls = {.ca_pem = ca_.cert_pem}});
  EXPECT_THROW(without.get("/secure"), HttpError) << "the server requires a client certificate";
  HttpClient with({.base_url = server_->baseUrl(),
                   .tls = {.ca_pem = ca_.cert_pem,
                           .client_cert_file = cert_file.string(),
                           .client_key_file = key_file.string()}});
  EXPECT_EQ(with.get("/secure").body, "over tls");
}

TEST(BodyExcerpt, EscapesAndCuts) {
  EXPECT_EQ(bodyExcerpt(std::string("a\0\n\xff", 4)), "a\\x00\\n\\xff");
  EXPECT_EQ(bodyExcerpt(std::string(300, 'x'), 5), "xxxxx... (300 bytes)");
}

}  // namespace
}  // namespace e2e
