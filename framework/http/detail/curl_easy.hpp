#pragma once
// Internal to framework/http: what HttpClient and SseClient share about libcurl.
// Not part of the API.
#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/http/http_client.hpp"

namespace e2e::detail {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

// curl_global_init once per process, then a new easy handle; throws HttpError if curl fails.
CurlEasy makeCurlEasy();

// Owns a curl_slist.
class CurlHeaderList {
 public:
  CurlHeaderList() = default;
  CurlHeaderList(const CurlHeaderList&) = delete;
  CurlHeaderList& operator=(const CurlHeaderList&) = delete;
  ~CurlHeaderList() { curl_slist_free_all(list_); }
  void append(const std::string& line);
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

// The header lines for a request: defaults overridden by the request's own fields, plus
// the lines that stop curl from adding Content-Type and Expect on its own.
void buildHeaderLines(const Headers& defaults, const Headers& request, CurlHeaderList& out);

// base + target (+ query); target may be an absolute http(s) URL.
std::string joinUrl(std::string_view base, std::string_view target,
                    const std::vector<std::pair<std::string, std::string>>& query);

// Throws std::invalid_argument (naming who and the fix) unless url is http:// or https://.
void checkHttpUrl(std::string_view url, std::string_view who);

// The URL without "user:password@"; for messages.
std::string redactUrl(std::string_view url);

// Applies what every transfer of a client shares: connect timeout, TLS, auth, protocols,
// no signals, the error buffer (CURL_ERROR_SIZE bytes, must outlive the transfer).
void applyTransportOptions(CURL* handle, const HttpClientConfig& config, char* error_buffer);

// Collects the response's status and header fields; each new status line (after 100
// Continue or a redirect) starts over, so the final response's fields remain.
struct ResponseHeadCollector {
  int status = 0;
  Headers headers;
  static size_t callback(char* data, size_t size, size_t count, void* self);
};

// The kind and message for a failed transfer: "HTTP GET <url> failed: <curl's words>",
// with the URL's credentials removed and every non-empty secret replaced by "<redacted>".
HttpError makeTransportError(CURLcode code, const char* error_buffer, std::string_view method,
                             std::string_view url, const std::vector<std::string>& secrets);

// The secrets a message must never show: the basic auth password and the values of
// Authorization-like fields (Authorization, Proxy-Authorization, *signature*, *token*, *key*).
std::vector<std::string> secretsOf(const HttpClientConfig& config, const Headers& request_headers);
std::string redactSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace e2e::detail
