#include "framework/http/detail/curl_easy.hpp"

#include <fmt/format.h>

#include <cctype>
#include <mutex>
#include <stdexcept>

namespace e2e::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool hasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

void checkField(const Headers::Field& field) {
  // Names only: a value may be a secret.
  if (field.first.empty() || hasLineBreak(field.first) || field.first.find(':') != std::string::npos) {
    throw std::invalid_argument(fmt::format("HTTP header name '{}' is empty or contains ':' or a line break",
                                            bodyExcerpt(field.first, 60)));
  }
  if (hasLineBreak(field.second)) {
    throw std::invalid_argument(
        fmt::format("HTTP header '{}': the value contains a line break", field.first));
  }
}

std::string headerLine(const Headers::Field& field) {
  checkField(field);
  // "Name;" is curl's way to send a field with an empty value ("Name:" would remove it).
  if (field.second.empty()) return field.first + ";";
  return field.first + ": " + field.second;
}

void setTimeoutMs(CURL* handle, CURLoption option, std::chrono::milliseconds ms) {
  curl_easy_setopt(handle, option, static_cast<long>(ms.count() > 0 ? ms.count() : 1));
}

}  // namespace

CurlEasy makeCurlEasy() {
  static std::once_flag once;
  static CURLcode init_result = CURLE_OK;
  std::call_once(once, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_result != CURLE_OK) {
    throw HttpError(fmt::format("curl_global_init failed: {}", curl_easy_strerror(init_result)),
                    HttpError::Kind::kOther, "", "");
  }
  CurlEasy handle(curl_easy_init());
  if (!handle) throw HttpError("curl_easy_init failed", HttpError::Kind::kOther, "", "");
  return handle;
}

void CurlHeaderList::append(const std::string& line) {
  curl_slist* next = curl_slist_append(list_, line.c_str());
  if (next == nullptr) throw std::bad_alloc();
  list_ = next;
}

void buildHeaderLines(const Headers& defaults, const Headers& request, CurlHeaderList& out) {
  for (const auto& field : defaults) {
    if (!request.contains(field.first)) out.append(headerLine(field));
  }
  for (const auto& field : request) out.append(headerLine(field));
  // Without these curl adds "Content-Type: application/x-www-form-urlencoded" to bodies and
  // "Expect: 100-continue" to large ones; the caller sends exactly what it set.
  if (!defaults.contains("Content-Type") && !request.contains("Content-Type")) out.append("Content-Type:");
  if (!defaults.contains("Expect") && !request.contains("Expect")) out.append("Expect:");
}

std::string joinUrl(std::string_view base, std::string_view target,
                    const std::vector<std::pair<std::string, std::string>>& query) {
  std::string url;
  if (target.starts_with("http://") || target.starts_with("https://")) {
    url = target;
  } else {
    url = base;
    if (!url.empty() && url.back() == '/' && target.starts_with('/')) url.pop_back();
    if (!target.empty() && !target.starts_with('/') && !target.starts_with('?') &&
        (url.empty() || url.back() != '/')) {
      url += '/';
    }
    url += target;
  }
  if (query.empty()) return url;
  bool first = url.find('?') == std::string::npos;
  auto escape = [](const std::string& s) {
    char* escaped = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
    if (escaped == nullptr) throw std::bad_alloc();
    std::string out(escaped);
    curl_free(escaped);
    return out;
  };
  for (const auto& [key, value] : query) {
    url += first ? '?' : '&';
    first = false;
    url += escape(key);
    url += '=';
    url += escape(value);
  }
  return url;
}

void checkHttpUrl(std::string_view url, std::string_view who) {
  if (url.starts_with("http://") || url.starts_with("https://")) return;
  throw std::invalid_argument(fmt::format(
      "{}: URL '{}' is not http:// or https://; set the config's base_url or pass an absolute URL", who,
      bodyExcerpt(redactUrl(url), 200)));
}

std::string redactUrl(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  auto authority = url.substr(authority_start, authority_end == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : authority_end - authority_start);
  auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, authority_start)) + std::string(url.substr(authority_start + at + 1));
}

void applyTransportOptions(CURL* handle, const HttpClientConfig& config, char* error_buffer) {
  error_buffer[0] = '\0';
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  // Never a proxy from http_proxy & co: requests go exactly where the URL says.
  curl_easy_setopt(handle, CURLOPT_PROXY, "");
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, config.follow_redirects ? 1L : 0L);
  setTimeoutMs(handle, CURLOPT_CONNECTTIMEOUT_MS, config.connect_timeout);

  const auto& tls = config.tls;
  if (!tls.verify) {
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!tls.ca_file.empty() || !tls.ca_pem.empty()) {
    // Pinned: only the given CA, not the system store.
    curl_easy_setopt(handle, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(handle, CURLOPT_CAINFO, tls.ca_file.empty() ? nullptr : tls.ca_file.c_str());
    if (!tls.ca_pem.empty()) {
      curl_blob blob{const_cast<char*>(tls.ca_pem.data()), tls.ca_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(handle, CURLOPT_CAINFO_BLOB, &blob);
    }
  }
  if (!tls.client_cert_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(handle, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    if (!tls.client_key_file.empty()) curl_easy_setopt(handle, CURLOPT_SSLKEY, tls.client_key_file.c_str());
  }
  if (config.basic_auth) {
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(handle, CURLOPT_USERNAME, config.basic_auth->user.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, config.basic_auth->password.c_str());
  }
}

size_t ResponseHeadCollector::callback(char* data, size_t size, size_t count, void* self) {
  auto* collector = static_cast<ResponseHeadCollector*>(self);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    collector->headers = Headers();
    collector->status = 0;
    auto space = line.find(' ');
    if (space != std::string_view::npos) {
      auto code = line.substr(space + 1, 3);
      int status = 0;
      for (char c : code) {
        if (c < '0' || c > '9') break;
        status = status * 10 + (c - '0');
      }
      collector->status = status;
    }
    return size * count;
  }
  auto stripped = trim(line);
  if (stripped.empty()) return size * count;
  if ((line.front() == ' ' || line.front() == '\t') && !collector->headers.empty()) {
    // Obsolete line folding: continues the previous field's value.
    Headers rebuilt;
    std::size_t index = 0, last = collector->headers.size() - 1;
    for (const auto& [name, value] : collector->headers) {
      rebuilt.add(name, index++ == last ? value + " " + std::string(stripped) : value);
    }
    collector->headers = std::move(rebuilt);
    return size * count;
  }
  auto colon = stripped.find(':');
  if (colon == std::string_view::npos) return size * count;
  collector->headers.add(std::string(trim(stripped.substr(0, colon))),
                         std::string(trim(stripped.substr(colon + 1))));
  return size * count;
}

std::vector<std::string> secretsOf(const HttpClientConfig& config, const Headers& request_headers) {
  std::vector<std::string> secrets;
  if (config.basic_auth && !config.basic_auth->password.empty()) {
    secrets.push_back(config.basic_auth->password);
  }
  auto sensitive = [](std::string name) {
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name.find("authorization") != std::string::npos || name.find("signature") != std::string::npos ||
           name.find("token") != std::string::npos || name.find("key") != std::string::npos ||
           name.find("cookie") != std::string::npos;
  };
  for (const auto* headers : {&config.default_headers, &request_headers}) {
    for (const auto& [name, value] : *headers) {
      if (!value.empty() && sensitive(name)) secrets.push_back(value);
    }
  }
  return secrets;
}

std::string redactSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "<redacted>");
      at += 10;
    }
  }
  return text;
}

HttpError makeTransportError(CURLcode code, const char* error_buffer, std::string_view method,
                             std::string_view url, const std::vector<std::string>& secrets) {
  HttpError::Kind kind = HttpError::Kind::kOther;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      kind = HttpError::Kind::kConnect;
      break;
    case CURLE_OPERATION_TIMEDOUT:
      kind = HttpError::Kind::kTimeout;
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CLIENTCERT:
      kind = HttpError::Kind::kTls;
      break;
    default:
      break;
  }
  std::string explanation =
      error_buffer != nullptr && error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  auto safe_url = redactSecrets(redactUrl(url), secrets);
  return HttpError(redactSecrets(fmt::format("HTTP {} {} failed: {} (curl error {})", method, safe_url,
                                             std::string(trim(explanation)), static_cast<int>(code)),
                                 secrets),
                   kind, std::string(method), safe_url);
}

}  // namespace e2e::detail
