// The image profiles load, the twin's is the buildernet profile plus exactly its declared
// departures, bad profiles fail naming the file and the JSON pointer, and the environments
// name their profiles.
#include "fixtures/image/image_profile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "fixtures/environment/environment.hpp"
#include "framework/env/env_file.hpp"
#include "tests/artifacts/run_binary.hpp"
#include "tests/support/error_of.hpp"
#include "framework/fs/fs.hpp"

namespace {

namespace fs = std::filesystem;
using bnet::ImageProfile;
using json = nlohmann::ordered_json;
using ::testing::AllOf;
using ::testing::HasSubstr;

const fs::path kEnvDir = e2e::inSourceTree("environments");
const fs::path kImages = kEnvDir / "images";

using e2e::testing::errorOf;

// Leaf pointers where a and b differ (a value present on one side only counts as one leaf).
void diffPaths(const json& a, const json& b, const std::string& at, std::set<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& item : a.items()) keys.insert(item.key());
    for (const auto& item : b.items()) keys.insert(item.key());
    for (const auto& k : keys) {
      const std::string child = e2e::jsonPointerChild(at == "/" ? "" : at, k);
      if (!a.contains(k) || !b.contains(k)) {
        out.insert(child);
      } else {
        diffPaths(a[k], b[k], child, out);
      }
    }
    return;
  }
  if (a != b) out.insert(at);
}

bool under(const std::string& path, const std::string& prefix) {
  return path == prefix || (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
                            path[prefix.size()] == '/');
}

TEST(ImageProfiles, BuildernetIsABaseProfileWithTheRealImagesFacts) {
  auto p = ImageProfile::load(kImages / "buildernet.json");
  EXPECT_EQ(p.name, "buildernet");
  EXPECT_TRUE(p.extends.empty());
  EXPECT_EQ(p.unit("config_download").name, "render-config");
  EXPECT_EQ(p.unit("config_download").retry->retries, 3);
  EXPECT_EQ(p.unit("config_download").retry->delay_s, 60);
  EXPECT_THAT(p.unit("config_download").retry->not_retried_statuses, ::testing::ElementsAre(403, 404));
  EXPECT_EQ(p.watchdog.schedule.interval_s, 60);
  EXPECT_TRUE(p.watchdog.schedule.boot_run);
  EXPECT_TRUE(p.watchdog.downloadsConfiguration());
  EXPECT_EQ(p.findPort(80)->answer("GET /livez")->status, 301);
  EXPECT_TRUE(p.findPort(443)->strict_sni);
  EXPECT_EQ(p.disk.selector, "serial");
  EXPECT_EQ(p.disk.key_shredded, "first_format");
  EXPECT_EQ(p.unit("disk_setup").lines.failure("persistent-setup", "unlock").line,
            "persistent-setup: Failed to unlock device <dev> with passphrase");
  EXPECT_EQ(p.findRenderedFile("disk_key")->mode, "0600");
  EXPECT_FALSE(p.order.empty());
  EXPECT_EQ(p.relay_bid_signing, "bls12-381");
  EXPECT_EQ(ImageProfile::load(kImages / "twin.json").relay_bid_signing, "standin") << "a declared departure";
}

TEST(ImageProfiles, TwinIsBuildernetPlusExactlyItsDeclaredDepartures) {
  auto twin = ImageProfile::load(kImages / "twin.json");
  auto base = ImageProfile::load(kImages / "buildernet.json");
  ASSERT_EQ(twin.extends, "buildernet");
  EXPECT_EQ(twin.base_resolved, base.resolved) << "the twin's base is not buildernet.json as it loads on its own";
  json a = twin.base_resolved, b = twin.resolved;
  for (auto* doc : {&a, &b}) {
    doc->erase("name");
    doc->erase("comment");
  }
  std::set<std::string> differs;
  diffPaths(a, b, "", differs);
  // Every difference is declared...
  for (const auto& path : differs) {
    bool declared = false;
    for (const auto& d : twin.departures) declared = declared || under(path, d.path);
    EXPECT_TRUE(declared) << "the twin profile differs from buildernet at " << path << " without a declared departure";
  }
  // ... and every declared departure makes a difference, with a reason.
  for (const auto& d : twin.departures) {
    bool used = false;
    for (const auto& path : differs) used = used || under(path, d.path) || under(d.path, path);
    EXPECT_TRUE(used) << d.pointer << " (" << d.path << ") changes nothing";
    EXPECT_GE(d.reason.size(), 4u) << d.pointer << " gives no reason";
  }
  EXPECT_FALSE(differs.empty());
}

TEST(ImageProfiles, EnvironmentsNameTheirImageProfiles) {
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  e2e::Redactor redactor;
  auto local = bnet::Environment::load(kEnvDir / "local.json", none, redactor);
  EXPECT_EQ(local.image_profile, "twin");
  EXPECT_EQ(local.image().name, "twin");
  auto playground = bnet::Environment::load(kEnvDir / "playground.json", none, redactor);
  EXPECT_EQ(playground.image().name, "buildernet");
  const std::map<std::string, std::string> vars = {
      {"BNET_STAGING_EL_RPC_URL", "https://el.staging.example"},
      {"BNET_STAGING_BEACON_URL", "https://beacon.staging.example"},
      {"BNET_STAGING_CHAIN_ID", "560048"},
      {"BNET_STAGING_HUB_INTERNAL_URL", "https://hub-internal.staging.example"},
      {"BNET_STAGING_VM_HOST", "builder-1.staging.example"},
      {"BNET_STAGING_VM_KNOWN_HOSTS", "/secrets/known_hosts"},
      {"BNET_STAGING_INSTANCE_NAME", "staging-builder-1"}};
  auto staging_vars = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto staging = bnet::Environment::load(kEnvDir / "staging.json", staging_vars, redactor);
  EXPECT_EQ(staging.image().name, "buildernet");
}

class BadProfiles : public ::testing::Test {
 protected:
  e2e::testing::TempDir dir_;
  // Writes buildernet.json (possibly edited) and `name`.json into the temp dir.
  fs::path write(const std::string& name, const json& doc, const json* base = nullptr) {
    std::ifstream in(kImages / "buildernet.json");
    json real = json::parse(in);
    std::ofstream(dir_.path() / "buildernet.json") << (base != nullptr ? *base : real).dump(2);
    const fs::path file = dir_.path() / (name + ".json");
    std::ofstream(file) << doc.dump(2);
    return file;
  }
  json twin(json departures) {
    return json{{"name", "t"}, {"extends", "buildernet"}, {"departures", std::move(departures)}};
  }
};

TEST_F(BadProfiles, ADepartureOfTheWrongTypeNamesItsOwnPlace) {
  auto file = write("t", twin(json::array({{{"path", "/watchdog/schedule/interval_s"}, {"value", "five"}, {"reason", "faster"}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(file); }),
              AllOf(HasSubstr(file.string()), HasSubstr("/departures/0/value"), HasSubstr("expected an integer")));
  auto nested = write("t", twin(json::array({{{"path", "/watchdog/schedule"}, {"value", {{"boot_run", true}, {"interval_s", 0}, {"accuracy_s", 1}}}, {"reason", "faster"}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(nested); }),
              AllOf(HasSubstr("/departures/0/value/interval_s"), HasSubstr("below the minimum")));
}

TEST_F(BadProfiles, RemovingWhatIsNotThereOrChangingNothingIsRefused) {
  auto missing = write("t", twin(json::array({{{"remove", {"/units/reth", "/units/no-such-unit"}}, {"reason", "absent"}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(missing); }),
              AllOf(HasSubstr("/departures/0/remove/1"), HasSubstr("/units/no-such-unit is not in buildernet.json")));
  auto same = write("t", twin(json::array({{{"path", "/watchdog/schedule/interval_s"}, {"value", 60}, {"reason", "same"}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(same); }), AllOf(HasSubstr("/departures/0"), HasSubstr("changes nothing")));
  auto twice = write("t", twin(json::array({{{"path", "/watchdog/schedule"}, {"value", json::object()}, {"reason", "a b c"}},
                                            {{"path", "/watchdog/schedule/interval_s"}, {"value", 5}, {"reason", "a b c"}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(twice); }), AllOf(HasSubstr("/departures/1"), HasSubstr("overlaps")));
  auto no_reason = write("t", twin(json::array({{{"path", "/watchdog/schedule/interval_s"}, {"value", 5}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(no_reason); }), AllOf(HasSubstr("/departures/0/reason"), HasSubstr("missing")));
}

TEST_F(BadProfiles, RemovingAUnitARoleNamesIsRefusedNamingTheUnit) {
  auto file = write("t", twin(json::array({{{"remove", {"/units/rbuilder-operator"}}, {"reason", "no rbuilder"}}})));
  EXPECT_THAT(errorOf([&] { ImageProfile::load(file); }),
              AllOf(HasSubstr(file.string()), HasSubstr("/departures"), HasSubstr("rbuilder-operator")));
}

TEST_F(BadProfiles, AnExtendingFileHoldsOnlyDepartures) {
  json doc = twin(json::array());
  doc["watchdog"] = json::object();
  auto file = write("t", doc);
  EXPECT_THAT(errorOf([&] { ImageProfile::load(file); }), AllOf(HasSubstr("/watchdog"), HasSubstr("unknown key")));
}

TEST_F(BadProfiles, ABaseProfileErrorNamesTheBaseFileAndPointer) {
  std::ifstream in(kImages / "buildernet.json");
  json base = json::parse(in);
  base["units"]["render-config"]["type"] = "forking";
  base["order"][0]["first"] = "no-such-unit";
  auto file = write("t", twin(json::array()), &base);
  EXPECT_THAT(errorOf([&] { ImageProfile::load(file); }),
              AllOf(HasSubstr((dir_.path() / "buildernet.json").string()), HasSubstr("/units/render-config/type"),
                    HasSubstr("\"forking\" is not one of")));
  base["units"]["render-config"]["type"] = "oneshot";
  write("t", twin(json::array()), &base);
  EXPECT_THAT(errorOf([&] { ImageProfile::load(file); }),
              AllOf(HasSubstr("/order/0/first"), HasSubstr("unit 'no-such-unit' is not in /units")));
}

TEST(ImageProfiles, AnUnknownProfileNameSaysWhereItLooked) {
  EXPECT_THAT(errorOf([&] { ImageProfile::resolve("no-such-image", kImages); }),
              AllOf(HasSubstr("no-such-image"), HasSubstr("buildernet"), HasSubstr("twin")));
}

TEST(ImageProfiles, LinePatternsMatchTheLinesWithTheirVariableParts) {
  const std::regex re(bnet::linePattern("persistent-setup: Failed to unlock device <dev> with passphrase"));
  EXPECT_TRUE(std::regex_search("persistent-setup: Failed to unlock device /dev/vdb with passphrase", re));
  EXPECT_FALSE(std::regex_search("persistent-setup: Failed to unlock encrypted device /dev/vdb with passphrase", re));
  EXPECT_TRUE(std::regex_search("Failed to fetch configuration.", std::regex(bnet::linePattern("Failed to fetch configuration."))));
  EXPECT_FALSE(std::regex_search("Failed to fetch configurationX", std::regex(bnet::linePattern("Failed to fetch configuration."))));
}

TEST(ImageProfiles, WatchdogScheduleBoundsItsRuns) {
  bnet::WatchdogSchedule minutely{.boot_run = true, .interval_s = 60, .accuracy_s = 60};
  EXPECT_EQ(minutely.maxRunsWithin(30), 3);    // the boot run, the first minute, accuracy
  EXPECT_EQ(minutely.maxRunsWithin(600), 13);
  bnet::WatchdogSchedule fast{.boot_run = false, .interval_s = 5, .accuracy_s = 1};
  EXPECT_EQ(fast.maxRunsWithin(60), 14);
}

}  // namespace
