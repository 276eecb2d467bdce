// The twin profile describes the twin image as its recipe builds it: the unit files under
// tools/twin-image/rootfs agree with environments/images/twin.json on every unit fact the
// profile states (type, dependencies between the profile's units, install targets,
// conditions, timeouts, the watchdog timer's schedule). A difference between the twin and
// the real image that twin.json does not declare fails here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fixtures/image/image_profile.hpp"
#include "framework/fs/fs.hpp"

namespace {

namespace fs = std::filesystem;
using bnet::ImageProfile;

const fs::path kSource = e2e::inSourceTree("");
const fs::path kUnits = kSource / "tools" / "twin-image" / "rootfs" / "etc" / "systemd" / "system";

std::string unitName(std::string word) {
  if (word.size() > 8 && word.compare(word.size() - 8, 8, ".service") == 0) word.resize(word.size() - 8);
  return word;
}

// A unit file with its drop-ins: every Key=Value (keys repeated across lines and files).
struct UnitFile {
  bool main_file = false;
  std::map<std::string, std::vector<std::string>> values;  // "Unit.After" -> words
  std::vector<std::string> words(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::vector<std::string>{} : it->second;
  }
  std::string last(const std::string& key) const {
    auto w = words(key);
    return w.empty() ? "" : w.back();
  }
};

void readInto(const fs::path& file, UnitFile& unit) {
  std::ifstream in(file);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = section + "." + line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key.rfind("Unit.Condition", 0) == 0) {
      unit.values["Unit.Conditions"].push_back(line.substr(0, eq) + "=" + value);
      continue;
    }
    std::istringstream ws(value);
    std::string word;
    auto& list = unit.values[key];
    if (value.empty()) list.clear();
    while (ws >> word) list.push_back(key.rfind("Timer.", 0) == 0 ? word : unitName(word));
  }
}

std::optional<UnitFile> recipeUnit(const bnet::ProfileUnit& u) {
  UnitFile unit;
  const fs::path main = kUnits / u.id();
  std::error_code ec;
  if (fs::is_regular_file(main, ec)) {
    unit.main_file = true;
    readInto(main, unit);
  }
  const fs::path dropins = kUnits / (u.id() + ".d");
  if (fs::is_directory(dropins, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dropins)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) readInto(f, unit);
  }
  if (!unit.main_file && unit.values.empty()) return std::nullopt;
  return unit;
}

// The words of `all` that name a unit of `known`, as a set.
std::set<std::string> among(const std::vector<std::string>& all, const std::set<std::string>& known) {
  std::set<std::string> out;
  for (const auto& w : all) {
    if (known.count(w)) out.insert(w);
  }
  return out;
}

std::int64_t seconds(const std::string& value) {
  if (value.empty()) return -1;
  std::size_t used = 0;
  const std::int64_t n = std::stoll(value, &used);
  const std::string unit = value.substr(used);
  if (unit == "min") return n * 60;
  return n;  // "s" or none
}

TEST(TwinRecipe, UnitFilesAgreeWithTheTwinProfile) {
  const auto twin = ImageProfile::load(kSource / "environments" / "images" / "twin.json");
  const auto base = ImageProfile::load(kSource / "environments" / "images" / "buildernet.json");
  std::set<std::string> known;
  for (const auto& u : base.units) known.insert(u.name);
  const std::string declare = "; declare a departure in environments/images/twin.json, or make the twin follow buildernet.json";

  // Units the twin lacks have no unit file in the recipe.
  for (const auto& u : base.units) {
    if (twin.findUnit(u.name) != nullptr) continue;
    EXPECT_FALSE(recipeUnit(u).has_value()) << "the twin recipe has " << u.id() << ", which twin.json removes" << declare;
  }

  std::set<std::pair<std::string, std::string>> profile_order, recipe_order;
  for (const auto& u : twin.units) {
    for (const auto& a : among(u.after, known)) profile_order.emplace(a, u.name);
    for (const auto& b : among(u.before, known)) profile_order.emplace(u.name, b);
    auto file = recipeUnit(u);
    if (!file) {
      ADD_FAILURE() << "the twin recipe has no " << u.id() << " (in " << kUnits << ")" << declare;
      continue;
    }
    for (const auto& a : among(file->words("Unit.After"), known)) recipe_order.emplace(a, u.name);
    for (const auto& b : among(file->words("Unit.Before"), known)) recipe_order.emplace(u.name, b);
    const std::string where = u.id() + ": ";
    EXPECT_EQ(among(file->words("Unit.Requires"), known), among(u.required, known)) << where << "Requires=" << declare;
    EXPECT_EQ(among(file->words("Unit.Wants"), known), among(u.wants, known)) << where << "Wants=" << declare;
    EXPECT_EQ(among(file->words("Unit.BindsTo"), known), among(u.binds_to, known)) << where << "BindsTo=" << declare;
    if (!file->main_file) continue;  // only drop-ins (a Debian package's unit): its own file is not in the recipe
    if (u.type != bnet::UnitType::kTimer) {
      const std::string type = file->last("Service.Type").empty() ? "simple" : file->last("Service.Type");
      EXPECT_EQ(type, bnet::toString(u.type)) << where << "Type=" << declare;
      EXPECT_EQ(file->last("Service.RemainAfterExit") == "yes", u.remain_after_exit) << where << "RemainAfterExit=" << declare;
      const std::int64_t timeout = seconds(file->last("Service.TimeoutStartSec"));
      EXPECT_EQ(timeout, u.start_timeout_s.value_or(-1)) << where << "TimeoutStartSec=" << declare;
    }
    EXPECT_EQ(file->last("Unit.DefaultDependencies") != "no", u.default_dependencies) << where << "DefaultDependencies=" << declare;
    const auto wanted = file->words("Install.WantedBy");
    EXPECT_EQ(std::set<std::string>(wanted.begin(), wanted.end()), std::set<std::string>(u.wanted_by.begin(), u.wanted_by.end()))
        << where << "WantedBy=" << declare;
    const auto conditions = file->words("Unit.Conditions");
    EXPECT_EQ(std::set<std::string>(conditions.begin(), conditions.end()),
              std::set<std::string>(u.conditions.begin(), u.conditions.end()))
        << where << "Condition*=" << declare;
  }
  for (const auto& [a, b] : recipe_order) {
    EXPECT_TRUE(profile_order.count({a, b})) << "the twin orders " << a << " before " << b
                                             << " (After=/Before=), twin.json does not" << declare;
  }
  for (const auto& [a, b] : profile_order) {
    EXPECT_TRUE(recipe_order.count({a, b})) << "twin.json orders " << a << " before " << b << ", the twin does not" << declare;
  }

  // The watchdog: its timer's schedule, and whether the service also runs at boot.
  const auto* timer_unit = twin.findUnit(twin.watchdog.timer);
  ASSERT_NE(timer_unit, nullptr);
  auto timer = recipeUnit(*timer_unit);
  ASSERT_TRUE(timer.has_value()) << "no " << twin.watchdog.timer << " in the twin recipe";
  const auto& schedule = twin.watchdog.schedule;
  if (schedule.on_calendar.empty()) {
    EXPECT_EQ(seconds(timer->last("Timer.OnUnitActiveSec")), schedule.interval_s) << "OnUnitActiveSec=" << declare;
  } else {
    EXPECT_EQ(timer->last("Timer.OnCalendar"), schedule.on_calendar) << "OnCalendar=" << declare;
  }
  EXPECT_EQ(seconds(timer->last("Timer.AccuracySec")), schedule.accuracy_s) << "AccuracySec=" << declare;
  EXPECT_EQ(seconds(timer->last("Timer.OnActiveSec")), schedule.on_active_s.value_or(-1)) << "OnActiveSec=" << declare;
  auto service = recipeUnit(*twin.findUnit(twin.watchdog.unit));
  ASSERT_TRUE(service.has_value());
  const auto wanted = service->words("Install.WantedBy");
  EXPECT_EQ(std::find(wanted.begin(), wanted.end(), "multi-user.target") != wanted.end(), schedule.boot_run)
      << twin.watchdog.unit << ": a boot run needs WantedBy=multi-user.target" << declare;
}

}  // namespace
