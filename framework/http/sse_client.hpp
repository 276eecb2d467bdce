#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "framework/http/http_client.hpp"
#include "framework/http/sse_parser.hpp"
#include "framework/wait/deadline.hpp"

namespace e2e {

// start() could not open the stream: names the URL and the HTTP status or transport error.
class SseError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SseClientConfig {
  HttpClientConfig http;   // base_url, TLS, auth, default headers, connect_timeout (timeout unused)
  std::string target;      // "/eth/v1/events?topics=head"
  std::chrono::milliseconds start_timeout{10000};  // how long start() waits for the first connection
  std::chrono::milliseconds min_backoff{100};      // first reconnect delay, doubled per failure ...
  std::chrono::milliseconds max_backoff{5000};     // ... up to this; a server's "retry:" is clamped to both
  std::size_t max_queued_events = 10000;           // beyond this the oldest queued event is dropped
  // Optional; called on the stream thread for every event (events are queued as well).
  // Must not throw and must not call stop().
  std::function<void(const SseEvent&)> on_event;
};

// Follows a text/event-stream (e.g. a beacon node's /eth/v1/events) on a background
// thread with its own connection. Reconnects after a disconnect with bounded backoff,
// sending Last-Event-ID once an id was seen. Events are queued for waitForEvent().
// Thread-safe. Move-only; destruction stops the thread promptly (curl_multi_wakeup).
class SseClient {
 public:
  using Config = SseClientConfig;

  // Blocks until the stream is open (HTTP 200, text/event-stream), up to start_timeout.
  // Throws SseError at once for another HTTP status or a TLS failure, or at the timeout with
  // the last failure; std::invalid_argument for a URL that is not http(s) or a bad header.
  static SseClient start(Config config);

  SseClient(SseClient&&) noexcept;
  SseClient& operator=(SseClient&&) noexcept;
  ~SseClient();  // stop()

  // Ends the stream and joins the thread; idempotent, never throws.
  void stop() noexcept;

  // Blocks until a queued or arriving event matches, removes it from the queue and returns
  // it (earlier non-matching events stay queued). Throws WaitTimeout at the deadline
  // naming `what` and the last event seen.
  SseEvent waitForEvent(std::string_view what, const std::function<bool(const SseEvent&)>& match,
                        const Deadline& deadline);
  // Removes and returns every queued event.
  std::vector<SseEvent> takeEvents();

  bool connected() const;
  int connections() const;        // streams opened so far (1 + reconnects)
  std::string lastEventId() const;
  std::string lastError() const;  // why the last stream ended or failed; "" if none did
  std::size_t droppedEvents() const;  // oldest events dropped because the queue was full

 private:
  struct Impl;
  explicit SseClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace e2e
