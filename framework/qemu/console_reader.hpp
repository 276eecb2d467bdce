#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/wait/eventually.hpp"

namespace e2e {

// How a console wait may end early: a line matching one of fatal_patterns (ECMAScript
// regexes, searched), or abort_check returning a reason (e.g. "qemu exited with code 1").
struct ConsoleWaitOptions {
  std::vector<std::string> fatal_patterns;
  std::function<std::optional<std::string>()> abort_check;
  std::size_t from_line = 0;  // only lines with this index or later are searched
  std::size_t tail_lines = 30;  // console lines quoted in a failure message
};

// Reads a growing text file (a VM's serial console) line by line while the writer still
// appends to it. Lines are kept without ANSI escape sequences and carriage returns; the
// unfinished last line (a login prompt has no newline) takes part in searches and tails.
// Thread-safe.
class ConsoleReader {
 public:
  // Reads from byte start_offset on (earlier runs' output in an appended file is skipped).
  explicit ConsoleReader(std::filesystem::path path, std::uint64_t start_offset = 0);

  const std::filesystem::path& path() const { return path_; }
  // Reads what was appended since the last call (a missing file counts as empty).
  void poll();
  // All complete lines so far (polls first).
  std::vector<std::string> lines();
  // The last n lines, the unfinished one included, joined with '\n' (polls first).
  std::string tail(std::size_t n = 30);
  // The number of complete lines so far (polls first): a from_line for later waits.
  std::size_t lineCount();

  // Blocks until a line matching pattern (ECMAScript regex, searched) appears and returns
  // it. Throws WaitTimeout at the deadline and WaitFailed at once on a fatal line or an
  // abort reason; both messages quote the console tail. A bad regex throws
  // std::invalid_argument naming it.
  std::string waitForLine(std::string_view pattern, const Deadline& deadline,
                          const ConsoleWaitOptions& options = {});

 private:
  void pollLocked();
  std::string tailLocked(std::size_t n) const;
  std::filesystem::path path_;
  mutable std::mutex mu_;
  std::uint64_t offset_ = 0;
  std::vector<std::string> lines_;
  std::string partial_;
};

// Removes ANSI escape sequences (colours, cursor moves) and '\r' from one console line.
std::string stripTerminalCodes(std::string_view line);

}  // namespace e2e
