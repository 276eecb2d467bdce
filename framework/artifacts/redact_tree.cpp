#include "framework/artifacts/redact_tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace e2e {

namespace {

bool looksLikeText(const std::filesystem::path& path) {
  static const char* const kTextExtensions[] = {".log", ".txt", ".json", ".jsonl", ".xml", ".html"};
  const std::string ext = path.extension().string();
  if (std::any_of(std::begin(kTextExtensions), std::end(kTextExtensions), [&](const char* e) { return ext == e; })) {
    return true;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // let redactFileInPlace name the error
  char buf[65536];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  ::close(fd);
  return n <= 0 || std::memchr(buf, '\0', static_cast<std::size_t>(n)) == nullptr;
}

void redactOne(const std::filesystem::path& file, const Redactor& redactor, RedactTreeResult& result) {
  if (!looksLikeText(file)) {
    ++result.binary;
    return;
  }
  ++result.text_files;
  try {
    if (redactFileInPlace(file, redactor)) ++result.changed;
  } catch (const std::exception& e) {
    result.errors.push_back(fmt::format("{}: {}", file.string(), e.what()));
  }
}

}  // namespace

RedactTreeResult redactTree(const std::filesystem::path& path, const Redactor& redactor) {
  namespace fs = std::filesystem;
  RedactTreeResult result;
  std::error_code ec;
  auto status = fs::symlink_status(path, ec);
  if (status.type() == fs::file_type::not_found) return result;
  if (ec) {
    result.errors.push_back(fmt::format("{}: {}", path.string(), ec.message()));
    return result;
  }
  if (fs::is_regular_file(status)) {
    redactOne(path, redactor, result);
    return result;
  }
  if (!fs::is_directory(status)) return result;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    redactOne(it->path(), redactor, result);
  }
  if (ec) result.errors.push_back(fmt::format("{}: {}", path.string(), ec.message()));
  return result;
}

}  // namespace e2e
