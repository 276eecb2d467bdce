#include "framework/env/selection.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/fs/fs.hpp"

#ifndef BNET_E2E_INSTALLED_ENV_DIR
#define BNET_E2E_INSTALLED_ENV_DIR ""
#endif

namespace e2e {
namespace fs = std::filesystem;

namespace {
std::mutex g_mu;
std::optional<std::string> g_flag;
}  // namespace

std::optional<std::string> takeEnvFlag(int& argc, char** argv) {
  std::optional<std::string> value;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--env") {
      if (i + 1 >= argc || std::string_view(argv[i + 1]).empty()) {
        throw std::invalid_argument("--env needs a value: an environment NAME or a PATH to a .json file");
      }
      value = argv[++i];
      continue;
    }
    if (arg.rfind("--env=", 0) == 0) {
      if (arg.size() == 6) {
        throw std::invalid_argument("--env= needs a value: an environment NAME or a PATH to a .json file");
      }
      value = std::string(arg.substr(6));
      continue;
    }
    argv[out++] = argv[i];
  }
  if (out < argc) argv[out] = nullptr;
  argc = out;
  return value;
}

void consumeEnvFlag(int& argc, char** argv) {
  auto value = takeEnvFlag(argc, argv);
  std::lock_guard lock(g_mu);
  if (value) g_flag = std::move(value);
}

EnvSelection selectedEnvironment() {
  {
    std::lock_guard lock(g_mu);
    if (g_flag) return {*g_flag, "--env"};
  }
  const char* env = std::getenv("BNET_E2E_ENV");
  if (env != nullptr && *env != '\0') return {env, "BNET_E2E_ENV"};
  return {std::string(kDefaultEnvironment), "default"};
}

fs::path builtinEnvironmentsDir() {
  std::error_code ec;
  if (const fs::path tree = projectSourceDir(); !tree.empty()) {
    if (fs::is_directory(tree / "environments", ec)) return tree / "environments";
  }
  return BNET_E2E_INSTALLED_ENV_DIR;
}

fs::path environmentsDir() {
  const char* dir = std::getenv("BNET_E2E_ENV_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return builtinEnvironmentsDir();
}

fs::path resolveEnvironmentPath(std::string_view name_or_path) {
  if (name_or_path.empty()) throw std::invalid_argument("empty environment name");
  std::string value(name_or_path);
  bool is_path = value.find('/') != std::string::npos ||
                 (value.size() >= 5 && value.compare(value.size() - 5, 5, ".json") == 0);
  std::error_code ec;
  if (is_path) {
    if (!fs::is_regular_file(value, ec)) {
      throw std::invalid_argument(fmt::format("environment file {} does not exist", value));
    }
    return value;
  }
  fs::path dir = environmentsDir();
  fs::path file = dir / (value + ".json");
  if (fs::is_regular_file(file, ec)) return file;
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") found.push_back(entry.path().stem().string());
  }
  std::sort(found.begin(), found.end());
  throw std::invalid_argument(fmt::format(
      "environment '{}' not found: {} does not exist (environments in {}: {}; set BNET_E2E_ENV_DIR "
      "or pass a path)",
      value, file.string(), dir.string(), found.empty() ? std::string("none") : fmt::format("{}", fmt::join(found, ", "))));
}

bool skipsAllowed() {
  const char* value = std::getenv(std::string(kAllowSkipsVariable).c_str());
  if (value == nullptr || *value == '\0' || std::string_view(value) == "0") return false;
  if (std::string_view(value) == "1") return true;
  throw std::invalid_argument(fmt::format("{}='{}': use 1 (skips allowed) or 0", kAllowSkipsVariable, value));
}

}  // namespace e2e
