#include "tools/hub-standin/go_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace bnet::standin {
namespace {

std::string syntaxError(const nlohmann::json::parse_error& e) {
  // Go says e.g. "invalid character 'x' looking for beginning of value"; nlohmann's text
  // names the byte position, which is as useful. Strip its "[json.exception...]" prefix.
  std::string text = e.what();
  auto close = text.find("] ");
  if (close != std::string::npos) text = text.substr(close + 2);
  return "invalid character in JSON: " + text;
}

// A number that does not fit a float64 (nlohmann throws out_of_range 406 "number overflow
// parsing '1e999'"): Go's encoding/json says "cannot unmarshal number 1e999 into Go value of
// type float64". Departure: Go skips a field its struct does not have without converting it,
// so it accepts such a number there; nlohmann cannot hold it, so the stand-in rejects it.
std::string overflowError(const nlohmann::json::out_of_range& e) {
  std::string text = e.what();
  auto open = text.find('\'');
  auto close = open == std::string::npos ? std::string::npos : text.find('\'', open + 1);
  std::string number = close == std::string::npos ? "" : text.substr(open + 1, close - open - 1);
  return fmt::format("json: cannot unmarshal number {} into Go value of type float64", number);
}

bool equalFold(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

GoJsonError typeError(const nlohmann::json& value, std::string_view go_type, std::string_view field,
                      std::string_view field_type) {
  return GoJsonError(fmt::format("json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                                 goKind(value), go_type, field, field_type));
}

}  // namespace

std::string_view goKind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "bool";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::null: return "null";
    default: return "number";
  }
}

nlohmann::json unmarshal(std::string_view body) {
  bool blank = std::all_of(body.begin(), body.end(), [](unsigned char c) { return std::isspace(c); });
  if (blank) throw GoJsonError("unexpected end of JSON input");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw GoJsonError(syntaxError(e));
  } catch (const nlohmann::json::out_of_range& e) {
    throw GoJsonError(overflowError(e));
  }
}

nlohmann::json decodeFirst(std::string_view body) {
  bool blank = std::all_of(body.begin(), body.end(), [](unsigned char c) { return std::isspace(c); });
  if (blank) throw GoJsonError("EOF");
  std::istringstream in{std::string(body)};
  nlohmann::json value;
  try {
    in >> value;
  } catch (const nlohmann::json::parse_error& e) {
    throw GoJsonError(syntaxError(e));
  } catch (const nlohmann::json::out_of_range& e) {
    throw GoJsonError(overflowError(e));
  }
  return value;
}

void requireStruct(const nlohmann::json& value, std::string_view go_type) {
  if (value.is_object() || value.is_null()) return;
  throw GoJsonError(fmt::format("json: cannot unmarshal {} into Go value of type {}", goKind(value), go_type));
}

const nlohmann::json* structField(const nlohmann::json& value, std::string_view field) {
  if (!value.is_object()) return nullptr;
  if (auto it = value.find(std::string(field)); it != value.end()) return it->is_null() ? nullptr : &*it;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (equalFold(it.key(), field)) return it->is_null() ? nullptr : &*it;
  }
  return nullptr;
}

std::optional<std::string> stringField(const nlohmann::json& value, std::string_view go_type,
                                       std::string_view field) {
  const auto* f = structField(value, field);
  if (f == nullptr) return std::nullopt;
  if (!f->is_string()) throw typeError(*f, go_type, field, "string");
  return f->get<std::string>();
}

std::optional<bool> boolField(const nlohmann::json& value, std::string_view go_type, std::string_view field) {
  const auto* f = structField(value, field);
  if (f == nullptr) return std::nullopt;
  if (!f->is_boolean()) throw typeError(*f, go_type, field, "bool");
  return f->get<bool>();
}

std::optional<std::vector<std::string>> stringListField(const nlohmann::json& value, std::string_view go_type,
                                                        std::string_view field) {
  const auto* f = structField(value, field);
  if (f == nullptr) return std::nullopt;
  if (!f->is_array()) throw typeError(*f, go_type, field, "[]string");
  std::vector<std::string> out;
  for (const auto& item : *f) {
    if (item.is_null()) {
      out.emplace_back();
    } else if (!item.is_string()) {
      throw typeError(item, go_type, field, "string");
    } else {
      out.push_back(item.get<std::string>());
    }
  }
  return out;
}

std::string marshal(const nlohmann::ordered_json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Go's encoder escapes these inside strings (they only occur inside strings in JSON text).
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
      out += text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace bnet::standin
