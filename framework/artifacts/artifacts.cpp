#include "framework/artifacts/artifacts.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace e2e {
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kTailWindow = 64 * 1024;

std::string envOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string makeRunId() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("{}-{}", buf, ::getpid());
}

bool isPlainFolderName(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::string defaultLabel(std::string_view name) { return fs::path(name).stem().string(); }

std::string propertyLabel(std::string_view label) {
  std::string out;
  for (char c : label) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ? c : '_');
  }
  return out.empty() ? std::string("file") : out;
}

std::uintmax_t sizeOr0(const fs::path& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

bool isUnder(const fs::path& p, const fs::path& dir) {
  auto rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

std::string readRange(const fs::path& path, std::uintmax_t begin, std::uintmax_t end) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(begin));
  std::string out(end - begin, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

}  // namespace

ArtifactsConfig ArtifactsConfig::fromEnvironment() {
  ArtifactsConfig c;
  c.root = envOr("BNET_E2E_ARTIFACTS", "artifacts");
  std::string run = envOr("BNET_E2E_RUN_ID", "");
  if (!run.empty()) {
    if (!isPlainFolderName(run)) {
      throw std::invalid_argument(fmt::format(
          "BNET_E2E_RUN_ID='{}' is not a plain folder name (use letters, digits, '.', '_', '-')", run));
    }
    c.run_id = run;
    c.run_id_shared = true;
  }
  std::string keep = envOr("BNET_E2E_KEEP_ARTIFACTS", "");
  c.keep_on_success = !keep.empty() && keep != "0";
  return c;
}

Artifacts& Artifacts::instance() {
  static Artifacts artifacts(ArtifactsConfig::fromEnvironment());
  return artifacts;
}

Artifacts::Artifacts(ArtifactsConfig config, Redactor& redactor)
    : config_(std::move(config)), redactor_(&redactor) {
  if (config_.run_id.empty()) config_.run_id = makeRunId();
  if (!isPlainFolderName(config_.run_id)) {
    throw std::invalid_argument(fmt::format("artifacts run id '{}' is not a plain folder name", config_.run_id));
  }
  config_.root = fs::absolute(config_.root).lexically_normal();
}

std::string Artifacts::folderName(std::string_view test_name) {
  std::string out;
  for (char c : test_name) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_');
  }
  if (!isPlainFolderName(out)) out = "_" + out;
  return out;
}

std::string Artifacts::currentTest() const {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return {};
  return fmt::format("{}.{}", info->test_suite_name(), info->name());
}

fs::path Artifacts::runDir() {
  fs::path dir = config_.root / config_.run_id;
  fs::create_directories(dir);
  return dir;
}

fs::path Artifacts::dirFor(const std::string& owner) {
  std::string folder = !owner.empty()             ? folderName(owner)
                       : config_.run_id_shared     ? fmt::format("_global-{}", ::getpid())
                                                   : std::string("_global");
  fs::path dir = runDir() / folder;
  fs::create_directories(dir);
  return dir;
}

fs::path Artifacts::testDir() {
  std::lock_guard lock(mu_);
  return dirFor(currentTest());
}

fs::path Artifacts::path(std::string_view name) {
  fs::path rel(name);
  if (name.empty() || rel.is_absolute() ||
      std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; })) {
    throw std::invalid_argument(fmt::format(
        "artifact name '{}' must be a relative path without '..' (it goes under the test's folder)", name));
  }
  fs::path full = testDir() / rel;
  fs::create_directories(full.parent_path());
  return full;
}

fs::path Artifacts::logPath(std::string_view name, std::string_view label) {
  fs::path p = path(name);
  registerLog(p, label.empty() ? defaultLabel(name) : label);
  return p;
}

void Artifacts::record(ArtifactEntry entry, std::string owner) {
  for (auto& r : registered_) {
    if (r.entry.path == entry.path && r.owner == owner) return;
  }
  registered_.push_back({std::move(entry), std::move(owner)});
}

fs::path Artifacts::writeFile(std::string_view name, std::string_view content, std::string_view label) {
  fs::path p = path(name);
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << redactor_->redact(content);
    if (!out.flush()) throw std::runtime_error(fmt::format("artifact {}: write failed: {}", p.string(), std::strerror(errno)));
  }
  std::lock_guard lock(mu_);
  record({.path = p, .label = label.empty() ? defaultLabel(name) : std::string(label), .kind = ArtifactKind::kFile},
         currentTest());
  return p;
}

fs::path Artifacts::writeRunFile(std::string_view name, std::string_view content) {
  if (!isPlainFolderName(name)) {
    throw std::invalid_argument(fmt::format("run artifact name '{}' must be a plain file name", name));
  }
  fs::path dir = runDir();
  fs::path final_path = dir / name;
  fs::path tmp = dir / fmt::format(".{}.{}.tmp", name, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << redactor_->redact(content);
    if (!out.flush()) throw std::runtime_error(fmt::format("artifact {}: write failed: {}", tmp.string(), std::strerror(errno)));
  }
  fs::rename(tmp, final_path);
  return final_path;
}

std::shared_ptr<RedactingLogWriter> Artifacts::openLog(std::string_view name, std::string_view label) {
  fs::path p = logPath(name, label);
  return RedactingLogWriter::open(p, *redactor_);
}

void Artifacts::registerLog(const fs::path& log, std::string_view label) {
  std::string owner = currentTest();
  std::lock_guard lock(mu_);
  ArtifactEntry entry{.path = fs::absolute(log).lexically_normal(),
                      .label = label.empty() ? defaultLabel(log.filename().string()) : std::string(label),
                      .kind = ArtifactKind::kLog};
  if (owner.empty()) global_offsets_.emplace(entry.path, sizeOr0(entry.path));
  record(std::move(entry), std::move(owner));
}

void Artifacts::beginTest(const std::string& test_name) {
  (void)test_name;
  std::lock_guard lock(mu_);
  for (const auto& r : registered_) {
    if (r.owner.empty()) global_offsets_[r.entry.path] = sizeOr0(r.entry.path);
  }
}

TestArtifacts Artifacts::endTest(const std::string& test_name, bool failed) {
  TestArtifacts result;
  result.test_name = test_name;
  std::vector<ArtifactEntry> own;
  std::vector<ArtifactEntry> grown_globals;
  {
    std::lock_guard lock(mu_);
    result.dir = config_.root / config_.run_id / folderName(test_name);
    for (auto it = registered_.begin(); it != registered_.end();) {
      if (it->owner == test_name) {
        own.push_back(it->entry);
        it = registered_.erase(it);
        continue;
      }
      if (it->owner.empty() && it->entry.kind == ArtifactKind::kLog) {
        auto offset = global_offsets_.count(it->entry.path) ? global_offsets_[it->entry.path] : 0;
        if (sizeOr0(it->entry.path) > offset) {
          ArtifactEntry e = it->entry;
          e.from_offset = offset;
          grown_globals.push_back(std::move(e));
        }
      }
      ++it;
    }
  }

  std::string notes;
  for (const auto& e : own) {
    try {
      if (fs::exists(e.path)) redactFileInPlace(e.path, *redactor_);
    } catch (const std::exception& ex) {
      notes += fmt::format("[ ARTIFACTS ] could not redact {}: {}\n", e.path.string(), ex.what());
    }
  }

  std::error_code ec;
  bool dir_exists = fs::is_directory(result.dir, ec);
  result.kept = dir_exists && (failed || config_.keep_on_success);
  if (dir_exists && !result.kept) fs::remove_all(result.dir, ec);

  std::map<std::string, int> label_uses;
  auto add = [&](ArtifactEntry e) {
    if (!result.kept && isUnder(e.path, result.dir)) return;  // pruned with the folder
    std::string label = propertyLabel(e.label);
    int n = ++label_uses[label];
    e.label = n == 1 ? label : fmt::format("{}_{}", label, n);
    result.entries.push_back(std::move(e));
  };
  for (auto& e : own) add(std::move(e));
  for (auto& e : grown_globals) add(std::move(e));

  if (failed) {
    std::string& r = result.report;
    r += fmt::format("[ ARTIFACTS ] {} failed; its folder: {}\n", test_name,
                     dir_exists ? result.dir.string() : std::string("(none written)"));
    for (const auto& e : result.entries) {
      if (e.kind != ArtifactKind::kLog) continue;
      bool partial = e.from_offset > 0;
      r += fmt::format("[ ARTIFACTS ] --- {}: {} (last {} lines{}) ---\n", e.label, e.path.string(),
                       config_.tail_lines, partial ? " written during this test" : "");
      if (!fs::exists(e.path)) {
        r += "(missing)\n";
      } else {
        std::string tail = fileTail(e.path, config_.tail_lines, e.from_offset, *redactor_);
        r += tail.empty() ? std::string("(empty)\n") : tail;
        if (!tail.empty() && tail.back() != '\n') r += '\n';
      }
      r += fmt::format("[ ARTIFACTS ] --- end of {} ---\n", e.label);
    }
    r += notes;
  } else if (!notes.empty()) {
    result.report = notes;
  }
  return result;
}

void Artifacts::endProgram() {
  std::vector<fs::path> globals;
  {
    std::lock_guard lock(mu_);
    for (const auto& r : registered_) {
      if (r.owner.empty()) globals.push_back(r.entry.path);
    }
  }
  for (const auto& p : globals) {
    try {
      if (fs::exists(p)) redactFileInPlace(p, *redactor_);
    } catch (const std::exception&) {  // best effort at exit: nothing left to report to
    }
  }
}

std::string fileTail(const fs::path& path, std::size_t max_lines, std::uintmax_t from_offset,
                     const Redactor& redactor) {
  std::error_code ec;
  std::uintmax_t size = fs::file_size(path, ec);
  if (ec || from_offset >= size || max_lines == 0) return {};
  std::uintmax_t begin = std::max(from_offset, size > kTailWindow ? size - kTailWindow : 0);
  // Start at the beginning of the line that holds `begin`, looking back one window at most;
  // with no line start in reach, drop the partial line instead of printing half a secret.
  std::uintmax_t look_from = begin > kTailWindow ? begin - kTailWindow : 0;
  std::string text = readRange(path, look_from, size);
  std::size_t rel_begin = static_cast<std::size_t>(begin - look_from);
  std::size_t start = rel_begin;
  if (begin > 0) {
    auto nl = rel_begin == 0 ? std::string::npos : text.rfind('\n', rel_begin - 1);
    if (nl != std::string::npos) {
      start = nl + 1;
    } else if (look_from == 0) {
      start = 0;
    } else {
      auto next = text.find('\n', rel_begin);
      start = next == std::string::npos ? text.size() : next + 1;
    }
  }
  std::string redacted = redactor.redact(std::string_view(text).substr(start));
  // Keep the last max_lines lines (a final line without '\n' counts).
  std::size_t lines = 0;
  std::size_t pos = redacted.size();
  if (pos > 0 && redacted[pos - 1] == '\n') --pos;
  while (pos > 0) {
    auto nl = redacted.rfind('\n', pos - 1);
    if (nl == std::string::npos) break;
    if (++lines == max_lines) return redacted.substr(nl + 1);
    pos = nl;
  }
  return redacted;
}

}  // namespace e2e
