// Unit tests of the BuilderHub wire types, bcrypt helpers, twin measurements and the
// allow policy (no processes, no network).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>

#include "fixtures/hub/bcrypt.hpp"
#include "fixtures/hub/hub_allow.hpp"
#include "fixtures/hub/hub_types.hpp"
#include "fixtures/hub/hub_version.hpp"
#include "fixtures/hub/twin_measurement.hpp"

namespace bnet {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("bnet-e2e-hub-unit-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& name, const std::string& text) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out << text;
  }
  // A twin image folder as the image build writes it.
  void makeTwin(std::string cmdline = "console=ttyS0 root=LABEL=twin") {
    write("vmlinuz", "kernel bytes");
    write("initrd.img", "initrd bytes");
    write("rootfs.qcow2", "rootfs bytes");
    write("manifest.json", nlohmann::json{{"kernel", "vmlinuz"}, {"initrd", "initrd.img"}, {"rootfs", "rootfs.qcow2"},
                                          {"cmdline", cmdline}}.dump());
  }
  fs::path dir_;
};

TEST(HubTypes, MeasurementRecordRoundTripsThroughJson) {
  MeasurementRecord m{.measurement_id = "buildernet-v1.2.3-azure",
                      .attestation_type = "azure-tdx",
                      .measurements = {{"4", RegisterExpectation::exactly("ea92ff76")},
                                       {"11", RegisterExpectation::anyOf({"efa43e0b", "abc123"})}}};
  auto json = m.toJson();
  EXPECT_EQ(json, nlohmann::json::parse(R"({"measurement_id": "buildernet-v1.2.3-azure", "attestation_type": "azure-tdx",
      "measurements": {"4": {"expected": "ea92ff76"}, "11": {"expected_any": ["efa43e0b", "abc123"]}}})"));
  EXPECT_EQ(MeasurementRecord::fromJson(json, "here"), m);
}

TEST(HubTypes, MeasurementRecordErrorsNameThePlaceAndField) {
  auto parse = [](const char* text) {
    try {
      MeasurementRecord::fromJson(nlohmann::json::parse(text), "m.json");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(parse(R"({"attestation_type":"t","measurements":{}})"), "m.json: missing \"measurement_id\"");
  EXPECT_EQ(parse(R"({"measurement_id":"m","attestation_type":"t"})"),
            "m.json: \"measurements\" must be an object of register -> {\"expected\"|\"expected_any\"}");
  EXPECT_EQ(parse(R"({"measurement_id":"m","attestation_type":"t","measurements":{"4":{"expected":5}}})"),
            "m.json: measurements[\"4\"]: \"expected\" must be a string, not number");
  EXPECT_EQ(parse(R"({"measurement_id":"m","attestation_type":"t","measurements":{"4":{}}})"),
            "m.json: measurements[\"4\"]: needs \"expected\" or \"expected_any\"");
  EXPECT_EQ(parse(R"([1])"), "m.json: a measurement record must be an object, not array");
}

// GET /api/l1-builder/v1/measurements of v0.6.2, as builder-hub's own
// testdata/get-measurements.json (at v0.6.2) has it, cut to three registers.
constexpr const char* kV062Measurements = R"([
    {
        "measurement_id": "v1.2.3-20241010-rc1",
        "attestation_type": "azure-tdx",
        "measurements": {
            "11": {
                "expected": "efa43e0beff151b0f251c4abf48152382b1452b4414dbd737b4127de05ca31f7"
            },
            "4": {
                "expected_any": ["ea92ff762767eae6316794f1641c485d4846bc2b9df2eab6ba7f630ce6f4d66f", "aa92ff762767eae6316794f1641c485d4846bc2b9df2eab6ba7f630ce6f4d66f"]
            },
            "9": {}
        }
    },
    {"measurement_id":"test1","attestation_type":"test","measurements":{}},
    {"measurement_id":"posted-without-a-map","attestation_type":"test","measurements":null}
])";

TEST(HubTypes, MeasurementListsParseAsTheHubWritesThem) {
  auto records = parseMeasurementList(kV062Measurements, "GET /api/l1-builder/v1/measurements");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].measurements.at("11"),
            RegisterExpectation::exactly("efa43e0beff151b0f251c4abf48152382b1452b4414dbd737b4127de05ca31f7"));
  EXPECT_EQ(records[0].measurements.at("4").expected, "") << "expected omitted (omitempty) next to expected_any";
  EXPECT_EQ(records[0].measurements.at("4").expected_any.size(), 2u);
  EXPECT_EQ(records[0].measurements.at("9"), RegisterExpectation{}) << "a register posted with neither: {}";
  EXPECT_TRUE(records[1].allowsAny());
  EXPECT_TRUE(records[2].allowsAny()) << "Go marshals a nil map as null";
  EXPECT_EQ(records[2].measurement_id, "posted-without-a-map");
}

TEST(HubTypes, LegacyMeasurementListsParseToo) {
  // 0.3.1-alpha1: SingleMeasurement{Expected string `json:"expected"`} (no omitempty, no
  // expected_any): a register posted with expected_any only comes back as "expected": "".
  auto records = parseMeasurementList(
      R"([{"measurement_id":"m","attestation_type":"qemu-tdx","measurements":{"0":{"expected":"aa"},"4":{"expected":""}}}])",
      "GET /api/l1-builder/v1/measurements");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].measurements.at("0"), RegisterExpectation::exactly("aa"));
  EXPECT_EQ(records[0].measurements.at("4"), RegisterExpectation{});
  EXPECT_TRUE(parseMeasurementList("null", "GET /measurements").empty()) << "no active records: a nil slice";
  EXPECT_TRUE(parseMeasurementList("[]", "GET /measurements").empty());
  EXPECT_TRUE(parsePeerList("null", "GET /builders").empty());
}

TEST(HubTypes, HubListsRejectWhatNoHubWrites) {
  auto error = [](auto parse) {
    try {
      parse();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error([] { parseMeasurementList("{}", "GET /m"); }), "GET /m: expected a JSON array (or null), got object");
  EXPECT_EQ(error([] { parsePeerList("[{", "GET /b"); }), "GET /b: expected a JSON array (or null), got invalid JSON");
  EXPECT_EQ(error([] { parseMeasurementList(R"([{"measurement_id":"m","attestation_type":"t"}])", "GET /m"); }),
            "GET /m[0]: \"measurements\" must be an object of register -> {\"expected\"|\"expected_any\"}")
      << "the hub always writes the key (null at worst)";
  EXPECT_EQ(error([] { parseMeasurementList(R"([{"measurement_id":"m","attestation_type":"t","measurements":{"4":{"expected_any":"aa"}}}])", "GET /m"); }),
            "GET /m[0]: measurements[\"4\"]: \"expected_any\" must be an array of strings");
  EXPECT_EQ(error([] { MeasurementRecord::fromJson(nlohmann::json::parse(R"({"measurement_id":"m","attestation_type":"t","measurements":null})"), "m.json"); }),
            "m.json: \"measurements\" must be an object of register -> {\"expected\"|\"expected_any\"}")
      << "a record file must say {} to allow any; null is only what a hub writes";
}

TEST(HubTypes, PeerListsParseAsTheHubWritesThem) {
  // v0.6.2 (scripts/ci/e2e-test.hurl's shape): keys sorted, empty fields omitted, region.
  auto peers = parsePeerList(
      R"([{"dns_name":"","instance":{"tls_cert":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},"ip":"1.2.3.4","name":"test_builder","orderflow_proxy":{"ecdsa_pubkey_address":"0x321f3426eec20de1910af1cd595c4dd83bea0ba5","region":"europe"},"rbuilder":{}}])",
      "GET /api/l1-builder/v1/builders");
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].dns_name, "");
  EXPECT_EQ(peers[0].services.at("orderflow_proxy"),
            (ServiceCredentials{.ecdsa_pubkey_address = "0x321f3426eec20de1910af1cd595c4dd83bea0ba5", .region = "europe"}));
  EXPECT_EQ(peers[0].services.at("rbuilder"), ServiceCredentials{}) << "a registration with every field empty";
  EXPECT_EQ(peers[0].json.at("ip"), "1.2.3.4");
}

TEST(HubTypes, LegacyBadRequestBodiesAreNamed) {
  HubError legacy("POST", "http://127.0.0.1:1/api/l1-builder/v1/register_credentials/rbuilder", 400,
                  "No credentials provided\n");
  EXPECT_EQ(legacy.message(), "") << "not JSON: no message";
  EXPECT_THAT(legacy.what(), HasSubstr("400 \"No credentials provided\""));
  EXPECT_EQ(legacyBadRequestBody(HubVersion::kV0_3_1_alpha1, "no credentials provided"), "No credentials provided\n");
  EXPECT_EQ(legacyBadRequestBody(HubVersion::kV0_3_1_alpha1, "network field is required"), "network field is required");
  EXPECT_EQ(legacyBadRequestBody(HubVersion::kV0_3_1_alpha1, "invalid json"), "");
  EXPECT_EQ(legacyBadRequestBody(HubVersion::kV0_6_2, "invalid json"), std::nullopt);
  EXPECT_EQ(parseHubVersion("v0.6.2"), HubVersion::kV0_6_2);
  EXPECT_EQ(parseHubVersion("0.3.1-alpha1"), HubVersion::kV0_3_1_alpha1);
  EXPECT_EQ(parseHubVersion("0.3.1"), std::nullopt);
}

TEST(HubTypes, AttestationHeadersAreWhatTheProxySends) {
  auto h = AttestationHeaders::of({.ip = "10.0.2.15", .attestation_type = "qemu-tdx",
                                   .measurement = {{"4", "dd"}, {"0", "aa"}, {"11", "bb"}}});
  EXPECT_EQ(h.attestation_type, "qemu-tdx");
  EXPECT_EQ(h.measurement, R"({"0":"aa","11":"bb","4":"dd"})") << "compact, keys sorted as Go encodes a map";
  EXPECT_EQ(h.forwarded_for, std::vector<std::string>{"10.0.2.15"});
  EXPECT_EQ(AttestationHeaders::of({.ip = "1.2.3.4"}).measurement, "{}") << "the devnet's test/{}";
}

TEST(HubTypes, HubErrorCarriesTheHubsMessage) {
  HubError bad("POST", "http://127.0.0.1:1/api/admin/v1/builders", 400,
               R"({"message":"failed to convert builder to domain builder","error":"invalid ip address"})" "\n");
  EXPECT_EQ(bad.status(), 400);
  EXPECT_EQ(bad.message(), "failed to convert builder to domain builder");
  EXPECT_EQ(bad.error(), "invalid ip address");
  EXPECT_STREQ(bad.what(),
               "BuilderHub POST http://127.0.0.1:1/api/admin/v1/builders: 400 failed to convert builder to domain "
               "builder (invalid ip address)");
  HubError forbidden("GET", "http://127.0.0.1:1/api/l1-builder/v1/configuration", 403, "");
  EXPECT_EQ(forbidden.message(), "");
  EXPECT_THAT(forbidden.what(), HasSubstr("403 (empty body)"));
}

TEST(Bcrypt, HashesMatchTheirPasswordOnly) {
  auto hash = makeBcryptHash("s3cret", 4);
  EXPECT_THAT(hash, MatchesRegex(R"(\$2b\$04\$[./A-Za-z0-9]{53})"));
  EXPECT_TRUE(bcryptMatches("s3cret", hash));
  EXPECT_FALSE(bcryptMatches("s3cret ", hash));
  EXPECT_FALSE(bcryptMatches("", hash));
  EXPECT_NE(makeBcryptHash("s3cret", 4), hash) << "a random salt each time";
  EXPECT_FALSE(bcryptMatches("s3cret", ""));
  EXPECT_THROW(makeBcryptHash("x", 3), std::invalid_argument);
}

TEST(Bcrypt, AcceptsHtpasswdHashes) {
  // The hash builder-hub's own test uses, made with: htpasswd -nbBC 10 "" 'secret'
  const std::string htpasswd = "$2y$10$Q3mgTfng5mWUlEkLaOA4du0mBIKKYblTcWMqbqehsJM96xF8YV4XC";
  EXPECT_TRUE(bcryptMatches("secret", htpasswd));
  EXPECT_FALSE(bcryptMatches("Secret", htpasswd));
}

TEST(Bcrypt, RandomPasswordsAreLongAndDistinct) {
  auto a = makeRandomPassword();
  EXPECT_THAT(a, MatchesRegex("[0-9a-f]{36}"));
  EXPECT_NE(a, makeRandomPassword());
}

using TwinMeasurement = TempDir;

TEST_F(TwinMeasurement, SameImageSameValues) {
  makeTwin();
  auto first = measureTwinImage(TwinImage::open(dir_));
  auto second = measureTwinImage(TwinImage::open(dir_));
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.attestation_type, "bnet-twin");
  ASSERT_EQ(first.measurements.size(), 5u);
  for (const auto& [key, rule] : first.measurements) {
    EXPECT_THAT(rule.expected, MatchesRegex("[0-9a-f]{96}")) << "register " << key;
  }
  EXPECT_EQ(first.measurement_id, "bnet-twin-" + first.measurements.at("4").expected.substr(0, 16));
  // "2" is SHA-384 of the command line (a known vector checks the hash, not just its shape).
  write("manifest.json", R"({"cmdline": "abc"})");
  EXPECT_EQ(measureTwinRegisters(TwinImage::open(dir_)).at("2"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
}

TEST_F(TwinMeasurement, EveryPartChangesItsRegisterAndTheLast) {
  makeTwin();
  auto base = measureTwinRegisters(TwinImage::open(dir_));
  struct Change {
    std::string name;
    std::string reg;
    std::function<void()> apply;
  };
  std::vector<Change> changes = {
      {"kernel", "0", [&] { write("vmlinuz", "kernel bytes!"); }},
      {"initrd", "1", [&] { write("initrd.img", "initrd bytes!"); }},
      {"cmdline", "2", [&] { makeTwin("console=ttyS0 root=LABEL=twin quiet"); }},
      {"rootfs", "3", [&] { write("rootfs.qcow2", "rootfs bytes!"); }},
  };
  for (const auto& c : changes) {
    makeTwin();
    c.apply();
    auto changed = measureTwinRegisters(TwinImage::open(dir_));
    for (const auto& [reg, value] : base) {
      if (reg == c.reg || reg == "4") {
        EXPECT_NE(changed.at(reg), value) << c.name << " change must change register " << reg;
      } else {
        EXPECT_EQ(changed.at(reg), value) << c.name << " change must not change register " << reg;
      }
    }
  }
}

TEST_F(TwinMeasurement, MissingPartsAreNamed) {
  auto openError = [&] {
    try {
      TwinImage::open(dir_);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(openError(), HasSubstr("manifest.json is missing"));
  makeTwin();
  fs::remove(dir_ / "initrd.img");
  EXPECT_THAT(openError(), HasSubstr("initrd file"));
  makeTwin();
  write("manifest.json", R"({"kernel": "vmlinuz"})");
  EXPECT_THAT(openError(), HasSubstr("\"cmdline\""));
  write("manifest.json", R"({"cmdline": ""})");
  write("rootfs.raw", "another");
  EXPECT_THAT(openError(), HasSubstr("several rootfs.* files"));
}

using MeasurementsFile = TempDir;

TEST_F(MeasurementsFile, ReadsARecordOrAnArrayAndNamesBadFields) {
  write("one.json", R"({"measurement_id":"m1","attestation_type":"azure-tdx","measurements":{"4":{"expected":"aa"}}})");
  write("many.json", R"([{"measurement_id":"m1","attestation_type":"azure-tdx","measurements":{}},
                         {"measurement_id":"m2","attestation_type":"qemu-tdx","measurements":{"0":{"expected":"bb"}}}])");
  write("bad.json", R"([{"measurement_id":"m1","attestation_type":"azure-tdx","measurements":{"4":"aa"}}])");
  EXPECT_EQ(readMeasurementsFile(dir_ / "one.json").size(), 1u);
  auto many = readMeasurementsFile(dir_ / "many.json");
  ASSERT_EQ(many.size(), 2u);
  EXPECT_TRUE(many[0].allowsAny());
  EXPECT_EQ(many[1].measurements.at("0").expected, "bb");
  try {
    readMeasurementsFile(dir_ / "bad.json");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("bad.json[0]: measurements[\"4\"]: must be an object"));
  }
}

TEST(AllowPolicy, ProductionIsNeverWrittenAndAllowAnyIsDevOnly) {
  AllowRequest exact{.measurement = {.measurement_id = "m", .attestation_type = "bnet-twin",
                                     .measurements = {{"0", RegisterExpectation::exactly("aa")}}},
                     .builder = {.name = "b", .ip_address = "10.0.2.15", .network = "dev"},
                     .secrets = "{}"};
  AllowRequest any = exact;
  any.measurement.measurements.clear();
  EXPECT_EQ(allowPolicyViolation(EnvironmentKind::kDev, exact), std::nullopt);
  EXPECT_EQ(allowPolicyViolation(EnvironmentKind::kStaging, exact), std::nullopt);
  EXPECT_EQ(allowPolicyViolation(EnvironmentKind::kDev, any), std::nullopt);
  EXPECT_THAT(allowPolicyViolation(EnvironmentKind::kStaging, any).value_or(""), HasSubstr("only allowed in a dev"));
  EXPECT_THAT(allowPolicyViolation(EnvironmentKind::kProduction, exact).value_or(""), HasSubstr("production"));
  EXPECT_THROW(parseEnvironmentKind("prod"), std::invalid_argument);
  EXPECT_EQ(parseEnvironmentKind("staging"), EnvironmentKind::kStaging);
}

}  // namespace
}  // namespace bnet
