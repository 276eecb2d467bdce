#include "framework/http/sse_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "framework/http/detail/curl_easy.hpp"
#include "framework/wait/eventually.hpp"

namespace e2e {
namespace {

struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};

constexpr std::size_t kMaxErrorBody = 1024;

std::string describe(const SseEvent& e) {
  return fmt::format("event '{}' id '{}' data '{}'", bodyExcerpt(e.type, 40), bodyExcerpt(e.id, 40),
                     bodyExcerpt(e.data, 120));
}

}  // namespace

struct SseClient::Impl {
  Config config;
  std::string url;
  std::vector<std::string> secrets;
  std::unique_ptr<CURLM, CurlMultiDeleter> multi;
  detail::CurlEasy easy;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  std::thread thread;
  std::atomic<bool> stopping{false};
  Waker waker;  // wakes waitForEvent when an event arrives or the connection changes

  mutable std::mutex mu;
  std::condition_variable cv;  // start() and the backoff sleep wait on it
  std::deque<SseEvent> queue;
  std::size_t dropped = 0;
  bool connected = false;
  bool started = false;  // start() returned: from now on every failure is retried
  bool fatal = false;    // before start, a failure that retrying cannot fix
  bool thread_ended = false;
  int connections = 0;
  std::string last_error;
  std::string last_event_id;
  std::optional<SseEvent> last_event;

  // State of the stream being read (stream thread only).
  SseParser parser;
  detail::ResponseHeadCollector head;
  bool head_checked = false;
  bool stream_ok = false;
  std::string error_body;
  std::string stream_error;

  void run();
  void streamOnce();
  void setConnected(bool value);
  void onHeadComplete();
  size_t onData(std::string_view bytes);
  void recordFailure(std::string message, bool fatal_before_start);

  static size_t headerCallback(char* data, size_t size, size_t count, void* self) {
    auto* impl = static_cast<Impl*>(self);
    size_t n = detail::ResponseHeadCollector::callback(data, size, count, &impl->head);
    std::string_view line(data, size * count);
    if ((line == "\r\n" || line == "\n") && impl->head.status >= 200) impl->onHeadComplete();
    return n;
  }
  static size_t writeCallback(char* data, size_t size, size_t count, void* self) {
    return static_cast<Impl*>(self)->onData(std::string_view(data, size * count));
  }
};

void SseClient::Impl::setConnected(bool value) {
  {
    std::lock_guard lock(mu);
    connected = value;
    if (value) ++connections;
  }
  cv.notify_all();
  waker.notify();
}

void SseClient::Impl::recordFailure(std::string message, bool fatal_before_start) {
  {
    std::lock_guard lock(mu);
    last_error = detail::redactSecrets(std::move(message), secrets);
    if (fatal_before_start && !started) fatal = true;
  }
  cv.notify_all();
  waker.notify();
}

void SseClient::Impl::onHeadComplete() {
  head_checked = true;
  auto type = head.headers.get("Content-Type").value_or("");
  stream_ok = head.status == 200 && type.starts_with("text/event-stream");
  if (stream_ok) {
    parser.startStream();
    setConnected(true);
  }
}

size_t SseClient::Impl::onData(std::string_view bytes) {
  if (!head_checked || !stream_ok) {
    // Not an event stream: keep the start of the body for the error message.
    error_body.append(bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, error_body.size())));
    return error_body.size() >= kMaxErrorBody ? 0 : bytes.size();
  }
  std::vector<SseEvent> events;
  try {
    events = parser.feed(bytes);
  } catch (const SseParseError& e) {
    stream_error = e.what();
    return 0;  // aborts the transfer; the stream is reopened
  }
  if (events.empty()) return bytes.size();
  // The callback runs before the events are queued, so whoever waits for an event knows
  // that the callback has seen it.
  if (config.on_event) {
    for (const auto& e : events) {
      try {
        config.on_event(e);
      } catch (const std::exception& ex) {
        std::lock_guard lock(mu);
        last_error = fmt::format("on_event threw: {}", ex.what());
      }
    }
  }
  {
    std::lock_guard lock(mu);
    for (const auto& e : events) {
      queue.push_back(e);
      if (queue.size() > config.max_queued_events) {
        queue.pop_front();
        ++dropped;
      }
    }
    last_event_id = parser.lastEventId();
    last_event = events.back();
  }
  waker.notify();
  return bytes.size();
}

void SseClient::Impl::streamOnce() {
  CURL* h = easy.get();
  head = {};
  head_checked = stream_ok = false;
  error_body.clear();
  stream_error.clear();

  Headers stream_headers{{"Accept", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  std::string resume_id;
  {
    std::lock_guard lock(mu);
    resume_id = last_event_id;
  }
  if (!resume_id.empty()) stream_headers.add("Last-Event-ID", resume_id);
  detail::CurlHeaderList header_lines;
  detail::buildHeaderLines(config.http.default_headers, stream_headers, header_lines);

  curl_easy_reset(h);
  detail::applyTransportOptions(h, config.http, error_buffer.data());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_lines.get());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);  // a stream has no total timeout
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, headerCallback);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, writeCallback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, this);

  curl_multi_add_handle(multi.get(), h);
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!stopping.load()) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi.get(), &running);
    int pending = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &pending)) {
      if (msg->msg == CURLMSG_DONE) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done || mc != CURLM_OK) {
      if (mc != CURLM_OK) result = CURLE_FAILED_INIT;
      break;
    }
    // Returns on socket activity, on curl's own timers, or on curl_multi_wakeup from stop().
    curl_multi_poll(multi.get(), nullptr, 0, 5000, nullptr);
  }
  curl_multi_remove_handle(multi.get(), h);
  bool was_connected = stream_ok;
  if (was_connected) setConnected(false);
  if (stopping.load()) return;

  if (head_checked && !stream_ok) {
    auto type = head.headers.get("Content-Type").value_or("(none)");
    recordFailure(fmt::format("SSE GET {}: HTTP {} with Content-Type '{}', expected 200 text/event-stream; body: '{}'",
                              detail::redactUrl(url), head.status, bodyExcerpt(type, 80), bodyExcerpt(error_body)),
                  true);
  } else if (!stream_error.empty()) {
    recordFailure(fmt::format("SSE GET {}: {}", detail::redactUrl(url), stream_error), false);
  } else if (result != CURLE_OK) {
    auto error = detail::makeTransportError(result, error_buffer.data(), "GET", url, secrets);
    // Before start() returns, a TLS failure is final; a refused connection may be a server
    // that is still starting.
    recordFailure(error.what(), error.kind() == HttpError::Kind::kTls);
  } else {
    recordFailure(fmt::format("SSE GET {}: the server ended the stream", detail::redactUrl(url)), false);
  }
}

void SseClient::Impl::run() {
  auto backoff = config.min_backoff;
  while (!stopping.load()) {
    int before = connections;  // only this thread changes connections
    try {
      streamOnce();
    } catch (const std::exception& e) {
      recordFailure(fmt::format("SSE GET {}: {}", detail::redactUrl(url), e.what()), true);
    }
    if (stopping.load()) break;
    {
      std::lock_guard lock(mu);
      if (fatal) break;
    }
    bool had_stream = connections > before;
    if (had_stream) backoff = config.min_backoff;
    auto delay = backoff;
    if (auto retry = parser.retry()) delay = std::clamp(*retry, config.min_backoff, config.max_backoff);
    if (!had_stream) backoff = std::min(config.max_backoff, backoff * 2);
    std::unique_lock lock(mu);
    cv.wait_for(lock, delay, [&] { return stopping.load(); });
  }
  {
    std::lock_guard lock(mu);
    thread_ended = true;
  }
  cv.notify_all();
  waker.notify();
}

SseClient SseClient::start(Config config) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->url = detail::joinUrl(impl->config.http.base_url, impl->config.target, {});
  impl->secrets = detail::secretsOf(impl->config.http, {});
  detail::checkHttpUrl(impl->url, "SseClient");
  if (impl->config.min_backoff <= std::chrono::milliseconds::zero() ||
      impl->config.max_backoff < impl->config.min_backoff) {
    throw std::invalid_argument(fmt::format("SseClient: need 0 < min_backoff <= max_backoff, got {}ms and {}ms",
                                            impl->config.min_backoff.count(), impl->config.max_backoff.count()));
  }
  {
    detail::CurlHeaderList check;  // throws std::invalid_argument for a bad default header
    detail::buildHeaderLines(impl->config.http.default_headers, {}, check);
  }
  impl->easy = detail::makeCurlEasy();
  impl->multi.reset(curl_multi_init());
  if (!impl->multi) throw SseError("SSE: curl_multi_init failed");
  impl->thread = std::thread([raw = impl.get()] { raw->run(); });
  SseClient client(std::move(impl));

  Impl& s = *client.impl_;
  std::unique_lock lock(s.mu);
  bool opened = s.cv.wait_for(lock, s.config.start_timeout,
                              [&] { return s.connections > 0 || s.fatal || s.thread_ended; });
  if (s.connections > 0) {
    s.started = true;
    return client;
  }
  auto last = s.last_error.empty() ? std::string("no answer yet") : s.last_error;
  lock.unlock();
  client.stop();
  if (opened) throw SseError(last);
  throw SseError(fmt::format("SSE GET {}: no stream within {}; last: {}", detail::redactUrl(s.url),
                             formatDuration(s.config.start_timeout), last));
}

SseClient::SseClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SseClient::SseClient(SseClient&&) noexcept = default;
SseClient& SseClient::operator=(SseClient&& other) noexcept {
  if (this != &other) {
    stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
SseClient::~SseClient() { stop(); }

void SseClient::stop() noexcept {
  if (!impl_ || !impl_->thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mu);  // so the backoff wait cannot miss the flag
    impl_->stopping.store(true);
  }
  curl_multi_wakeup(impl_->multi.get());
  impl_->cv.notify_all();
  impl_->thread.join();
}

SseEvent SseClient::waitForEvent(std::string_view what, const std::function<bool(const SseEvent&)>& match,
                                 const Deadline& deadline) {
  Impl& s = *impl_;
  std::optional<SseEvent> found;
  eventually(
      what, deadline,
      [&] {
        std::lock_guard lock(s.mu);
        auto it = std::find_if(s.queue.begin(), s.queue.end(), match);
        if (it != s.queue.end()) {
          found = std::move(*it);
          s.queue.erase(it);
          return Attempt::done();
        }
        if (s.thread_ended) return Attempt::fail(fmt::format("the SSE client has stopped; last error: {}", s.last_error));
        auto state = s.connected ? std::string("connected")
                                 : fmt::format("disconnected ({})", s.last_error.empty() ? "not yet open" : s.last_error);
        auto last = s.last_event ? describe(*s.last_event) : std::string("no event yet");
        return Attempt::retry(fmt::format("{} queued, none matching; last {}; stream {}", s.queue.size(), last, state));
      },
      {.waker = &s.waker});
  return std::move(*found);
}

std::vector<SseEvent> SseClient::takeEvents() {
  std::lock_guard lock(impl_->mu);
  std::vector<SseEvent> out(std::make_move_iterator(impl_->queue.begin()), std::make_move_iterator(impl_->queue.end()));
  impl_->queue.clear();
  return out;
}

bool SseClient::connected() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connected;
}

int SseClient::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

std::string SseClient::lastEventId() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_event_id;
}

std::string SseClient::lastError() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_error;
}

std::size_t SseClient::droppedEvents() const {
  std::lock_guard lock(impl_->mu);
  return impl_->dropped;
}

}  // namespace e2e
