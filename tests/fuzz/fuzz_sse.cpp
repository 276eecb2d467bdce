// The text/event-stream parser: the input fed whole, then again in chunks whose sizes come
// from the input itself (so line ends split across chunks are reached), with a small event
// limit. Allowed error: SseParseError (over the limit). Both runs must agree when no limit
// was hit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "framework/http/sse_parser.hpp"

namespace {

std::vector<e2e::SseEvent> feedAll(std::string_view text, std::size_t max_event_bytes, bool chunked, bool& limited) {
  e2e::SseParser parser(max_event_bytes);
  std::vector<e2e::SseEvent> events;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t n = text.size() - at;
    if (chunked) n = std::min<std::size_t>(n, 1 + static_cast<unsigned char>(text[at]) % 7);
    try {
      for (auto& e : parser.feed(text.substr(at, n))) events.push_back(std::move(e));
    } catch (const e2e::SseParseError&) {
      limited = true;
    }
    at += n;
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool limited = false;
  auto whole = feedAll(text, 1 << 20, false, limited);
  auto chunked = feedAll(text, 1 << 20, true, limited);
  if (!limited && (whole.size() != chunked.size())) std::abort();  // chunking must not change the events
  for (std::size_t i = 0; !limited && i < whole.size(); ++i) {
    if (whole[i].type != chunked[i].type || whole[i].data != chunked[i].data || whole[i].id != chunked[i].id) {
      std::abort();
    }
  }
  bool small_limited = false;
  feedAll(text, 64, true, small_limited);
  return 0;
}
