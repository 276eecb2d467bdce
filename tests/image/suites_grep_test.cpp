// No suite names a unit, a log line or a persistent path: they come from the image profile.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "framework/fs/fs.hpp"

namespace {

namespace fs = std::filesystem;

TEST(Suites, NameNoUnitLogLineOrPersistentPath) {
  const fs::path suites = e2e::inSourceTree("suites");
  const std::regex forbidden("config-watchdog|rbuilder-operator|render-config|persistent-setup|/var/lib/persistent|Fetching configuration");
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(suites)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::smatch m;
      if (std::regex_search(line, m, forbidden)) {
        ADD_FAILURE() << entry.path().string() << ":" << n << ": names \"" << m.str() << "\"; take it from the image profile";
      }
    }
  }
  EXPECT_GT(files, 3u) << "no suite files under " << suites;
}

}  // namespace
