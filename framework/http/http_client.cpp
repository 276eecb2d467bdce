#include "framework/http/http_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

#include "framework/http/detail/curl_easy.hpp"

namespace e2e {
namespace {

bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

size_t appendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return sameName(f.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (sameName(n, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::getAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : fields_) {
    if (sameName(n, name)) out.push_back(v);
  }
  return out;
}

std::string bodyExcerpt(std::string_view body, std::size_t max_bytes) {
  std::string out;
  auto shown = body.substr(0, std::min(body.size(), max_bytes));
  for (unsigned char c : shown) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown.size() < body.size()) out += fmt::format("... ({} bytes)", body.size());
  return out;
}

const HttpResponse& HttpResponse::expectStatus(int expected) const {
  if (status != expected) {
    throw HttpStatusError(fmt::format("HTTP {} {}: expected status {}, got {}; body: '{}'", method, url,
                                      expected, status, bodyExcerpt(body)),
                          status);
  }
  return *this;
}

struct HttpClient::Impl {
  Config config;
  std::mutex mu;
  detail::CurlEasy handle;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
};

HttpClient::HttpClient(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handle = detail::makeCurlEasy();
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

const HttpClient::Config& HttpClient::config() const { return impl_->config; }

std::string HttpClient::url(std::string_view target,
                            const std::vector<std::pair<std::string, std::string>>& query) const {
  return detail::joinUrl(impl_->config.base_url, target, query);
}

HttpResponse HttpClient::send(const HttpRequest& request) {
  std::lock_guard lock(impl_->mu);
  const auto& config = impl_->config;
  CURL* h = impl_->handle.get();
  auto method = upper(request.method.empty() ? "GET" : request.method);
  auto full_url = url(request.target, request.query);
  detail::checkHttpUrl(full_url, "HttpClient");

  detail::CurlHeaderList header_lines;
  detail::buildHeaderLines(config.default_headers, request.headers, header_lines);

  // Reset keeps the connection cache, so the next request reuses the open connection.
  curl_easy_reset(h);
  detail::applyTransportOptions(h, config, impl_->error_buffer.data());
  curl_easy_setopt(h, CURLOPT_URL, full_url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_lines.get());
  auto timeout = request.timeout.value_or(config.timeout);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(timeout.count(), 1)));
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method == "GET" && request.body.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (!request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  HttpResponse response;
  response.method = method;
  response.url = detail::redactUrl(full_url);
  detail::ResponseHeadCollector head;
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, detail::ResponseHeadCollector::callback);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);

  CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    throw detail::makeTransportError(code, impl_->error_buffer.data(), method, full_url,
                                     detail::secretsOf(config, request.headers));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t total_us = 0;
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
  response.status = static_cast<int>(status);
  response.headers = std::move(head.headers);
  response.total_time = std::chrono::microseconds(total_us);
  return response;
}

HttpResponse HttpClient::get(std::string target, Headers headers) {
  return send({.method = "GET", .target = std::move(target), .headers = std::move(headers)});
}

HttpResponse HttpClient::post(std::string target, std::string body, Headers headers) {
  return send({.method = "POST", .target = std::move(target), .headers = std::move(headers),
               .body = std::move(body)});
}

}  // namespace e2e
