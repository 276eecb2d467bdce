#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "framework/artifacts/redactor.hpp"

namespace e2e {

// A log file written by this process (a console reader, a request log) with secrets masked
// before any byte reaches the disk. Text is redacted a whole line at a time, so a secret is
// never cut by a chunk boundary; a line longer than kMaxPendingBytes is written in pieces.
// Complete lines reach the file at once (no user-space buffering). Thread-safe.
class RedactingLogWriter {
 public:
  static constexpr std::size_t kMaxPendingBytes = 64 * 1024;

  // Creates the file (and its folder) or appends to it; throws std::runtime_error naming it.
  static std::shared_ptr<RedactingLogWriter> open(const std::filesystem::path& path,
                                                  const Redactor& redactor = Redactor::instance());

  RedactingLogWriter(const RedactingLogWriter&) = delete;
  RedactingLogWriter& operator=(const RedactingLogWriter&) = delete;
  ~RedactingLogWriter();  // flush(), close

  // Appends a chunk of text; complete lines are written now, the rest waits for its line end.
  void write(std::string_view chunk);
  // Appends text and a line break.
  void line(std::string_view text);
  // Writes a pending partial line as it is (redacted).
  void flush();
  const std::filesystem::path& path() const { return path_; }

 private:
  RedactingLogWriter(std::filesystem::path path, int fd, const Redactor& redactor);
  void writeRedacted(std::string_view text);  // mu_ held
  std::filesystem::path path_;
  int fd_;
  const Redactor* redactor_;
  std::mutex mu_;
  std::string pending_;
};

}  // namespace e2e
