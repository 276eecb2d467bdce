// bnet-attestation-gateway: what cvm-reverse-proxy's proxy-server in front of BuilderHub
// does (attestation-and-orderflow-addendum.md §1.1), minus the attestation itself: one
// gateway per VM, its flags saying what the aTLS handshake would have proven (the VM's
// attestation type and measurement) and the VM's IP (the peer address Go's ReverseProxy
// appends). A client that sends X-Flashbots-Measurement or X-Flashbots-Attestation-Type
// (non-empty) gets the real 403 (measurement checked first); otherwise the gateway sets
// both, appends the VM's IP to X-Forwarded-For (`<client values>, <ip>`), and forwards the
// method, path and query as received, the body and the other headers, and the response
// back. Listens and forwards on loopback only.
#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "tools/common/httplib_quirks.hpp"
#include "tools/common/listen.hpp"
#include "tools/common/tool_log.hpp"

namespace {

using namespace bnet;

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Request headers never forwarded: the three the gateway owns, hop-by-hop ones, the ones
// the client library sets itself, and cpp-httplib's pseudo-headers.
const std::set<std::string>& droppedRequestHeaders() {
  static const std::set<std::string> names = {
      "x-flashbots-attestation-type", "x-flashbots-measurement", "x-forwarded-for", "connection", "keep-alive",
      "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
      "accept-encoding",  // the hub never compresses; keep the body as the hub wrote it
      "remote_addr", "remote_port", "local_addr", "local_port"};
  return names;
}
const std::set<std::string>& droppedResponseHeaders() {
  static const std::set<std::string> names = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                                              "transfer-encoding", "upgrade", "content-length"};
  return names;
}

struct Upstream {
  std::string scheme_host_port;  // "http://127.0.0.1:8080"
  std::string prefix;            // path prefix, no trailing '/'
};

Upstream parseUpstream(const std::string& url) {
  constexpr std::string_view kHttp = "http://";
  if (url.rfind(kHttp, 0) != 0) throw std::invalid_argument(fmt::format("--upstream '{}': must be http://HOST:PORT", url));
  std::string_view rest = std::string_view(url).substr(kHttp.size());
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string host;
  if (!authority.empty() && authority.front() == '[') {
    host = std::string(authority.substr(1, authority.find(']') - 1));
  } else {
    host = std::string(authority.substr(0, authority.rfind(':')));
  }
  if (!tools::isLoopbackHost(host)) {
    throw std::invalid_argument(fmt::format("--upstream '{}': only loopback upstreams are allowed", url));
  }
  Upstream u{std::string(kHttp) + std::string(authority), {}};
  if (slash != std::string_view::npos) u.prefix = std::string(rest.substr(slash));
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  return u;
}

int run(int argc, char** argv) {
  CLI::App app{"bnet-attestation-gateway: sets the attested proxy's three headers in front of BuilderHub"};
  std::string listen = "127.0.0.1:0";
  std::string upstream_url;
  std::string attestation_type;
  std::string measurement;
  std::string forwarded_for;
  std::string ports_file;
  int timeout_s = 60;
  app.add_option("--listen", listen, "loopback HOST:PORT to listen on (port 0: any)")->capture_default_str();
  app.add_option("--upstream", upstream_url, "the hub's instance API, http://127.0.0.1:PORT")->required();
  app.add_option("--attestation-type", attestation_type, "X-Flashbots-Attestation-Type to send")->required();
  app.add_option("--measurement", measurement, "X-Flashbots-Measurement to send: a JSON object of register -> hex")
      ->required();
  app.add_option("--forwarded-for", forwarded_for, "X-Forwarded-For to send: the VM's IP")->required();
  app.add_option("--ports-file", ports_file, "write {\"listen\":PORT,\"pid\":N} here once listening");
  app.add_option("--upstream-timeout", timeout_s, "seconds to wait for the hub")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  tools::ListenAddress address;
  Upstream upstream;
  try {
    address = tools::parseListenAddress(listen, "--listen");
    upstream = parseUpstream(upstream_url);
    if (attestation_type.empty()) throw std::invalid_argument("--attestation-type: empty");
    auto parsed = nlohmann::json::parse(measurement, nullptr, false);
    bool ok = parsed.is_object() &&
              std::all_of(parsed.begin(), parsed.end(), [](const nlohmann::json& v) { return v.is_string(); });
    if (!ok) throw std::invalid_argument(fmt::format("--measurement '{}': must be a JSON object of strings", measurement));
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, forwarded_for.c_str(), &v4) != 1 && inet_pton(AF_INET6, forwarded_for.c_str(), &v6) != 1) {
      throw std::invalid_argument(fmt::format("--forwarded-for '{}': not an IP address", forwarded_for));
    }
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "bnet-attestation-gateway: {}\n", e.what());
    return 2;
  }

  httplib::Server server;
  server.set_payload_max_length(std::size_t{16} << 20);
  server.set_read_timeout(60, 0);
  server.set_keep_alive_timeout(2);
  auto forward = [&](const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    // proxy/proxy.go ServeHTTP: r.Header.Get(...) != "" -> http.Error(w, msg, 403).
    for (auto [header, refusal] : {std::pair{"X-Flashbots-Measurement", "unexpected measurement header passed"},
                                   std::pair{"X-Flashbots-Attestation-Type", "unexpected attestation type header passed"}}) {
      if (req.get_header_value(header).empty()) continue;
      res.status = 403;
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(std::string(refusal) + "\n", "text/plain; charset=utf-8");
      tools::logWarn("refused: the client sent an attestation header", {{"header", header}, {"path", req.path}});
      return;
    }
    // httputil.ReverseProxy: prior X-Forwarded-For values joined with ", ", then the peer.
    std::string forwarded;
    for (std::size_t i = 0, n = req.get_header_value_count("X-Forwarded-For"); i < n; ++i) {
      forwarded += req.get_header_value("X-Forwarded-For", i) + ", ";
    }
    forwarded += forwarded_for;
    httplib::Client client(upstream.scheme_host_port);
    client.set_url_encode(false);
    client.set_decompress(false);
    client.set_keep_alive(false);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(timeout_s, 0);
    client.set_write_timeout(timeout_s, 0);
    httplib::Request out;
    out.method = req.method;
    out.path = upstream.prefix + req.target;
    for (const auto& [name, value] : req.headers) {
      if (droppedRequestHeaders().count(lower(name)) == 0) out.headers.emplace(name, value);
    }
    out.headers.emplace("X-Flashbots-Attestation-Type", attestation_type);
    out.headers.emplace("X-Flashbots-Measurement", measurement);
    out.headers.emplace("X-Forwarded-For", forwarded);
    out.body = req.body;
    auto result = client.send(out);
    if (!result) {
      res.status = 502;
      res.set_content(fmt::format("attestation gateway: upstream {} did not answer: {}\n", upstream_url,
                                  httplib::to_string(result.error())),
                      "text/plain; charset=utf-8");
    } else {
      res.status = result->status;
      std::string content_type;
      for (const auto& [name, value] : result->headers) {
        auto l = lower(name);
        if (l == "content-type") {
          content_type = value;
        } else if (droppedResponseHeaders().count(l) == 0) {
          res.headers.emplace(name, value);
        }
      }
      if (!content_type.empty()) {
        res.set_content(result->body, content_type.c_str());
      } else {
        res.body = result->body;
      }
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    tools::logInfo(fmt::format("Response: {}", res.status),
                   {{"method", req.method}, {"path", req.path}, {"status", std::to_string(res.status)},
                    {"bytes", std::to_string(res.body.size())}, {"duration", fmt::format("{:.3f}ms", ms)}});
  };
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    tools::disableResponseCompression(req);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.Get(".*", forward);
  server.Post(".*", forward);
  server.Put(".*", forward);
  server.Patch(".*", forward);
  server.Delete(".*", forward);
  server.Options(".*", forward);

  tools::blockTerminationSignals();
  int port = address.port == 0 ? server.bind_to_any_port(address.host.c_str())
                               : (server.bind_to_port(address.host.c_str(), address.port) ? address.port : -1);
  if (port <= 0) {
    tools::logError("cannot listen", {{"listenAddress", address.text()}});
    return 1;
  }
  std::thread serving([&] { server.listen_after_bind(); });
  tools::logInfo("attestation gateway listening",
                 {{"listenAddress", tools::ListenAddress{address.host, static_cast<std::uint16_t>(port)}.text()},
                  {"upstream", upstream_url},
                  {"attestation_type", attestation_type},
                  {"measurement", measurement},
                  {"forwarded_for", forwarded_for}});
  int rc = 0;
  if (!ports_file.empty()) {
    try {
      tools::writeJsonFileAtomically(ports_file, {{"listen", port}, {"pid", ::getpid()}});
    } catch (const std::exception& e) {
      tools::logError("cannot write the ports file", {{"err", e.what()}});
      rc = 1;
    }
  }
  if (rc == 0) {
    int sig = tools::waitForTerminationSignal();
    tools::logInfo("shutting down", {{"signal", std::to_string(sig)}});
  }
  server.stop();
  serving.join();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bnet-attestation-gateway: {}\n", e.what());
    return 1;
  }
}
