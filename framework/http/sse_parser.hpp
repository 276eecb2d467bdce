#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

// One dispatched server-sent event.
struct SseEvent {
  std::string type = "message";  // the "event:" field, "message" when absent
  std::string data;              // "data:" lines joined by "\n"
  std::string id;                // the last event id at dispatch (persists across events)
};

// A line or event longer than the parser's limit.
class SseParseError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The text/event-stream parser of the HTML Living Standard (section 9.2.6), without I/O:
// feed it bytes in chunks of any size; it returns the events those bytes complete. Lines
// end with CRLF, LF or CR (also split across chunks); a leading BOM is skipped; comments,
// unknown fields and a final unterminated event are dropped; "id" values containing NUL
// and non-numeric "retry" values are ignored. Departure from the standard: bytes are kept
// as they come, invalid UTF-8 is not replaced by U+FFFD.
class SseParser {
 public:
  static constexpr std::size_t kDefaultMaxEventBytes = 16 * 1024 * 1024;
  explicit SseParser(std::size_t max_event_bytes = kDefaultMaxEventBytes) : max_event_bytes_(max_event_bytes) {}

  // Throws SseParseError when a pending line or event exceeds max_event_bytes (the parser
  // is then reset, keeping the last event id).
  std::vector<SseEvent> feed(std::string_view bytes);
  // For a new connection: drops a partial line and event; keeps lastEventId and retry.
  void startStream();

  const std::string& lastEventId() const { return last_event_id_; }
  // The last valid "retry:" value, if any.
  std::optional<std::chrono::milliseconds> retry() const { return retry_; }

 private:
  void processLine(std::string_view line, std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);
  void checkLimit();

  std::size_t max_event_bytes_;
  std::string line_;
  std::string data_;  // each data line followed by "\n", as the standard's data buffer
  std::string type_;
  std::string last_event_id_;
  std::optional<std::chrono::milliseconds> retry_;
  bool after_cr_ = false;     // the previous byte was CR: an LF right after it ends no line
  bool first_line_ = true;    // the stream's first line may start with a BOM
};

}  // namespace e2e
