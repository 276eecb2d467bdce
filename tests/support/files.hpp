#pragma once
// Whole-file reads for tests (a missing file reads as empty: tests assert on the content).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace e2e::testing {

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace e2e::testing
