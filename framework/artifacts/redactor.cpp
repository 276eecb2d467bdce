#include "framework/artifacts/redactor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace e2e {

Redactor& Redactor::instance() {
  static Redactor redactor;
  return redactor;
}

bool Redactor::registerSecret(std::string_view value) {
  if (value.size() < kMinSecretLength) return false;
  std::unique_lock lock(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return true;
  auto at = std::find_if(secrets_.begin(), secrets_.end(),
                         [&](const std::string& s) { return s.size() < value.size(); });
  secrets_.insert(at, std::string(value));
  return true;
}

std::size_t Redactor::size() const {
  std::shared_lock lock(mu_);
  return secrets_.size();
}

bool Redactor::containsSecret(std::string_view text) const {
  std::shared_lock lock(mu_);
  return std::any_of(secrets_.begin(), secrets_.end(),
                     [&](const std::string& s) { return text.find(s) != std::string_view::npos; });
}

std::string Redactor::redact(std::string_view text) const {
  std::shared_lock lock(mu_);
  if (secrets_.empty()) return std::string(text);
  // One pass, longest secret first at each position, so a mask is never matched again and
  // a secret that contains another one is masked whole.
  bool first_bytes[256] = {};
  for (const auto& s : secrets_) first_bytes[static_cast<unsigned char>(s[0])] = true;
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool matched = false;
    if (first_bytes[static_cast<unsigned char>(text[i])]) {
      for (const auto& s : secrets_) {
        if (text.compare(i, s.size(), s) == 0) {
          out.append(kMask);
          i += s.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out.push_back(text[i++]);
  }
  return out;
}

namespace {

std::string readFrom(int fd, off_t offset, const std::filesystem::path& path) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("redact {}: read failed: {}", path.string(), std::strerror(errno)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    offset += n;
  }
  return out;
}

}  // namespace

bool redactFileInPlace(const std::filesystem::path& path, const Redactor& redactor) {
  if (redactor.size() == 0) return false;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("redact {}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  std::string content = readFrom(fd, 0, path);
  if (!redactor.containsSecret(content)) return false;
  std::string redacted = redactor.redact(content);
  // Pick up what a writer appended while we were redacting (once more at most).
  for (int round = 0; round < 2; ++round) {
    std::string more = readFrom(fd, static_cast<off_t>(content.size()), path);
    if (more.empty()) break;
    content += more;
    redacted = redactor.redact(content);
  }
  std::size_t written = 0;
  while (written < redacted.size()) {
    ssize_t n = ::pwrite(fd, redacted.data() + written, redacted.size() - written,
                         static_cast<off_t>(written));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("redact {}: write failed: {}", path.string(), std::strerror(errno)));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(redacted.size())) != 0) {
    throw std::runtime_error(fmt::format("redact {}: truncate failed: {}", path.string(), std::strerror(errno)));
  }
  return true;
}

}  // namespace e2e
