#include "framework/fs/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace e2e {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw std::runtime_error(fmt::format("cannot read {}: read failed", path.string()));
  return out.str();
}

void writeFileAtomic(const fs::path& path, std::string_view content, fs::perms mode) {
  const auto bits = static_cast<mode_t>(mode & fs::perms::mask);
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  auto fail = [&](const char* what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot write {}: {}: {}", path.string(), what, std::strerror(err)));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, bits);
  if (fd < 0) fail("create");
  // The umask may have cut bits from the mode open() was given.
  if (::fchmod(fd, bits) != 0) {
    ::close(fd);
    fail("chmod");
  }
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync");
  }
  if (::close(fd) != 0) fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
}

namespace {

const char* setVariable(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

std::filesystem::path cacheDir() {
  if (const char* dir = setVariable("BNET_E2E_CACHE")) return dir;
  if (const char* dir = setVariable("XDG_CACHE_HOME")) return std::filesystem::path(dir) / "bnet-e2e";
  if (const char* home = setVariable("HOME")) return std::filesystem::path(home) / ".cache" / "bnet-e2e";
  throw std::runtime_error("the cache folder: neither BNET_E2E_CACHE, XDG_CACHE_HOME nor HOME is set");
}

fs::path projectBuildDir() {
  if (const char* dir = setVariable("BNET_E2E_BINARY_DIR")) return dir;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "CMakeCache.txt", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return {};
}

fs::path projectSourceDir() {
  if (const char* dir = setVariable("BNET_E2E_SOURCE_DIR")) return dir;
  const fs::path build = projectBuildDir();
  if (build.empty()) return {};
  std::ifstream cache(build / "CMakeCache.txt");
  const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
  for (std::string line; std::getline(cache, line);) {
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  return {};
}

namespace {

// tree / relative; `unknown` says why the tree is not known when it is empty.
fs::path inTree(const fs::path& tree, std::string_view relative, std::string_view unknown) {
  if (tree.empty()) throw std::runtime_error(fmt::format("{} of the {}", relative, unknown));
  return tree / relative;
}

}  // namespace

fs::path inBuildTree(std::string_view relative) {
  return inTree(projectBuildDir(), relative,
                "build tree: BNET_E2E_BINARY_DIR is not set and no folder above this program holds a "
                "CMakeCache.txt (run it from its build tree, or through ctest)");
}

fs::path inSourceTree(std::string_view relative) {
  return inTree(projectSourceDir(), relative,
                "source tree: BNET_E2E_SOURCE_DIR is not set and no build tree above this program names one "
                "(CMAKE_HOME_DIRECTORY in its CMakeCache.txt)");
}

}  // namespace e2e
