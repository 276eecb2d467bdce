#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/artifacts/redactor.hpp"
#include "framework/env/env_file.hpp"

namespace e2e {

class EnvObject;

// Bounds for EnvObject::integer.
struct IntRange {
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// Reads an EnvDocument into typed values. Every error names the file and JSON pointer:
//   "environments/x.json: /hub/admin_url: expected a string, got number"
//   "environments/x.json: /hub/admin_ulr: unknown key; expected one of: admin_url, ..."
// Secret values (secretString) are registered with the Redactor and masked in redactedCopy().
class EnvReader {
 public:
  explicit EnvReader(EnvDocument document, Redactor& redactor = Redactor::instance());

  // Reads the top-level object with read(EnvObject&), then rejects keys read did not ask for.
  template <class F>
  auto read(F&& read_fn) -> std::invoke_result_t<F, EnvObject&>;

  // The expanded document with every secret read so far replaced by "[REDACTED]".
  nlohmann::ordered_json redactedCopy() const;
  const EnvDocument& document() const { return doc_; }
  const std::string& file() const { return doc_.file; }

 private:
  friend class EnvObject;
  EnvDocument doc_;
  Redactor* redactor_;
  std::vector<std::string> secret_pointers_;
};

// One JSON object of the document. Each accessor marks its key as known; once the read
// function returns, a key nobody asked for is an error (with a "did you mean" when close).
// A one-argument accessor requires the key; the two-argument form gives a default.
class EnvObject {
 public:
  std::string string(std::string_view key);
  std::string string(std::string_view key, std::string fallback);
  // A string that must not appear in any log: registered with the Redactor.
  std::string secretString(std::string_view key);
  std::string secretString(std::string_view key, std::string fallback);
  // An http(s)/ws(s) URL with a host; empty is allowed only through the fallback.
  std::string url(std::string_view key);
  std::string url(std::string_view key, std::string fallback);
  // A JSON integer, or a string that came from ${VAR} and holds one.
  std::int64_t integer(std::string_view key, IntRange range = {});
  std::int64_t integer(std::string_view key, std::int64_t fallback, IntRange range = {});
  // A JSON boolean, or "true"/"false" from ${VAR}.
  bool boolean(std::string_view key);
  bool boolean(std::string_view key, bool fallback);
  // One of the listed words.
  std::string oneOf(std::string_view key, const std::vector<std::string_view>& choices);
  std::string oneOf(std::string_view key, const std::vector<std::string_view>& choices, std::string fallback);
  // An array of strings.
  std::vector<std::string> strings(std::string_view key);
  std::vector<std::string> strings(std::string_view key, std::vector<std::string> fallback);
  // An array of integers (each within range).
  std::vector<std::int64_t> integers(std::string_view key, std::vector<std::int64_t> fallback, IntRange range = {});
  // This object's keys in file order, for objects keyed by name (read each with object()).
  std::vector<std::string> keys() const;

  // A nested object read with read(EnvObject&); required, or read as {} when absent.
  template <class F>
  auto object(std::string_view key, F&& read_fn) -> std::invoke_result_t<F, EnvObject&>;
  template <class F>
  auto optionalObject(std::string_view key, F&& read_fn) -> std::invoke_result_t<F, EnvObject&>;
  // An array of objects, each read with read(EnvObject&); absent means empty.
  template <class F>
  auto objects(std::string_view key, F&& read_fn) -> std::vector<std::invoke_result_t<F, EnvObject&>>;

  bool has(std::string_view key) const;
  const std::string& pointer() const { return pointer_; }
  std::string pointerTo(std::string_view key) const { return jsonPointerChild(pointer_, key); }
  const std::string& file() const { return reader_->doc_.file; }
  // Throws EnvFileError at this object's key (for checks across fields, e.g. per mode).
  [[noreturn]] void fail(std::string_view key, std::string problem) const;

 private:
  friend class EnvReader;
  EnvObject(EnvReader* reader, const nlohmann::ordered_json* value, std::string pointer);
  const nlohmann::ordered_json* find(std::string_view key);  // marks known; nullptr if absent
  const nlohmann::ordered_json& require(std::string_view key);
  std::string stringValue(std::string_view key, const nlohmann::ordered_json& v) const;
  std::int64_t integerValue(std::string_view key, const nlohmann::ordered_json& v, IntRange range) const;
  bool booleanValue(std::string_view key, const nlohmann::ordered_json& v) const;
  std::string urlValue(std::string_view key, std::string v) const;
  bool fromVariable(std::string_view key) const;
  void finish() const;
  static EnvObject checked(EnvReader* reader, const nlohmann::ordered_json* value, std::string pointer);

  EnvReader* reader_;
  const nlohmann::ordered_json* value_;
  std::string pointer_;
  std::vector<std::string> known_;
};

template <class F>
auto EnvReader::read(F&& read_fn) -> std::invoke_result_t<F, EnvObject&> {
  EnvObject root = EnvObject::checked(this, &doc_.value, "");
  auto result = read_fn(root);
  root.finish();
  return result;
}

template <class F>
auto EnvObject::object(std::string_view key, F&& read_fn) -> std::invoke_result_t<F, EnvObject&> {
  const nlohmann::ordered_json& v = require(key);
  EnvObject child = checked(reader_, &v, pointerTo(key));
  auto result = read_fn(child);
  child.finish();
  return result;
}

template <class F>
auto EnvObject::optionalObject(std::string_view key, F&& read_fn) -> std::invoke_result_t<F, EnvObject&> {
  static const nlohmann::ordered_json kEmpty = nlohmann::ordered_json::object();
  const nlohmann::ordered_json* v = find(key);
  EnvObject child = checked(reader_, v != nullptr ? v : &kEmpty, pointerTo(key));
  auto result = read_fn(child);
  child.finish();
  return result;
}

template <class F>
auto EnvObject::objects(std::string_view key, F&& read_fn) -> std::vector<std::invoke_result_t<F, EnvObject&>> {
  std::vector<std::invoke_result_t<F, EnvObject&>> out;
  const nlohmann::ordered_json* v = find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) fail(key, std::string("expected an array, got ") + v->type_name());
  for (std::size_t i = 0; i < v->size(); ++i) {
    EnvObject child = checked(reader_, &(*v)[i], jsonPointerChild(pointerTo(key), std::to_string(i)));
    out.push_back(read_fn(child));
    child.finish();
  }
  return out;
}

}  // namespace e2e
