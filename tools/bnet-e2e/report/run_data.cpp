// Reading a run folder: the JUnit results, the boot timeline, the chain record, the relay
// bids and the orderflow latency samples; comparing two runs; histogram bins.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tinyxml2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "framework/artifacts/artifacts.hpp"
#include "framework/testing/exit_codes.hpp"
#include "tools/bnet-e2e/report/report.hpp"

namespace bnet::report {

namespace fs = std::filesystem;
using nlohmann::json;

ReportError::ReportError(std::string file, std::string place, const std::string& why)
    : std::runtime_error(fmt::format("{}: {}: {}", file, place, why)), file_(std::move(file)), place_(std::move(place)) {}

std::string_view toString(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed: return "passed";
    case TestStatus::kFailed: return "failed";
    case TestStatus::kSkipped: return "skipped";
  }
  return "unknown";
}

namespace {

constexpr std::size_t kMaxMessageBytes = 8000;
constexpr std::size_t kMaxLinksPerTest = 40;
constexpr std::uintmax_t kMaxLinkedFileBytes = 64u << 20;  // disk images are not logs

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

std::string clip(std::string text) {
  if (text.size() > kMaxMessageBytes) {
    text.resize(kMaxMessageBytes);
    text += "\n[... cut]";
  }
  return text;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// GoogleTest's failure blocks in a test's output: "<file>:<line>: Failure" (or "unknown
// file: Failure") and the lines after it, up to a blank line or GoogleTest's own next line.
std::string failureText(std::string_view output) {
  std::string text;
  bool in_block = false;
  for (const auto& line : splitLines(output)) {
    const bool header = line.size() > 9 && line.ends_with(": Failure");
    if (header) {
      if (!text.empty()) text += "\n";
      text += line + "\n";
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    if (line.empty() || startsWith(line, "[  FAILED  ]") || startsWith(line, "[       OK ]") ||
        startsWith(line, "[----------]")) {
      in_block = false;
      continue;
    }
    text += line + "\n";
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The reason GTEST_SKIP() gave: the lines after "<file>:<line>: Skipped".
std::string skipReason(std::string_view output) {
  std::string text;
  bool in_block = false;
  for (const auto& line : splitLines(output)) {
    if (line.ends_with(": Skipped")) {
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    if (line.empty() || startsWith(line, "[  SKIPPED ]")) {
      if (!text.empty()) break;
      continue;
    }
    text += (text.empty() ? "" : "\n") + line;
  }
  return text;
}

// GoogleTest's XML puts "<file>:<line>" on the first line of a skip message; the reason
// follows.
std::string withoutLocation(std::string message) {
  auto newline = message.find('\n');
  if (newline == std::string::npos) return message;
  std::string_view first(message.data(), newline);
  auto colon = first.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == first.size() ||
      !std::all_of(first.begin() + static_cast<std::ptrdiff_t>(colon) + 1, first.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return message;
  }
  return message.substr(newline + 1);
}

std::string lastLines(std::string_view output, std::size_t n) {
  auto lines = splitLines(output);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string text;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) text += lines[i] + "\n";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string attr(const tinyxml2::XMLElement* e, const char* name) {
  const char* v = e->Attribute(name);
  return v ? std::string(v) : std::string();
}

std::string childText(const tinyxml2::XMLElement* e, const char* child) {
  const auto* c = e->FirstChildElement(child);
  if (c == nullptr || c->GetText() == nullptr) return {};
  return c->GetText();
}

void readTestCase(const tinyxml2::XMLElement* tc, std::size_t index, const std::string& file, TestResults& out) {
  const std::string where = fmt::format("line {}: testcase #{}", tc->GetLineNum(), index + 1);
  std::string name = attr(tc, "name");
  if (name.empty()) throw ReportError(file, where, "no name attribute");
  std::string classname = attr(tc, "classname");
  TestResult r;
  // ctest names a test "Suite.Test" in both attributes; GoogleTest's own XML has the suite
  // as classname and the test alone as name.
  if (!classname.empty() && classname != name && !startsWith(name, classname + ".")) {
    r.suite = classname;
    r.name = classname + "." + name;
  } else {
    r.name = name;
    auto dot = name.find('.');
    r.suite = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
  }
  if (tc->Attribute("time") != nullptr && tc->QueryDoubleAttribute("time", &r.seconds) != tinyxml2::XML_SUCCESS) {
    throw ReportError(file, where, fmt::format("time=\"{}\" is not a number", attr(tc, "time")));
  }
  const std::string status = attr(tc, "status");
  const std::string output = childText(tc, "system-out") + childText(tc, "system-err");
  const auto* failure = tc->FirstChildElement("failure");
  if (failure == nullptr) failure = tc->FirstChildElement("error");
  const auto* skipped = tc->FirstChildElement("skipped");
  if (failure != nullptr || status == "fail") {
    r.status = TestStatus::kFailed;
    std::string message = failureText(output);
    if (message.empty() && failure != nullptr) {
      message = attr(failure, "message");
      if (failure->GetText() != nullptr) message += (message.empty() ? "" : "\n") + std::string(failure->GetText());
    }
    if (message.empty()) message = lastLines(output, 20);
    if (message.empty()) {
      message = fmt::format("no failure message and no output (after {:.1f} s: a timeout or a crash?)", r.seconds);
    }
    r.message = clip(std::move(message));
  } else if (skipped != nullptr || status == "notrun" || status == "disabled" || attr(tc, "result") == "skipped") {
    r.status = TestStatus::kSkipped;
    std::string reason = skipReason(output);
    if (reason.empty() && skipped != nullptr) reason = withoutLocation(attr(skipped, "message"));
    // ctest's, not the test's
    if (reason == "SKIP_REGULAR_EXPRESSION_MATCHED" || reason.starts_with("SKIP_RETURN_CODE=")) reason.clear();
    if (reason.empty() && status == "disabled") reason = "disabled";
    r.message = clip(reason.empty() ? std::string("(no reason given)") : std::move(reason));
  }
  out.tests.push_back(std::move(r));
}

// The file's text, or nullopt when it is not there. Only regular files inside the run are
// read (a symlink may point outside it).
std::optional<std::string> readRunFile(const fs::path& dir, const std::string& rel) {
  std::error_code ec;
  fs::path at = dir;
  for (const auto& part : fs::path(rel).parent_path()) {
    at /= part;
    auto folder = fs::symlink_status(at, ec);
    if (ec || !fs::exists(folder)) return std::nullopt;
    if (!fs::is_directory(folder)) throw ReportError(rel, "file", fmt::format("{} is not a folder of the run", part.string()));
  }
  auto st = fs::symlink_status(dir / rel, ec);
  if (ec || !fs::exists(st)) return std::nullopt;
  if (!fs::is_regular_file(st)) throw ReportError(rel, "file", "not a regular file");
  std::ifstream in(dir / rel, std::ios::binary);
  if (!in) throw ReportError(rel, "file", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<LogLink> filesUnder(const fs::path& run, const fs::path& folder, std::size_t limit) {
  std::vector<LogLink> links;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(folder, ec))) return links;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto st = it->symlink_status(ec);
    if (ec || !fs::is_regular_file(st)) continue;
    auto ext = it->path().extension().string();
    if (ext == ".raw" || ext == ".qcow2" || ext == ".img" || ext == ".tmp") continue;
    if (it->file_size(ec) > kMaxLinkedFileBytes) continue;
    links.push_back({.label = it->path().lexically_relative(folder).generic_string(),
                     .path = it->path().lexically_relative(run).generic_string()});
  }
  std::sort(links.begin(), links.end(), [](const LogLink& a, const LogLink& b) { return a.path < b.path; });
  if (links.size() > limit) links.resize(limit);
  return links;
}

json parseJson(std::string_view text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw ReportError(file, fmt::format("byte {}", e.byte), "not JSON");
  }
}

const json& field(const json& object, const char* name, const std::string& file, const std::string& where) {
  if (!object.is_object()) throw ReportError(file, where, "not an object");
  auto it = object.find(name);
  if (it == object.end()) throw ReportError(file, fmt::format("{}.{}", where, name), "missing");
  return *it;
}

std::uint64_t uintField(const json& object, const char* name, const std::string& file, const std::string& where) {
  const auto& v = field(object, name, file, where);
  if (!v.is_number_unsigned()) {
    throw ReportError(file, fmt::format("{}.{}", where, name), fmt::format("{} is not a whole number >= 0", v.dump()));
  }
  return v.get<std::uint64_t>();
}

std::string stringField(const json& object, const char* name, const std::string& file, const std::string& where) {
  const auto& v = field(object, name, file, where);
  if (!v.is_string()) throw ReportError(file, fmt::format("{}.{}", where, name), fmt::format("{} is not a string", v.dump()));
  return v.get<std::string>();
}

std::optional<double> optionalSeconds(const json& object, const char* name, const std::string& file,
                                      const std::string& where) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw ReportError(file, fmt::format("{}.{}", where, name), fmt::format("{} is not a number", it->dump()));
  return it->get<double>();
}

const json& arrayAt(const json& doc, const char* key, const std::string& file) {
  if (!doc.is_object()) throw ReportError(file, "top level", "not an object");
  auto it = doc.find(key);
  if (it == doc.end()) throw ReportError(file, key, "missing");
  if (!it->is_array()) throw ReportError(file, key, "not an array");
  return *it;
}

std::optional<double> parseNumber(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

namespace {

// The <testsuite> elements of a JUnit document: the root itself (ctest), or its children
// (<testsuites>, GoogleTest). `doc` holds the parsed text of `file`.
std::vector<const tinyxml2::XMLElement*> testSuites(tinyxml2::XMLDocument& doc, std::string_view xml,
                                                    const std::string& file) {
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
    throw ReportError(file, fmt::format("line {}", doc.ErrorLineNum()), doc.ErrorStr());
  }
  const auto* root = doc.RootElement();
  if (root == nullptr) throw ReportError(file, "line 1", "no root element");
  std::vector<const tinyxml2::XMLElement*> suites;
  if (std::string_view(root->Name()) == "testsuites") {
    for (const auto* s = root->FirstChildElement("testsuite"); s; s = s->NextSiblingElement("testsuite")) suites.push_back(s);
  } else if (std::string_view(root->Name()) == "testsuite") {
    suites.push_back(root);
  } else {
    throw ReportError(file, fmt::format("line {}", root->GetLineNum()),
                      fmt::format("the root element is <{}>, expected <testsuites> or <testsuite>", root->Name()));
  }
  return suites;
}

}  // namespace

TestResults parseJunit(std::string_view xml, const std::string& file) {
  tinyxml2::XMLDocument doc;
  TestResults out;
  std::size_t index = 0;
  for (const auto* s : testSuites(doc, xml, file)) {
    for (const auto* tc = s->FirstChildElement("testcase"); tc; tc = tc->NextSiblingElement("testcase")) {
      readTestCase(tc, index++, file, out);
    }
  }
  return out;
}

MergedJunit mergeJunitFiles(const std::vector<std::pair<std::string, std::string>>& files,
                            const std::string& suite_name) {
  static const char* const kCounts[] = {"tests", "failures", "errors", "disabled", "skipped"};
  tinyxml2::XMLDocument out;
  out.InsertEndChild(out.NewDeclaration());
  auto* merged = out.NewElement("testsuite");
  out.InsertEndChild(merged);
  merged->SetAttribute("name", suite_name.c_str());
  std::int64_t totals[std::size(kCounts)] = {};
  double seconds = 0;
  for (const auto& [name, text] : files) {
    tinyxml2::XMLDocument doc;
    for (const auto* suite : testSuites(doc, text, name)) {
      for (std::size_t k = 0; k < std::size(kCounts); ++k) {
        double v = 0;
        if (suite->Attribute(kCounts[k]) != nullptr && suite->QueryDoubleAttribute(kCounts[k], &v) != tinyxml2::XML_SUCCESS) {
          throw ReportError(name, fmt::format("line {}", suite->GetLineNum()),
                            fmt::format("{}=\"{}\" is not a number", kCounts[k], suite->Attribute(kCounts[k])));
        }
        totals[k] += static_cast<std::int64_t>(v);
      }
      double t = 0;
      if (suite->QueryDoubleAttribute("time", &t) == tinyxml2::XML_SUCCESS && std::isfinite(t)) seconds += t;
      for (const auto* tc = suite->FirstChildElement("testcase"); tc; tc = tc->NextSiblingElement("testcase")) {
        merged->InsertEndChild(tc->DeepClone(&out));
      }
    }
  }
  for (std::size_t k = 0; k < std::size(kCounts); ++k) merged->SetAttribute(kCounts[k], totals[k]);
  merged->SetAttribute("time", fmt::format("{:.3f}", seconds).c_str());
  merged->SetAttribute("shards", static_cast<std::int64_t>(files.size()));
  tinyxml2::XMLPrinter printer;
  out.Print(&printer);
  return {.xml = printer.CStr(),
          .tests = static_cast<std::size_t>(totals[0]),
          .failures = static_cast<std::size_t>(totals[1] + totals[2]),
          .skipped = static_cast<std::size_t>(totals[4])};
}

BootTimeline parseBootTimeline(std::string_view text, const std::string& file) {
  auto doc = parseJson(text, file);
  if (!doc.is_array()) throw ReportError(file, "top level", "not an array of boot steps");
  BootTimeline out;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto where = fmt::format("[{}]", i);
    const auto& step = doc[i];
    BootStep s{.unit = stringField(step, "unit", file, where)};
    if (auto it = step.find("result"); it != step.end() && it->is_string()) s.result = it->get<std::string>();
    s.started_s = optionalSeconds(step, "started_s", file, where);
    s.finished_s = optionalSeconds(step, "finished_s", file, where);
    out.steps.push_back(std::move(s));
  }
  return out;
}

Blocks parseBlocks(std::string_view text, const std::string& file) {
  auto doc = parseJson(text, file);
  const auto& blocks = arrayAt(doc, "blocks", file);
  Blocks out;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto where = fmt::format("blocks[{}]", i);
    const auto& b = blocks[i];
    out.blocks.push_back({.slot = uintField(b, "slot", file, where),
                          .number = uintField(b, "number", file, where),
                          .hash = stringField(b, "hash", file, where),
                          .fee_recipient = stringField(b, "fee_recipient", file, where),
                          .builder = stringField(b, "builder", file, where),
                          .tx_count = uintField(b, "tx_count", file, where)});
  }
  return out;
}

Bids parseBids(std::string_view text, const std::string& file) {
  auto doc = parseJson(text, file);
  const char* key = doc.is_object() && !doc.contains("bids") && doc.contains("bids_received") ? "bids_received" : "bids";
  const auto& bids = arrayAt(doc, key, file);
  Bids out;
  out.source = file;
  for (std::size_t i = 0; i < bids.size(); ++i) {
    const auto where = fmt::format("{}[{}]", key, i);
    const auto& b = bids[i];
    RelayBid bid{.slot = uintField(b, "slot", file, where),
                 .builder_pubkey = stringField(b, "builder_pubkey", file, where),
                 .value = stringField(b, "value", file, where),
                 .block_hash = stringField(b, "block_hash", file, where)};
    if (bid.value.empty() || !std::all_of(bid.value.begin(), bid.value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw ReportError(file, where + ".value", fmt::format("\"{}\" is not a decimal wei amount", bid.value));
    }
    out.bids.push_back(std::move(bid));
  }
  return out;
}

void parseLatencyCsv(std::string_view csv, const std::string& file, Latency& into) {
  auto lines = splitLines(csv);
  if (lines.empty() || !startsWith(lines[0], "tx_hash,sent_seconds,included_block,latency_seconds")) {
    throw ReportError(file, "line 1", "expected the header tx_hash,sent_seconds,included_block,latency_seconds,...");
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto& line = lines[i];
    if (line.empty()) continue;
    std::vector<std::string_view> fields;
    std::string_view rest = line;
    for (int f = 0; f < 4; ++f) {
      auto comma = rest.find(',');
      fields.push_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) {
        rest = {};
        break;
      }
      rest.remove_prefix(comma + 1);
    }
    if (fields.size() < 4) throw ReportError(file, fmt::format("line {}", i + 1), "fewer than 4 fields");
    if (fields[3].empty()) {
      ++into.not_included;
      continue;
    }
    auto v = parseNumber(fields[3]);
    if (!v || *v < 0) {
      throw ReportError(file, fmt::format("line {}", i + 1), fmt::format("latency_seconds \"{}\" is not a number >= 0", fields[3]));
    }
    into.seconds.push_back(*v);
  }
  into.files.push_back(file);
}

namespace {

int severity(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed: return 0;
    case TestStatus::kSkipped: return 1;
    case TestStatus::kFailed: return 2;
  }
  return 2;
}

// "orderflow_test.4242.xml" -> "orderflow_test": the binary that wrote it.
std::string binaryOf(const std::string& file_name) {
  std::string stem = fs::path(file_name).stem().string();
  auto dot = stem.rfind('.');
  return dot == std::string::npos ? stem : stem.substr(0, dot);
}

}  // namespace

TestResults mergeResults(const TestResults& ctest, const std::vector<GtestFile>& gtest_files) {
  TestResults out;
  out.missing = ctest.missing;
  std::map<std::string, std::size_t> by_name;  // index into out.tests
  std::map<std::string, std::vector<std::string>> by_binary;
  for (const auto& file : gtest_files) {
    for (const auto& t : file.results.tests) {
      by_binary[file.binary].push_back(t.name);
      auto it = by_name.find(t.name);
      if (it == by_name.end()) {
        by_name[t.name] = out.tests.size();
        out.tests.push_back(t);
      } else if (severity(t.status) > severity(out.tests[it->second].status)) {
        out.tests[it->second] = t;  // run twice in one run: the worse result counts
      }
    }
  }
  out.gtest_processes = gtest_files.size();
  for (const auto& entry : ctest.tests) {
    std::vector<std::string> covered;
    if (by_name.count(entry.name)) {
      covered.push_back(entry.name);
    } else if (auto b = by_binary.find(entry.name); b != by_binary.end()) {
      covered = b->second;
    }
    if (covered.empty()) {
      // No GoogleTest results: not a GoogleTest program (E2eEnvironment.Up), or a process
      // that died before writing them (a timeout, a crash). ctest's word is all there is.
      out.tests.push_back(entry);
      ++out.ctest_only;
      continue;
    }
    const bool any_failed = std::any_of(covered.begin(), covered.end(), [&](const std::string& name) {
      return out.tests[by_name.at(name)].status == TestStatus::kFailed;
    });
    if (entry.status == TestStatus::kFailed && !any_failed) {
      // Its tests passed or skipped, yet the process failed (after them: a crash at exit, a
      // leak check): a failure of its own.
      TestResult failed = entry;
      failed.message = "the test process failed after its GoogleTest results were written:\n" + entry.message;
      out.tests.push_back(std::move(failed));
    }
  }
  return out;
}

TestResults loadResults(const fs::path& dir, const std::optional<fs::path>& ctest_junit) {
  TestResults ctest;
  if (ctest_junit) {
    std::ifstream in(*ctest_junit, std::ios::binary);
    if (!in) {
      ctest.missing = ctest_junit->string();
    } else {
      std::ostringstream text;
      text << in.rdbuf();
      ctest = parseJunit(text.str(), ctest_junit->string());
    }
  } else if (auto xml = readRunFile(dir, "junit.xml")) {
    ctest = parseJunit(*xml, "junit.xml");
  } else {
    ctest.missing = "junit.xml";
  }
  std::vector<GtestFile> files;
  std::error_code ec;
  const fs::path gtest_dir = dir / e2e::kGtestResultsFolder;
  if (fs::is_directory(fs::symlink_status(gtest_dir, ec))) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(gtest_dir, ec)) {
      if (entry.path().extension() == ".xml") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      const std::string rel = std::string(e2e::kGtestResultsFolder) + "/" + name;
      if (auto xml = readRunFile(dir, rel)) files.push_back({.binary = binaryOf(name), .results = parseJunit(*xml, rel)});
    }
  }
  return mergeResults(ctest, files);
}

RunData loadRun(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::invalid_argument(fmt::format("{} is not a folder", dir.string()));
  RunData run;
  run.dir = dir;
  auto normal = fs::absolute(dir).lexically_normal();
  run.name = (normal.has_filename() ? normal.filename() : normal.parent_path().filename()).string();

  run.results = loadResults(dir);
  for (auto& t : run.results.tests) {
    t.logs = filesUnder(dir, dir / e2e::Artifacts::folderName(t.name), kMaxLinksPerTest);
  }

  const std::string boot_file = "testbed/builder/boot-timeline.json";
  if (auto text = readRunFile(dir, boot_file)) {
    run.boot = parseBootTimeline(*text, boot_file);
  } else {
    run.boot.missing = boot_file;
  }

  const std::string blocks_file = "testbed/l1/blocks.json";
  if (auto text = readRunFile(dir, blocks_file)) {
    run.blocks = parseBlocks(*text, blocks_file);
  } else {
    run.blocks.missing = blocks_file;
  }

  // Runs from before bids.json still have the builder's relay view (its recent slots).
  const std::string bids_file = "testbed/l1/bids.json";
  const std::string relay_file = "testbed/builder/relay.json";
  if (auto text = readRunFile(dir, bids_file)) {
    run.bids = parseBids(*text, bids_file);
  } else if (auto relay = readRunFile(dir, relay_file)) {
    run.bids = parseBids(*relay, relay_file);
  } else {
    run.bids.missing = bids_file;
  }

  std::vector<fs::path> csvs;
  if (fs::is_directory(fs::symlink_status(dir / "report-data", ec))) {
    for (const auto& entry : fs::directory_iterator(dir / "report-data", ec)) {
      auto name = entry.path().filename().string();
      if (startsWith(name, "orderflow-latency") && name.ends_with(".csv")) csvs.push_back(entry.path());
    }
  }
  std::sort(csvs.begin(), csvs.end());
  for (const auto& csv : csvs) {
    auto rel = csv.lexically_relative(dir).generic_string();
    if (auto text = readRunFile(dir, rel)) parseLatencyCsv(*text, rel, run.latency);
  }
  if (run.latency.files.empty()) run.latency.missing = "report-data/orderflow-latency-*.csv";

  run.testbed_logs = filesUnder(dir, dir / "testbed", 200);
  return run;
}

Histogram makeHistogram(const std::vector<double>& values, std::size_t max_bins) {
  Histogram h;
  if (values.empty() || max_bins == 0) return h;
  const double max = *std::max_element(values.begin(), values.end());
  for (int exponent = -3;; ++exponent) {
    for (double m : {1.0, 2.0, 5.0}) {
      const double width = m * std::pow(10.0, exponent);
      const auto bins = static_cast<std::size_t>(std::floor(max / width)) + 1;
      if (bins <= max_bins || exponent > 12) {
        h.width = width;
        h.counts.assign(bins, 0);
        for (double v : values) {
          auto bin = static_cast<std::size_t>(std::floor(std::max(0.0, v) / width));
          h.counts[std::min(bin, bins - 1)]++;
        }
        return h;
      }
    }
  }
}

Comparison compareRuns(const RunData& current, const RunData& previous, const CompareOptions& options) {
  Comparison c{.previous_name = previous.name};
  std::map<std::string, TestStatus> before;
  for (const auto& t : previous.results.tests) before[t.name] = t.status;
  std::map<std::string, bool> seen;
  for (const auto& t : current.results.tests) {
    seen[t.name] = true;
    auto it = before.find(t.name);
    if (it == before.end()) {
      if (previous.results.missing.empty()) c.tests.push_back({.name = t.name, .before = std::nullopt, .after = t.status});
    } else if (it->second != t.status) {
      c.tests.push_back({.name = t.name, .before = it->second, .after = t.status});
    }
  }
  if (current.results.missing.empty()) {
    for (const auto& t : previous.results.tests) {
      if (!seen.count(t.name)) c.tests.push_back({.name = t.name, .before = t.status, .after = std::nullopt});
    }
  }
  std::map<std::string, double> took_before;
  for (const auto& s : previous.boot.steps) {
    if (s.started_s && s.finished_s) took_before[s.unit] = *s.finished_s - *s.started_s;
  }
  for (const auto& s : current.boot.steps) {
    if (!s.started_s || !s.finished_s) continue;
    auto it = took_before.find(s.unit);
    if (it == took_before.end()) continue;
    const double after = *s.finished_s - *s.started_s;
    if (after - it->second > options.slower_seconds && after > it->second * (1 + options.slower_ratio)) {
      c.slower_boot_steps.push_back({.unit = s.unit, .before_s = it->second, .after_s = after});
    }
  }
  return c;
}

}  // namespace bnet::report
