#include "framework/http/sse_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "framework/wait/eventually.hpp"
#include "loopback_server.hpp"

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace e2e {
namespace {

// Serves GET /events as text/event-stream: every chunk pushed after a stream opened is
// written to it. Streams can be cut (abruptly or with a clean end). Records each stream's
// request headers.
class EventFeed {
 public:
  EventFeed() {
    server_.server().Get("/events", [this](const httplib::Request& req, httplib::Response& res) {
      std::size_t cursor;
      int generation;
      {
        std::lock_guard lock(mu_);
        last_event_ids_.push_back(req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID") : "(none)");
        accepts_.push_back(req.get_header_value("Accept"));
        cursor = chunks_.size();
        generation = generation_;
      }
      auto position = std::make_shared<std::size_t>(cursor);
      res.set_chunked_content_provider("text/event-stream", [this, position, generation](std::size_t, httplib::DataSink& sink) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, 100ms, [&] { return closing_ || generation_ != generation || *position < chunks_.size(); });
        if (closing_ || (generation_ != generation && !clean_end_)) return false;  // abrupt end
        if (generation_ != generation) {
          lock.unlock();
          sink.done();  // clean end of the response
          return true;
        }
        std::string out;
        for (; *position < chunks_.size(); ++*position) out += chunks_[*position];
        lock.unlock();
        // An idle stream stays silent; the handler returns when the server stops.
        return out.empty() || sink.write(out.data(), out.size());
      });
    });
    server_.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("no such topic", "text/plain");
    });
    server_.onStop([this] {
      {
        std::lock_guard lock(mu_);
        closing_ = true;
      }
      cv_.notify_all();
    });
    server_.start();
  }

  void push(std::string chunk) {
    {
      std::lock_guard lock(mu_);
      chunks_.push_back(std::move(chunk));
    }
    cv_.notify_all();
  }
  // Ends every open stream: abruptly (connection closed mid-response) or cleanly.
  void endStreams(bool clean) {
    {
      std::lock_guard lock(mu_);
      ++generation_;
      clean_end_ = clean;
    }
    cv_.notify_all();
  }
  std::vector<std::string> lastEventIds() {
    std::lock_guard lock(mu_);
    return last_event_ids_;
  }
  std::vector<std::string> accepts() {
    std::lock_guard lock(mu_);
    return accepts_;
  }
  SseClient::Config config(std::string target = "/events") {
    return {.http = {.base_url = server_.baseUrl(), .connect_timeout = 2s},
            .target = std::move(target),
            .start_timeout = 10s,
            .min_backoff = 20ms,
            .max_backoff = 200ms};
  }
  std::string baseUrl() const { return server_.baseUrl(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> chunks_;
  int generation_ = 0;
  bool clean_end_ = false;
  bool closing_ = false;
  std::vector<std::string> last_event_ids_;
  std::vector<std::string> accepts_;
  testing::LoopbackServer server_;  // last: stopped first, while the feed still exists
};

auto ofType(std::string type) {
  return [type](const SseEvent& e) { return e.type == type; };
}

TEST(SseClient, ReceivesParsedEvents) {
  EventFeed feed;
  std::mutex mu;
  std::vector<std::string> seen_by_callback;
  auto config = feed.config();
  config.on_event = [&](const SseEvent& e) {
    std::lock_guard lock(mu);
    seen_by_callback.push_back(e.type);
  };
  auto client = SseClient::start(config);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.connections(), 1);

  feed.push("event: head\nid: 1\ndata: {\"slot\":\"12\"}\n\n");
  feed.push(": a comment\r\nevent: payload_attributes\r\ndata: line1\r\n");
  feed.push("data: line2\r\n\r\n");
  auto deadline = Deadline::after(10s);
  auto head = client.waitForEvent("head event", ofType("head"), deadline);
  EXPECT_EQ(head.data, "{\"slot\":\"12\"}");
  EXPECT_EQ(head.id, "1");
  auto attributes = client.waitForEvent("payload_attributes event", ofType("payload_attributes"), deadline);
  EXPECT_EQ(attributes.data, "line1\nline2");
  EXPECT_EQ(client.lastEventId(), "1");
  EXPECT_TRUE(client.takeEvents().empty()) << "waitForEvent leaves matched events queued";
  std::lock_guard lock(mu);
  EXPECT_THAT(seen_by_callback, ::testing::ElementsAre("head", "payload_attributes"));
  EXPECT_THAT(feed.accepts(), ::testing::ElementsAre("text/event-stream"));
}

TEST(SseClient, NonMatchingEventsStayQueued) {
  EventFeed feed;
  auto client = SseClient::start(feed.config());
  feed.push("event: a\ndata: 1\n\nevent: b\ndata: 2\n\nevent: a\ndata: 3\n\n");
  auto deadline = Deadline::after(10s);
  EXPECT_EQ(client.waitForEvent("event b", ofType("b"), deadline).data, "2");
  auto rest = client.takeEvents();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].data, "1");
  EXPECT_EQ(rest[1].data, "3");
}

TEST(SseClient, ReconnectsAfterTheServerDropsTheStreamAndSendsLastEventId) {
  EventFeed feed;
  auto client = SseClient::start(feed.config());
  auto deadline = Deadline::after(20s);
  feed.push("id: 7\nevent: head\ndata: before\n\n");
  client.waitForEvent("first head", ofType("head"), deadline);

  feed.endStreams(/*clean=*/false);
  eventually("second stream open", deadline, [&] {
    return Attempt::check(client.connections() >= 2 && client.connected(),
                          fmt::format("{} streams, last error: {}", client.connections(), client.lastError()));
  });
  feed.push("id: 8\nevent: head\ndata: after\n\n");
  EXPECT_EQ(client.waitForEvent("head after reconnect", ofType("head"), deadline).data, "after");
  EXPECT_THAT(client.lastError(), HasSubstr(feed.baseUrl() + "/events"));

  feed.endStreams(/*clean=*/true);
  eventually("third stream open", deadline, [&] {
    return Attempt::check(client.connections() >= 3 && client.connected(),
                          fmt::format("{} streams, last error: {}", client.connections(), client.lastError()));
  });
  EXPECT_THAT(client.lastError(), HasSubstr("the server ended the stream"));
  auto ids = feed.lastEventIds();
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], "(none)");
  EXPECT_EQ(ids[1], "7");
  EXPECT_EQ(ids[2], "8");
}

TEST(SseClient, DestructionWhileConnectedReturnsPromptly) {
  EventFeed feed;
  std::optional<SseClient> client = SseClient::start(feed.config());
  ASSERT_TRUE(client->connected());
  // Not a synchronisation: the stream must be idle for a while, past curl's own short
  // timers after connecting (happy eyeballs, 200 ms), so that its thread sits in the poll.
  std::this_thread::sleep_for(500ms);
  auto start = Clock::now();
  client.reset();
  // A bound for a hang, not a speed check: the stream is idle, so without the wakeup the
  // stream thread would sit in curl's 5 s poll.
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(SseClient, StartFailsAtOnceOnAnHttpErrorStatus) {
  EventFeed feed;
  auto config = feed.config("/missing");
  config.start_timeout = 30s;
  auto start = Clock::now();
  try {
    SseClient::start(config);
    FAIL() << "start() accepted a 404";
  } catch (const SseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("SSE GET " + feed.baseUrl() + "/missing: HTTP 404"));
    EXPECT_THAT(e.what(), HasSubstr("no such topic"));
  }
  EXPECT_LT(Clock::now() - start, 30s) << "start() waited for its timeout although the status was final";
}

TEST(SseClient, StartTimesOutWhenNobodyListensWithoutShowingThePassword) {
  auto unused = reservePort();
  auto base = fmt::format("http://127.0.0.1:{}", unused.port());
  try {
    SseClient::start({.http = {.base_url = base, .basic_auth = BasicAuth{"u", "sse-pass-S3CRET"}},
                      .target = "/eth/v1/events?topics=head",
                      .start_timeout = 500ms,
                      .min_backoff = 20ms});
    FAIL() << "start() succeeded without a server";
  } catch (const SseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no stream within 500ms"));
    EXPECT_THAT(e.what(), HasSubstr(base + "/eth/v1/events?topics=head"));
    EXPECT_THAT(e.what(), HasSubstr("curl error 7"));
    EXPECT_THAT(e.what(), Not(HasSubstr("S3CRET")));
  }
}

TEST(SseClient, BadConfigurationIsRejectedBeforeAnyThreadStarts) {
  EXPECT_THROW(SseClient::start({.target = "/eth/v1/events"}), std::invalid_argument);
  EXPECT_THROW(SseClient::start({.http = {.base_url = "http://127.0.0.1:1", .default_headers = {{"X-Bad", "a\r\nb"}}},
                                 .target = "/events"}),
               std::invalid_argument);
}

TEST(SseClient, WaitForEventTimeoutNamesWhatAndTheLastEvent) {
  EventFeed feed;
  auto client = SseClient::start(feed.config());
  feed.push("event: head\ndata: {\"slot\":\"3\"}\n\n");
  client.waitForEvent("any head", ofType("head"), Deadline::after(10s));
  feed.push("event: head\ndata: {\"slot\":\"4\"}\n\n");
  try {
    client.waitForEvent("finalized_checkpoint event", ofType("finalized_checkpoint"), Deadline::after(500ms));
    FAIL() << "waitForEvent returned without a matching event";
  } catch (const WaitTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr("finalized_checkpoint event: timed out after 500ms"));
    EXPECT_THAT(e.what(), HasSubstr("last event 'head'"));
    EXPECT_THAT(e.what(), HasSubstr("slot"));
  }
}

}  // namespace
}  // namespace e2e
