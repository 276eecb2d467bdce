#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace e2e {

// A problem in an environment file. what() names the file and the place:
//   "environments/x.json: /hub/admin_url: expected a string, got number"
//   "environments/x.json:3:14: malformed JSON: syntax error while parsing object key ..."
class EnvFileError : public std::runtime_error {
 public:
  static EnvFileError atPointer(std::string file, std::string pointer, std::string problem);
  static EnvFileError atPosition(std::string file, std::size_t line, std::size_t column, std::string problem);
  static EnvFileError inFile(std::string file, std::string problem);

  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }  // empty for position errors
  const std::string& problem() const { return problem_; }

 private:
  EnvFileError(std::string message, std::string file, std::string pointer, std::string problem);
  std::string file_;
  std::string pointer_;
  std::string problem_;
};

// Looks a variable up; nullopt when it is not set.
using VariableLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment (getenv).
std::optional<std::string> processVariable(const std::string& name);

// A parsed environment file with every string value expanded.
struct EnvDocument {
  std::string file;                         // as messages name it
  nlohmann::ordered_json value;                     // after expansion
  std::set<std::string> expanded_pointers;  // string values that held a ${...}
};

// Reads, parses and expands a file. Throws EnvFileError: unreadable file, malformed JSON
// (with line and column), a duplicate key, an unset variable without a default (the first
// in file order, with the names of any others).
EnvDocument loadEnvFile(const std::filesystem::path& path, const VariableLookup& lookup = processVariable);
// The same for text already in memory; `file` is the name messages use.
EnvDocument parseEnvText(std::string_view text, std::string file,
                         const VariableLookup& lookup = processVariable);

// Expands one string value: ${NAME} (set, may be empty), ${NAME:-default} (default when
// NAME is unset or empty, as in sh; the default is literal text), $$ for a literal '$'.
// Any other '$' is an error, so a forgotten brace does not pass silently. Throws
// EnvFileError naming file, pointer and variable. *expanded is set when a ${...} was seen.
// With `unset`, an unset variable is appended there (and expands to "") instead of thrown.
std::string expandVariables(std::string_view text, const std::string& file, const std::string& pointer,
                            const VariableLookup& lookup, bool* expanded = nullptr,
                            std::vector<std::string>* unset = nullptr);

// "/a/b~1c" for the tokens a, b/c; "/" for the root (as messages show it).
std::string jsonPointerChild(const std::string& parent, std::string_view token);

}  // namespace e2e
