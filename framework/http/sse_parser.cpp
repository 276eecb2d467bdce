#include "framework/http/sse_parser.hpp"

#include <fmt/format.h>

namespace e2e {
namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  while (!bytes.empty()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    auto end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      line_.append(bytes);
      checkLimit();
      break;
    }
    line_.append(bytes.substr(0, end));
    checkLimit();
    after_cr_ = bytes[end] == '\r';
    bytes.remove_prefix(end + 1);
    processLine(line_, out);
    line_.clear();
  }
  return out;
}

void SseParser::startStream() {
  line_.clear();
  data_.clear();
  type_.clear();
  after_cr_ = false;
  first_line_ = true;
}

void SseParser::checkLimit() {
  if (line_.size() + data_.size() <= max_event_bytes_) return;
  auto size = line_.size() + data_.size();
  startStream();
  first_line_ = false;
  throw SseParseError(fmt::format("SSE event exceeds {} bytes (at least {} buffered)", max_event_bytes_, size));
}

void SseParser::processLine(std::string_view line, std::vector<SseEvent>& out) {
  if (first_line_) {
    first_line_ = false;
    if (line.starts_with(kBom)) line.remove_prefix(kBom.size());
  }
  if (line.empty()) {
    dispatch(out);
    return;
  }
  if (line.front() == ':') return;  // comment
  std::string_view field = line, value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  if (field == "event") {
    type_ = value;
  } else if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    checkLimit();
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = value;
  } else if (field == "retry") {
    if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) return;
    long long ms = 0;
    for (char c : value) {
      ms = ms * 10 + (c - '0');
      if (ms > 24LL * 3600 * 1000) break;  // more than a day: keep a sane number
    }
    retry_ = std::chrono::milliseconds(ms);
  }
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // the last "\n"
  out.push_back(SseEvent{.type = type_.empty() ? "message" : std::move(type_), .data = std::move(data_),
                         .id = last_event_id_});
  data_.clear();
  type_.clear();
}

}  // namespace e2e
