#pragma once
#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/wait/deadline.hpp"

namespace e2e {

// HTTP header fields in order; repeated names are kept, names compare case-insensitively.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;
  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field of that name.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  // The first value of that name.
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> getAll(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  bool empty() const { return fields_.empty(); }
  std::size_t size() const { return fields_.size(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

struct TlsOptions {
  bool verify = true;             // false: accept any certificate and host ("insecure for devnet")
  std::string ca_file;            // pinned CA bundle (PEM file) instead of the system store
  std::string ca_pem;             // pinned CA as PEM text instead of the system store
  std::string client_cert_file;   // optional client certificate (PEM) ...
  std::string client_key_file;    // ... and its key (PEM, unencrypted)
};

struct BasicAuth {
  std::string user;
  std::string password;  // never logged, never in an error message
};

struct HttpClientConfig {
  std::string base_url;  // "http://127.0.0.1:8545"; a request's path is appended to it
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // whole request; per request overridable
  TlsOptions tls;
  std::optional<BasicAuth> basic_auth;
  Headers default_headers;  // sent with every request unless the request sets the name
  bool follow_redirects = false;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;                 // "/path" (relative to base_url) or an absolute URL
  std::vector<std::pair<std::string, std::string>> query;  // appended, URL-encoded
  Headers headers;
  std::string body;                   // sent byte for byte; no default Content-Type is added
  std::optional<std::chrono::milliseconds> timeout;  // overrides the config's
};

struct HttpResponse {
  std::string method;
  std::string url;  // as requested, credentials removed
  int status = 0;
  Headers headers;  // of the final response
  std::string body;
  Clock::duration total_time{};

  bool ok() const { return status >= 200 && status < 300; }
  // Returns *this when status == expected; else throws HttpStatusError naming the method,
  // URL, both statuses and the start of the body.
  const HttpResponse& expectStatus(int expected) const;
};

// A transport failure: no HTTP response (refused, timed out, TLS, bad URL). The message
// names the method, the URL (credentials removed) and curl's explanation; never a secret.
class HttpError : public std::runtime_error {
 public:
  enum class Kind { kConnect, kTimeout, kTls, kOther };
  HttpError(std::string message, Kind kind, std::string method, std::string url)
      : std::runtime_error(std::move(message)), kind_(kind), method_(std::move(method)), url_(std::move(url)) {}
  Kind kind() const { return kind_; }
  const std::string& method() const { return method_; }
  const std::string& url() const { return url_; }

 private:
  Kind kind_;
  std::string method_;
  std::string url_;
};

// An HTTP response with a status the caller did not expect (from expectStatus).
class HttpStatusError : public std::runtime_error {
 public:
  HttpStatusError(std::string message, int status) : std::runtime_error(std::move(message)), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// The start of a body for a message: at most max_bytes, control and non-ASCII bytes
// escaped as \xNN, "... (N bytes)" appended when cut.
std::string bodyExcerpt(std::string_view body, std::size_t max_bytes = 200);

// A libcurl client for one base URL. It keeps one connection (curl handle) and reuses it
// across requests. Thread-safe: requests from several threads are serialised by a mutex;
// use one client per thread for parallel requests. Move-only.
class HttpClient {
 public:
  using Config = HttpClientConfig;
  explicit HttpClient(Config config);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // Blocks for at most the request's timeout. Any HTTP status is returned, not thrown;
  // throws HttpError on transport failures, std::invalid_argument for a URL that is not
  // http(s) or a header name/value with a line break.
  HttpResponse send(const HttpRequest& request);
  HttpResponse get(std::string target, Headers headers = {});
  HttpResponse post(std::string target, std::string body, Headers headers = {});

  // The URL a request target resolves to (with its query), credentials included.
  std::string url(std::string_view target,
                  const std::vector<std::pair<std::string, std::string>>& query = {}) const;
  const Config& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace e2e
