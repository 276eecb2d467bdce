#pragma once
// Decoding and encoding JSON the way builder-hub's Go handlers do (encoding/json):
// struct fields match exactly, then case-insensitively; null leaves a field unset; a wrong
// type is an error naming the Go struct field; output escapes <, >, & and U+2028/2029 and
// replaces invalid UTF-8. Error texts follow Go's where the stand-in's callers see them.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bnet::standin {

// A decode failure; what() is the Go-style text that goes into a 400 body's "error".
class GoJsonError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// json.Unmarshal: the whole body must be one JSON value ("unexpected end of JSON input"
// for an empty body).
nlohmann::json unmarshal(std::string_view body);
// json.NewDecoder(r.Body).Decode: the first JSON value; what follows it is ignored ("EOF"
// for an empty body).
nlohmann::json decodeFirst(std::string_view body);

// Reads one field of a Go struct from an object (exact name, then case-insensitive).
// nullopt when absent or null. Throws GoJsonError on a type mismatch, e.g.
// "json: cannot unmarshal number into Go struct field Builder.name of type string".
// `value` must be an object or null; anything else throws "cannot unmarshal X into Go value".
const nlohmann::json* structField(const nlohmann::json& value, std::string_view field);
void requireStruct(const nlohmann::json& value, std::string_view go_type);
std::optional<std::string> stringField(const nlohmann::json& value, std::string_view go_type,
                                       std::string_view field);
std::optional<bool> boolField(const nlohmann::json& value, std::string_view go_type, std::string_view field);
std::optional<std::vector<std::string>> stringListField(const nlohmann::json& value, std::string_view go_type,
                                                        std::string_view field);
// "string", "number", "object", "array", "bool" as Go's errors name JSON kinds.
std::string_view goKind(const nlohmann::json& value);

// json.Marshal output for a value (ordered_json keeps struct field order).
std::string marshal(const nlohmann::ordered_json& value);

}  // namespace bnet::standin
