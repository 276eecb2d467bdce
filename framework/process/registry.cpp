#include "framework/process/registry.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace e2e {
namespace {

struct StatFields {
  char state = '?';
  pid_t pgid = 0;
  std::uint64_t start_ticks = 0;
};

bool readStat(pid_t pid, StatFields& out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  // Fields after the name: 3 state, 4 ppid, 5 pgrp, ... 22 starttime.
  std::string field;
  std::vector<std::string> fields;
  while (rest >> field) fields.push_back(field);
  if (fields.size() < 20) return false;
  out.state = fields[0].empty() ? '?' : fields[0][0];
  out.pgid = static_cast<pid_t>(std::stol(fields[2]));
  out.start_ticks = std::stoull(fields[19]);
  return true;
}

void killGroupMembers(const ProcessRecord& record, ReapResult& result) {
  // The leader (checked by the caller) and the members of its group, even when the leader
  // is gone: every process in the group that started no earlier than the recorded leader.
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    StatFields stat;
    if (!readStat(pid, stat) || stat.pgid != record.pid || stat.state == 'Z') continue;
    if (stat.start_ticks < record.start_ticks) continue;
    if (::kill(pid, SIGKILL) == 0) {
      ++result.killed;
      result.notes.push_back(fmt::format("killed pid {} (group of {} '{}', run {})", pid, record.pid,
                                         record.name, record.run_id));
    }
  }
}

}  // namespace

std::uint64_t processStartTicks(pid_t pid) {
  StatFields stat;
  if (pid <= 0 || !readStat(pid, stat) || stat.state == 'Z') return 0;
  return stat.start_ticks;
}

std::string currentRunId() {
  const char* run = std::getenv("BNET_E2E_RUN_ID");
  if (run && *run) return run;
  return fmt::format("pid-{}", ::getpid());
}

fs::path ProcessRegistry::directory() {
  const char* dir = std::getenv("BNET_E2E_STATE_DIR");
  fs::path base = dir && *dir ? fs::path(dir) : fs::path("/tmp/bnet-e2e-state");
  return base / "processes";
}

fs::path ProcessRegistry::add(const ProcessRecord& record) {
  auto dir = directory();
  fs::create_directories(dir);
  json j = {{"run_id", record.run_id},
            {"owner_pid", record.owner_pid},
            {"owner_start_ticks", record.owner_start_ticks},
            {"pid", record.pid},
            {"start_ticks", record.start_ticks},
            {"name", record.name},
            {"command", record.command},
            {"owned_paths", json::array()}};
  for (const auto& p : record.owned_paths) j["owned_paths"].push_back(p.string());
  auto path = dir / fmt::format("{}-{}.json", record.owner_pid, record.pid);
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump() << "\n";
    if (!out) throw std::runtime_error(fmt::format("process registry: cannot write {}", tmp.string()));
  }
  fs::rename(tmp, path);
  return path;
}

void ProcessRegistry::remove(const fs::path& record_path) {
  std::error_code ec;
  fs::remove(record_path, ec);
}

std::vector<ProcessRecord> ProcessRegistry::list() {
  std::vector<ProcessRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory(), ec)) {
    if (entry.path().extension() != ".json") continue;
    try {
      std::ifstream in(entry.path());
      json j = json::parse(in);
      ProcessRecord r;
      r.run_id = j.at("run_id").get<std::string>();
      r.owner_pid = j.at("owner_pid").get<pid_t>();
      r.owner_start_ticks = j.at("owner_start_ticks").get<std::uint64_t>();
      r.pid = j.at("pid").get<pid_t>();
      r.start_ticks = j.at("start_ticks").get<std::uint64_t>();
      r.name = j.at("name").get<std::string>();
      r.command = j.at("command").get<std::string>();
      for (const auto& p : j.at("owned_paths")) r.owned_paths.emplace_back(p.get<std::string>());
      r.record_path = entry.path();
      out.push_back(std::move(r));
    } catch (const std::exception&) {
      // A half-written record (its writer was killed before the rename cannot leave one,
      // but a hand-edited file can): skipped here, reported by reap().
      ProcessRecord broken;
      broken.record_path = entry.path();
      broken.name = "(unreadable record)";
      out.push_back(std::move(broken));
    }
  }
  return out;
}

ReapResult ProcessRegistry::reap(bool include_live_owners) {
  ReapResult result;
  for (const auto& record : list()) {
    ++result.records;
    if (record.pid <= 0) {
      result.notes.push_back(fmt::format("removed unreadable record {}", record.record_path.string()));
      remove(record.record_path);
      continue;
    }
    bool owner_alive = record.owner_start_ticks != 0 &&
                       processStartTicks(record.owner_pid) == record.owner_start_ticks;
    if (owner_alive && !include_live_owners) continue;
    auto leader_start = processStartTicks(record.pid);
    if (leader_start != 0 && leader_start != record.start_ticks) {
      // The pid (and so possibly the group id) now belongs to another process.
      result.notes.push_back(fmt::format("left pid {} alone: not the '{}' that run {} started",
                                         record.pid, record.name, record.run_id));
    } else {
      killGroupMembers(record, result);
    }
    for (const auto& path : record.owned_paths) {
      std::error_code ec;
      if (fs::exists(path, ec)) {
        auto n = fs::remove_all(path, ec);
        if (!ec && n > 0) {
          ++result.removed_paths;
          result.notes.push_back(fmt::format("removed {} (left by '{}', run {})", path.string(),
                                             record.name, record.run_id));
        }
      }
    }
    remove(record.record_path);
  }
  return result;
}

}  // namespace e2e
