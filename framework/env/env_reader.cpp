#include "framework/env/env_reader.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace e2e {

using json = nlohmann::ordered_json;

namespace {

std::string typeOf(const json& v) {
  if (v.is_number_float()) return fmt::format("number {}", v.dump());
  if (v.is_string()) return fmt::format("string \"{}\"", v.get_ref<const std::string&>());
  return v.type_name();
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

EnvReader::EnvReader(EnvDocument document, Redactor& redactor)
    : doc_(std::move(document)), redactor_(&redactor) {}

json EnvReader::redactedCopy() const {
  json copy = doc_.value;
  for (const auto& p : secret_pointers_) {
    json::json_pointer ptr(p);
    if (copy.contains(ptr) && copy[ptr].is_string() && !copy[ptr].get_ref<const std::string&>().empty()) {
      copy[ptr] = std::string(Redactor::kMask);
    }
  }
  return copy;
}

EnvObject::EnvObject(EnvReader* reader, const json* value, std::string pointer)
    : reader_(reader), value_(value), pointer_(std::move(pointer)) {}

EnvObject EnvObject::checked(EnvReader* reader, const json* value, std::string pointer) {
  if (!value->is_object()) {
    throw EnvFileError::atPointer(reader->doc_.file, pointer, "expected an object, got " + typeOf(*value));
  }
  return EnvObject(reader, value, std::move(pointer));
}

void EnvObject::fail(std::string_view key, std::string problem) const {
  throw EnvFileError::atPointer(file(), key.empty() ? pointer_ : pointerTo(key), std::move(problem));
}

bool EnvObject::has(std::string_view key) const { return value_->contains(key); }

const json* EnvObject::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  auto it = value_->find(key);
  return it == value_->end() ? nullptr : &*it;
}

const json& EnvObject::require(std::string_view key) {
  const json* v = find(key);
  if (v == nullptr) fail(key, "missing (required)");
  return *v;
}

bool EnvObject::fromVariable(std::string_view key) const {
  return reader_->doc_.expanded_pointers.count(pointerTo(key)) > 0;
}

void EnvObject::finish() const {
  for (const auto& item : value_->items()) {
    // A named copy, not a structured binding: clang 14 (the fuzz build) cannot capture those.
    const std::string& key = item.key();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::vector<std::string> expected = known_;
    std::sort(expected.begin(), expected.end());
    std::string problem = fmt::format("unknown key; expected one of: {}", fmt::join(expected, ", "));
    auto best = std::min_element(expected.begin(), expected.end(), [&](const auto& a, const auto& b) {
      return editDistance(key, a) < editDistance(key, b);
    });
    // Suggest only a near miss: a typo, not a different short word.
    if (best != expected.end() && editDistance(key, *best) * 3 <= key.size()) problem += fmt::format(" (did you mean {}?)", *best);
    fail(key, problem);
  }
}

std::string EnvObject::stringValue(std::string_view key, const json& v) const {
  if (!v.is_string()) fail(key, "expected a string, got " + typeOf(v));
  return v.get<std::string>();
}

std::string EnvObject::string(std::string_view key) { return stringValue(key, require(key)); }

std::string EnvObject::string(std::string_view key, std::string fallback) {
  const json* v = find(key);
  return v == nullptr ? fallback : stringValue(key, *v);
}

std::string EnvObject::secretString(std::string_view key) {
  std::string value = string(key);
  reader_->redactor_->registerSecret(value);
  reader_->secret_pointers_.push_back(pointerTo(key));
  return value;
}

std::string EnvObject::secretString(std::string_view key, std::string fallback) {
  std::string value = string(key, std::move(fallback));
  reader_->redactor_->registerSecret(value);
  if (has(key)) reader_->secret_pointers_.push_back(pointerTo(key));
  return value;
}

std::string EnvObject::urlValue(std::string_view key, std::string v) const {
  static const std::vector<std::string_view> kSchemes = {"http://", "https://", "ws://", "wss://"};
  auto scheme = std::find_if(kSchemes.begin(), kSchemes.end(), [&](std::string_view s) { return v.rfind(s, 0) == 0; });
  if (scheme == kSchemes.end()) {
    fail(key, fmt::format("expected an http://, https://, ws:// or wss:// URL, got \"{}\"", v));
  }
  std::string_view rest = std::string_view(v).substr(scheme->size());
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') fail(key, fmt::format("URL \"{}\" has no host", v));
  return v;
}

std::string EnvObject::url(std::string_view key) { return urlValue(key, string(key)); }

std::string EnvObject::url(std::string_view key, std::string fallback) {
  const json* v = find(key);
  if (v == nullptr) return fallback;
  std::string s = stringValue(key, *v);
  // An empty value (e.g. from ${VAR:-}) means "not given", like an absent key.
  return s.empty() ? fallback : urlValue(key, std::move(s));
}

std::int64_t EnvObject::integerValue(std::string_view key, const json& v, IntRange range) const {
  std::int64_t n = 0;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(range.max)) {
      fail(key, fmt::format("{} is above the maximum {}", v.dump(), range.max));
    }
    n = v.get<std::int64_t>();
  } else if (v.is_string() && fromVariable(key)) {
    const std::string& s = v.get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      fail(key, fmt::format("expected an integer, got \"{}\" (from a variable)", s));
    }
  } else {
    fail(key, "expected an integer, got " + typeOf(v));
  }
  if (n < range.min) fail(key, fmt::format("{} is below the minimum {}", n, range.min));
  if (n > range.max) fail(key, fmt::format("{} is above the maximum {}", n, range.max));
  return n;
}

std::int64_t EnvObject::integer(std::string_view key, IntRange range) {
  return integerValue(key, require(key), range);
}

std::int64_t EnvObject::integer(std::string_view key, std::int64_t fallback, IntRange range) {
  const json* v = find(key);
  return v == nullptr ? fallback : integerValue(key, *v, range);
}

bool EnvObject::booleanValue(std::string_view key, const json& v) const {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() && fromVariable(key)) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "true") return true;
    if (s == "false") return false;
    fail(key, fmt::format("expected true or false, got \"{}\" (from a variable)", s));
  }
  fail(key, "expected a boolean, got " + typeOf(v));
}

bool EnvObject::boolean(std::string_view key) { return booleanValue(key, require(key)); }

bool EnvObject::boolean(std::string_view key, bool fallback) {
  const json* v = find(key);
  return v == nullptr ? fallback : booleanValue(key, *v);
}

std::string EnvObject::oneOf(std::string_view key, const std::vector<std::string_view>& choices) {
  std::string s = string(key);
  if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
    fail(key, fmt::format("\"{}\" is not one of: {}", s, fmt::join(choices, ", ")));
  }
  return s;
}

std::string EnvObject::oneOf(std::string_view key, const std::vector<std::string_view>& choices,
                             std::string fallback) {
  if (!has(key)) {
    find(key);
    return fallback;
  }
  return oneOf(key, choices);
}

std::vector<std::string> EnvObject::strings(std::string_view key) {
  const json& v = require(key);
  if (!v.is_array()) fail(key, "expected an array of strings, got " + typeOf(v));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      throw EnvFileError::atPointer(file(), jsonPointerChild(pointerTo(key), std::to_string(i)),
                                    "expected a string, got " + typeOf(v[i]));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::vector<std::string> EnvObject::strings(std::string_view key, std::vector<std::string> fallback) {
  if (!has(key)) {
    find(key);
    return fallback;
  }
  return strings(key);
}

std::vector<std::int64_t> EnvObject::integers(std::string_view key, std::vector<std::int64_t> fallback,
                                              IntRange range) {
  const json* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_array()) fail(key, "expected an array of integers, got " + typeOf(*v));
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& item = (*v)[i];
    const std::string where = jsonPointerChild(pointerTo(key), std::to_string(i));
    if (!item.is_number_integer()) throw EnvFileError::atPointer(file(), where, "expected an integer, got " + typeOf(item));
    const std::int64_t n = item.get<std::int64_t>();
    if (n < range.min || n > range.max) {
      throw EnvFileError::atPointer(file(), where, fmt::format("{} is outside {}..{}", n, range.min, range.max));
    }
    out.push_back(n);
  }
  return out;
}

std::vector<std::string> EnvObject::keys() const {
  std::vector<std::string> out;
  for (const auto& item : value_->items()) out.push_back(item.key());
  return out;
}

}  // namespace e2e
