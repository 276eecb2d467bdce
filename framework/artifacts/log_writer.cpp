#include "framework/artifacts/log_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace e2e {

std::shared_ptr<RedactingLogWriter> RedactingLogWriter::open(const std::filesystem::path& path,
                                                             const Redactor& redactor) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("log {}: cannot open for writing: {}", path.string(),
                                         std::strerror(errno)));
  }
  return std::shared_ptr<RedactingLogWriter>(new RedactingLogWriter(path, fd, redactor));
}

RedactingLogWriter::RedactingLogWriter(std::filesystem::path path, int fd, const Redactor& redactor)
    : path_(std::move(path)), fd_(fd), redactor_(&redactor) {}

RedactingLogWriter::~RedactingLogWriter() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; the log is best effort at this point
  }
  ::close(fd_);
}

void RedactingLogWriter::write(std::string_view chunk) {
  std::lock_guard lock(mu_);
  pending_.append(chunk);
  auto last_newline = pending_.rfind('\n');
  if (last_newline != std::string::npos) {
    writeRedacted(std::string_view(pending_).substr(0, last_newline + 1));
    pending_.erase(0, last_newline + 1);
  }
  if (pending_.size() > kMaxPendingBytes) {
    writeRedacted(pending_);
    pending_.clear();
  }
}

void RedactingLogWriter::line(std::string_view text) {
  std::string with_newline(text);
  with_newline.push_back('\n');
  write(with_newline);
}

void RedactingLogWriter::flush() {
  std::lock_guard lock(mu_);
  if (pending_.empty()) return;
  writeRedacted(pending_);
  pending_.clear();
}

void RedactingLogWriter::writeRedacted(std::string_view text) {
  std::string out = redactor_->redact(text);
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("log {}: write failed: {}", path_.string(), std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace e2e
