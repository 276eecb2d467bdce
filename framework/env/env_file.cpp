#include "framework/env/env_file.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace e2e {

using json = nlohmann::ordered_json;

EnvFileError::EnvFileError(std::string message, std::string file, std::string pointer, std::string problem)
    : std::runtime_error(std::move(message)),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      problem_(std::move(problem)) {}

EnvFileError EnvFileError::atPointer(std::string file, std::string pointer, std::string problem) {
  std::string shown = pointer.empty() ? "/" : pointer;
  return EnvFileError(fmt::format("{}: {}: {}", file, shown, problem), file, std::move(pointer), problem);
}

EnvFileError EnvFileError::atPosition(std::string file, std::size_t line, std::size_t column, std::string problem) {
  return EnvFileError(fmt::format("{}:{}:{}: {}", file, line, column, problem), file, {}, problem);
}

EnvFileError EnvFileError::inFile(std::string file, std::string problem) {
  return EnvFileError(fmt::format("{}: {}", file, problem), file, {}, problem);
}

std::optional<std::string> processVariable(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

namespace {
std::string unsetProblem(std::string_view name) {
  return fmt::format("environment variable {} is not set (write ${{{}:-default}} to give a default)", name, name);
}
}  // namespace

std::string jsonPointerChild(const std::string& parent, std::string_view token) {
  std::string out = parent;
  out.push_back('/');
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string expandVariables(std::string_view text, const std::string& file, const std::string& pointer,
                            const VariableLookup& lookup, bool* expanded, std::vector<std::string>* unset) {
  auto error = [&](std::string problem) { return EnvFileError::atPointer(file, pointer, std::move(problem)); };
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      throw error(fmt::format("'$' at offset {} must start ${{NAME}}, ${{NAME:-default}} or $$ (a literal '$')", i));
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) throw error(fmt::format("unterminated '${{' at offset {} (no '}}')", i));
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
      if (fallback->find("${") != std::string_view::npos) {
        throw error(fmt::format("'${{{}}}': a default cannot hold another ${{...}}", inner));
      }
    }
    bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char n : name) valid = valid && (std::isalnum(static_cast<unsigned char>(n)) || n == '_');
    if (!valid) {
      throw error(fmt::format("'${{{}}}' is not a variable reference (names are [A-Za-z_][A-Za-z0-9_]*)", inner));
    }
    std::optional<std::string> value = lookup(std::string(name));
    if (fallback && (!value || value->empty())) {
      out.append(*fallback);
    } else if (value) {
      out.append(*value);
    } else if (unset != nullptr) {
      unset->emplace_back(name);
    } else {
      throw error(unsetProblem(name));
    }
    if (expanded != nullptr) *expanded = true;
    i = close + 1;
  }
  return out;
}

namespace {

// Tracks where the parser is, to name duplicate keys by their JSON pointer.
class DuplicateKeyCheck {
 public:
  explicit DuplicateKeyCheck(const std::string& file) : file_(file) {}

  bool operator()(int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        frames_.push_back({.is_object = true});
        break;
      case json::parse_event_t::array_start:
        frames_.push_back({.is_object = false});
        break;
      case json::parse_event_t::key: {
        auto& top = frames_.back();
        std::string key = parsed.get<std::string>();
        if (!top.keys.insert(key).second) {
          throw EnvFileError::atPointer(file_, jsonPointerChild(parentPointer(), key),
                                        "duplicate key (JSON keeps only one of them)");
        }
        top.current_key = std::move(key);
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        advance();
        break;
      case json::parse_event_t::value:
        advance();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object = true;
    std::set<std::string> keys;
    std::string current_key;
    std::size_t index = 0;
  };
  void advance() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }
  std::string parentPointer() const {
    std::string p;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      const auto& f = frames_[i];
      p = jsonPointerChild(p, f.is_object ? f.current_key : std::to_string(f.index));
    }
    return p;
  }
  const std::string& file_;
  std::vector<Frame> frames_;
};

struct Unset {
  std::string name;
  std::string pointer;
};

void expandAll(json& value, const std::string& pointer, EnvDocument& doc, const VariableLookup& lookup,
               std::vector<Unset>& unset) {
  if (value.is_string()) {
    bool expanded = false;
    std::vector<std::string> names;
    value = expandVariables(value.get_ref<const std::string&>(), doc.file, pointer, lookup, &expanded, &names);
    if (expanded) doc.expanded_pointers.insert(pointer);
    for (auto& n : names) unset.push_back({std::move(n), pointer});
  } else if (value.is_object()) {
    for (auto& [key, child] : value.items()) expandAll(child, jsonPointerChild(pointer, key), doc, lookup, unset);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      expandAll(value[i], jsonPointerChild(pointer, std::to_string(i)), doc, lookup, unset);
    }
  }
}

}  // namespace

EnvDocument parseEnvText(std::string_view text, std::string file, const VariableLookup& lookup) {
  EnvDocument doc;
  doc.file = std::move(file);
  try {
    DuplicateKeyCheck check(doc.file);
    doc.value = json::parse(text.begin(), text.end(), std::ref(check));
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset of the character that stopped the parser.
    std::size_t byte = std::min<std::size_t>(e.byte, text.size() + 1);
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    std::size_t column = byte > line_start ? byte - line_start : 1;
    std::string detail = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line L, column C: ".
    if (auto at = detail.find("column "); at != std::string::npos) {
      if (auto colon = detail.find(": ", at); colon != std::string::npos) detail = detail.substr(colon + 2);
    }
    throw EnvFileError::atPosition(doc.file, line, column, "malformed JSON: " + detail);
  } catch (const json::out_of_range& e) {
    // A number too large for a double (1e999): nlohmann gives no position, only the number.
    std::string detail = e.what();
    if (auto close = detail.find("] "); close != std::string::npos) detail = detail.substr(close + 2);
    throw EnvFileError::inFile(doc.file, "malformed JSON: " + detail);
  }
  std::vector<Unset> unset;
  expandAll(doc.value, "", doc, lookup, unset);
  if (!unset.empty()) {
    std::string problem = unsetProblem(unset[0].name);
    if (unset.size() > 1) {
      std::vector<std::string> others;
      for (std::size_t i = 1; i < unset.size(); ++i) others.push_back(fmt::format("{} at {}", unset[i].name, unset[i].pointer));
      problem += fmt::format("; also not set: {}", fmt::join(others, ", "));
    }
    throw EnvFileError::atPointer(doc.file, unset[0].pointer, problem);
  }
  return doc;
}

EnvDocument loadEnvFile(const std::filesystem::path& path, const VariableLookup& lookup) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    bool exists = std::filesystem::exists(path, ec);
    throw EnvFileError::inFile(path.string(), exists ? "cannot be read" : "no such file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseEnvText(text.str(), path.string(), lookup);
}

}  // namespace e2e
