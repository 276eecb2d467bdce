#include "tools/hub-standin/hub_server.hpp"

#include <crypt.h>

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>
#include <cryptopp/misc.h>
#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <thread>

#include "tools/common/httplib_quirks.hpp"
#include "tools/common/tool_log.hpp"

namespace bnet::standin {
namespace {

using Clock = std::chrono::steady_clock;
using tools::logInfo;
using tools::logWarn;

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string_view statusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Request Entity Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

// Go's http.Error: text body + '\n', nosniff.
Reply goError(int status, std::string_view text) {
  return Reply{status, std::string(text) + "\n", {{"X-Content-Type-Options", "nosniff"}}};
}

AuthHeaders authHeaders(const httplib::Request& req) {
  AuthHeaders auth;
  if (req.has_header("X-Flashbots-Attestation-Type")) {
    auth.attestation_type = req.get_header_value("X-Flashbots-Attestation-Type");
  }
  if (req.has_header("X-Flashbots-Measurement")) {
    auth.measurement = req.get_header_value("X-Flashbots-Measurement");
  }
  auto n = req.get_header_value_count("X-Forwarded-For");
  for (std::size_t i = 0; i < n; ++i) auth.forwarded_for.push_back(req.get_header_value("X-Forwarded-For", i));
  return auth;
}

// Strict standard base64 (with padding), as Go's base64.StdEncoding.DecodeString.
std::optional<std::string> decodeBase64Strict(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
    if (c == '=') {
      ++pad;
    } else if (!alpha || pad > 0) {
      return std::nullopt;
    }
  }
  if (pad > 2) return std::nullopt;
  std::string out;
  CryptoPP::StringSource source(reinterpret_cast<const CryptoPP::byte*>(text.data()), text.size(), true,
                                new CryptoPP::Base64Decoder(new CryptoPP::StringSink(out)));
  return out;
}

thread_local std::optional<Clock::time_point> request_started;

}  // namespace

// ---- routing ----------------------------------------------------------------------------

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), splitPath(pattern), std::move(handler)});
}

Reply Router::dispatch(const httplib::Request& request) const {
  auto segments = splitPath(request.path);
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    Params params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const auto& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        if (segments[i].empty()) match = false;
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    if (route.method == request.method) return route.handler(request, params);
    allowed.push_back(route.method);
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    return Reply{405, {}, {{"Allow", allow}}};
  }
  return goError(404, "404 page not found");
}

// ---- admin Basic auth -------------------------------------------------------------------

bool basicAuthMatches(std::string_view authorization, std::string_view user, std::string_view bcrypt_hash) {
  constexpr std::string_view kPrefix = "Basic ";
  if (bcrypt_hash.empty() || authorization.size() < kPrefix.size()) return false;
  bool prefix_ok = std::equal(kPrefix.begin(), kPrefix.end(), authorization.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  if (!prefix_ok) return false;
  auto decoded = decodeBase64Strict(authorization.substr(kPrefix.size()));
  if (!decoded) return false;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  std::string given_user = decoded->substr(0, colon);
  std::string password = decoded->substr(colon + 1);
  if (given_user != user) return false;
  auto data = std::make_unique<crypt_data>();
  std::string setting(bcrypt_hash);
  const char* hashed = crypt_rn(password.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (hashed == nullptr) return false;
  std::string_view result(hashed);
  return result.size() == bcrypt_hash.size() &&
         CryptoPP::VerifyBufsEqual(reinterpret_cast<const CryptoPP::byte*>(result.data()),
                                   reinterpret_cast<const CryptoPP::byte*>(bcrypt_hash.data()), result.size());
}

// ---- servers ----------------------------------------------------------------------------

HubStandin::HubStandin(StandinConfig config) : config_(std::move(config)), state_(config_.version) {
  // Instance API (8080 role), with health and the internal peer lists (also on 8080).
  auto& in = instance_router_;
  in.add("GET", "/livez", [](auto&, auto&) { return Reply{200, {}}; });
  in.add("GET", "/readyz", [this](auto&, auto&) { return Reply{ready_ ? 200 : 503, {}}; });
  in.add("GET", "/drain", [this](auto&, auto&) { return handleDrain(); });
  in.add("GET", "/undrain", [this](auto&, auto&) {
    ready_ = true;
    logInfo("Server marked as ready");
    return Reply{200, {}};
  });
  auto measurements = [this](auto&, auto&) { return state_.activeMeasurements(); };
  auto production = [this](auto&, auto&) { return state_.peers("production"); };
  auto networked = [this](auto&, const Router::Params& p) { return state_.peers(p.at("network")); };
  in.add("GET", "/api/l1-builder/v1/measurements", measurements);
  in.add("GET", "/api/l1-builder/v1/configuration",
         [this](const httplib::Request& r, auto&) { return state_.configurationFor(authHeaders(r)); });
  in.add("GET", "/api/l1-builder/v1/builders",
         [this](const httplib::Request& r, auto&) { return state_.buildersFor(authHeaders(r)); });
  in.add("POST", "/api/l1-builder/v1/register_credentials/{service}",
         [this](const httplib::Request& r, const Router::Params& p) {
           return state_.registerCredentials(authHeaders(r), p.at("service"), r.body);
         });
  in.add("GET", "/api/internal/l1-builder/v1/builders", production);
  in.add("GET", "/api/internal/l1-builder/v2/network/{network}/builders", networked);

  // Admin API (8081 role).
  auto& ad = admin_router_;
  ad.add("POST", "/api/admin/v1/measurements",
         [this](const httplib::Request& r, auto&) { return state_.addMeasurement(r.body); });
  ad.add("POST", "/api/admin/v1/measurements/activation/{measurementName}",
         [this](const httplib::Request& r, const Router::Params& p) {
           return state_.setMeasurementActive(p.at("measurementName"), r.body);
         });
  ad.add("POST", "/api/admin/v1/builders",
         [this](const httplib::Request& r, auto&) { return state_.addBuilder(r.body); });
  ad.add("POST", "/api/admin/v1/builders/configuration/{builderName}",
         [this](const httplib::Request& r, const Router::Params& p) {
           return state_.setBuilderConfig(p.at("builderName"), r.body);
         });
  ad.add("POST", "/api/admin/v1/builders/secrets/{builderName}",
         [this](const httplib::Request& r, const Router::Params& p) {
           return state_.setBuilderSecrets(p.at("builderName"), r.body);
         });
  ad.add("POST", "/api/admin/v1/builders/activation/{builderName}",
         [this](const httplib::Request& r, const Router::Params& p) {
           return state_.setBuilderActive(p.at("builderName"), r.body);
         });
  ad.add("GET", "/api/admin/v1/builders/configuration/{builderName}/active",
         [this](auto&, const Router::Params& p) { return state_.activeConfig(p.at("builderName")); });
  ad.add("GET", "/api/admin/v1/builders/configuration/{builderName}/full",
         [this](auto&, const Router::Params& p) { return state_.fullConfig(p.at("builderName")); });

  // Internal API (8082 role).
  auto& it = internal_router_;
  it.add("GET", "/api/l1-builder/v1/measurements", measurements);
  it.add("GET", "/api/internal/l1-builder/v1/builders", production);
  it.add("GET", "/api/internal/l1-builder/v2/network/{network}/builders", networked);
  // Stand-in extension, not in the real hub: the event_log rows (GetConfig) plus credential
  // registrations, for tests to read.
  it.add("GET", "/test/v1/events", [this](auto&, auto&) { return state_.events(); });
}

HubStandin::~HubStandin() { stop(); }

Reply HubStandin::handleDrain() {
  ready_ = false;
  logInfo("Server marked as not ready", {{"drain_seconds", std::to_string(config_.drain.count())}});
  std::this_thread::sleep_for(config_.drain);
  return Reply{200, {}};
}

void HubStandin::mount(httplib::Server& server, std::string role, const Router& router, bool admin_auth) {
  server.set_payload_max_length(config_.max_body_bytes);
  server.set_read_timeout(60, 0);
  server.set_write_timeout(30, 0);
  server.set_keep_alive_timeout(2);
  auto handler = [this, &router, admin_auth](const httplib::Request& req, httplib::Response& res) {
    Reply reply;
    if (admin_auth &&
        !basicAuthMatches(req.get_header_value("Authorization"), config_.admin_user, config_.admin_password_bcrypt)) {
      reply = goError(401, "Unauthorized");
      reply.headers.emplace_back("WWW-Authenticate", "Basic realm=admin");
    } else {
      reply = router.dispatch(req);
    }
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) res.set_header(name.c_str(), value);
    // Go's handlers never set Content-Type; net/http sniffs non-empty bodies (JSON and
    // text sniff as text/plain; charset=utf-8). Empty bodies get none.
    if (!reply.body.empty()) res.set_content(reply.body, std::string(kTextPlain).c_str());
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    request_started = Clock::now();
    tools::disableResponseCompression(req);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger([role](const httplib::Request& req, const httplib::Response& res) {
    double ms = 0;
    if (request_started) {
      ms = std::chrono::duration<double, std::milli>(Clock::now() - *request_started).count();
      request_started.reset();
    }
    // Like go-chi/httplog's concise request line: method, path, status, duration. Never
    // headers or bodies (they carry the admin password and secrets).
    tools::logLine(res.status >= 500 ? "ERROR" : (res.status >= 400 ? "WARN" : "INFO"),
                   fmt::format("Response: {} {}", res.status, statusText(res.status)),
                   {{"server", role},
                    {"method", req.method},
                    {"path", req.path},
                    {"status", std::to_string(res.status)},
                    {"bytes", std::to_string(res.body.size())},
                    {"duration", fmt::format("{:.3f}ms", ms)}});
  });
}

void HubStandin::bind() {
  instance_ = std::make_unique<httplib::Server>();
  admin_ = std::make_unique<httplib::Server>();
  internal_ = std::make_unique<httplib::Server>();
  mount(*instance_, "instance", instance_router_, false);
  mount(*admin_, "admin", admin_router_, !config_.disable_admin_auth);
  mount(*internal_, "internal", internal_router_, false);
  auto bindOne = [](httplib::Server& server, const tools::ListenAddress& address, std::string_view role) {
    int port = 0;
    if (address.port == 0) {
      port = server.bind_to_any_port(address.host.c_str());
    } else {
      port = server.bind_to_port(address.host.c_str(), address.port) ? address.port : -1;
    }
    if (port <= 0) {
      throw std::runtime_error(fmt::format("cannot listen on {} for the {} server (in use?)", address.text(), role));
    }
    return static_cast<std::uint16_t>(port);
  };
  instance_port_ = bindOne(*instance_, config_.instance, "instance");
  admin_port_ = bindOne(*admin_, config_.admin, "admin");
  internal_port_ = bindOne(*internal_, config_.internal, "internal");
}

void HubStandin::serve() {
  for (auto* server : {instance_.get(), admin_.get(), internal_.get()}) {
    threads_.emplace_back([server] { server->listen_after_bind(); });
  }
  auto address = [](const tools::ListenAddress& a, std::uint16_t port) {
    return tools::ListenAddress{a.host, port}.text();
  };
  logInfo("Starting HTTP server", {{"listenAddress", address(config_.instance, instance_port_)}});
  logInfo("Starting admin HTTP server", {{"listenAddress", address(config_.admin, admin_port_)}});
  logInfo("Starting internal HTTP server", {{"listenAddress", address(config_.internal, internal_port_)}});
}

void HubStandin::stop() {
  for (auto* server : {instance_.get(), admin_.get(), internal_.get()}) {
    if (server != nullptr) server->stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace bnet::standin
