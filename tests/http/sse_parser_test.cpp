#include "framework/http/sse_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace std::chrono_literals;
using namespace std::string_view_literals;

namespace e2e {

bool operator==(const SseEvent& a, const SseEvent& b) { return a.type == b.type && a.data == b.data && a.id == b.id; }
void PrintTo(const SseEvent& e, std::ostream* os) { *os << "{type '" << e.type << "', data '" << e.data << "', id '" << e.id << "'}"; }

namespace {

std::vector<SseEvent> parseAll(std::string_view stream) {
  SseParser parser;
  return parser.feed(stream);
}

TEST(SseParser, EventWithTypeIdAndData) {
  auto events = parseAll("event: head\nid: 42\ndata: {\"slot\":\"7\"}\n\n");
  EXPECT_THAT(events, ::testing::ElementsAre(SseEvent{"head", "{\"slot\":\"7\"}", "42"}));
}

TEST(SseParser, DataLinesAreJoinedWithNewline) {
  EXPECT_THAT(parseAll("data: line1\ndata: line2\ndata:\ndata:  two spaces\n\n"),
              ::testing::ElementsAre(SseEvent{"message", "line1\nline2\n\n two spaces", ""}));
}

TEST(SseParser, LineEndingsCrLfLfAndCrAreAllAccepted) {
  std::vector<SseEvent> expected{{"a", "1", ""}, {"b", "2", ""}, {"c", "3", ""}};
  EXPECT_EQ(parseAll("event: a\r\ndata: 1\r\n\r\nevent: b\ndata: 2\n\nevent: c\rdata: 3\r\r"), expected);
}

TEST(SseParser, CommentsAndUnknownFieldsAreIgnored) {
  EXPECT_THAT(parseAll(": keep-alive\n\n:another\ndata: x\nfoo: bar\n: mid-event comment\n\n"),
              ::testing::ElementsAre(SseEvent{"message", "x", ""}));
}

TEST(SseParser, FieldWithoutColonHasAnEmptyValue) {
  EXPECT_THAT(parseAll("data\n\n"), ::testing::ElementsAre(SseEvent{"message", "", ""}));
  EXPECT_THAT(parseAll("data:value:with:colons\n\n"), ::testing::ElementsAre(SseEvent{"message", "value:with:colons", ""}));
}

TEST(SseParser, EventWithoutDataIsNotDispatchedAndItsTypeIsForgotten) {
  EXPECT_THAT(parseAll("event: lonely\n\ndata: d\n\n"), ::testing::ElementsAre(SseEvent{"message", "d", ""}));
}

TEST(SseParser, LastEventIdPersistsUntilChanged) {
  SseParser parser;
  auto events = parser.feed("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\nid: x\0y\ndata: e\n\n"sv);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].id, "1");
  EXPECT_EQ(events[1].id, "1");
  EXPECT_EQ(events[2].id, "") << "an empty id field resets the last event id";
  EXPECT_EQ(events[3].id, "2");
  EXPECT_EQ(events[4].id, "2") << "an id containing NUL must be ignored";
  EXPECT_EQ(parser.lastEventId(), "2");
}

TEST(SseParser, RetryAcceptsOnlyDigits) {
  SseParser parser;
  parser.feed("retry: 2500\n\n");
  EXPECT_EQ(parser.retry(), 2500ms);
  parser.feed("retry: 10s\nretry: -1\nretry:\n\n");
  EXPECT_EQ(parser.retry(), 2500ms);
}

TEST(SseParser, LeadingBomIsSkippedOnlyAtTheStart) {
  EXPECT_THAT(parseAll("\xEF\xBB\xBF" "data: a\n\n"), ::testing::ElementsAre(SseEvent{"message", "a", ""}));
  // A BOM later is part of a line: here it makes an unknown field name.
  EXPECT_THAT(parseAll("data: a\n\n\xEF\xBB\xBF" "data: b\n\n"), ::testing::ElementsAre(SseEvent{"message", "a", ""}));
}

TEST(SseParser, UnterminatedFinalEventIsNotDispatched) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: partial\n").empty());
  EXPECT_TRUE(parser.feed("data: more").empty());
  parser.startStream();  // the connection dropped
  EXPECT_THAT(parser.feed("data: fresh\n\n"), ::testing::ElementsAre(SseEvent{"message", "fresh", ""}));
}

TEST(SseParser, StartStreamKeepsTheLastEventId) {
  SseParser parser;
  parser.feed("id: 9\ndata: a\n\ndata: half");
  parser.startStream();
  EXPECT_EQ(parser.lastEventId(), "9");
  EXPECT_THAT(parser.feed("data: b\n\n"), ::testing::ElementsAre(SseEvent{"message", "b", "9"}));
}

// Any split of the stream into chunks gives the same events, including a CR and its LF in
// different chunks.
TEST(SseParser, ChunkBoundariesDoNotMatter) {
  const std::string stream =
      "\xEF\xBB\xBF: hello\r\nevent: head\r\nid: 5\r\ndata: one\r\ndata: two\r\n\r\n"
      "data: cr only\r\rdata: lf\n\nretry: 100\nevent: x\ndata\n\n";
  auto whole = parseAll(stream);
  ASSERT_EQ(whole.size(), 4u);
  EXPECT_EQ(whole[0], (SseEvent{"head", "one\ntwo", "5"}));
  EXPECT_EQ(whole[3], (SseEvent{"x", "", "5"}));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    auto events = parser.feed(std::string_view(stream).substr(0, cut));
    auto rest = parser.feed(std::string_view(stream).substr(cut));
    events.insert(events.end(), rest.begin(), rest.end());
    EXPECT_EQ(events, whole) << "split at byte " << cut;
  }
  SseParser bytewise;
  std::vector<SseEvent> events;
  for (char c : stream) {
    auto got = bytewise.feed(std::string_view(&c, 1));
    events.insert(events.end(), got.begin(), got.end());
  }
  EXPECT_EQ(events, whole);
}

TEST(SseParser, OversizedEventThrowsAndTheParserRecovers) {
  SseParser parser(64);
  EXPECT_THROW(parser.feed("data: " + std::string(100, 'x') + "\n\n"), SseParseError);
  EXPECT_THROW(
      {
        parser.feed("data: " + std::string(40, 'y') + "\n");
        parser.feed("data: " + std::string(40, 'z') + "\n\n");
      },
      SseParseError);
  // The rest of the oversized line is just bytes of a line that is never dispatched alone.
  parser.startStream();
  EXPECT_THAT(parser.feed("data: ok\n\n"), ::testing::ElementsAre(SseEvent{"message", "ok", ""}));
}

}  // namespace
}  // namespace e2e
