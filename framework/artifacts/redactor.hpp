#pragma once
#include <cstddef>
#include <filesystem>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

// Replaces every registered secret value in a text with "[REDACTED]". Everything the
// artifacts layer writes or prints goes through the process-wide instance(). Thread-safe.
//
// Values shorter than kMinSecretLength (and empty values) are ignored on purpose: masking
// "1" or "ab" everywhere would destroy the logs without protecting anything real. A secret
// that contains a line break is matched only where the whole value appears in one text.
class Redactor {
 public:
  static constexpr std::size_t kMinSecretLength = 4;
  static constexpr std::string_view kMask = "[REDACTED]";

  // The process-wide redactor used by Artifacts, the listener and the env reader.
  static Redactor& instance();

  // Remembers value as a secret; returns false when it is too short to register.
  bool registerSecret(std::string_view value);
  // text with every registered secret replaced by kMask (longest match first, one pass).
  std::string redact(std::string_view text) const;
  // True when text contains a registered secret.
  bool containsSecret(std::string_view text) const;
  std::size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::string> secrets_;  // longest first, no duplicates
};

// Rewrites a file so that no registered secret is left in it; returns true when it changed.
// Meant for files another process wrote directly (a child's log). A write that lands
// between the read and the rewrite is re-read once; stop or pause the writer for certainty.
// Throws std::runtime_error naming the file when it cannot be read or written.
bool redactFileInPlace(const std::filesystem::path& path,
                       const Redactor& redactor = Redactor::instance());

}  // namespace e2e
