// The hub stand-in's request decoding without HTTP (tools/hub-standin: go_json, HubState).
#include <gtest/gtest.h>

#include <string>

#include "tools/hub-standin/go_json.hpp"
#include "tools/hub-standin/hub_state.hpp"

namespace bnet::standin {
namespace {

// Found by fuzz_hub_standin (tests/fuzz/corpus/hub_standin/crash-6b01ca50...): a number beyond
// the range of a double escaped unmarshal() as json out_of_range; HubState let it through to
// the HTTP layer. Go's encoding/json names the number and float64.
TEST(GoJson, NumberTooLargeForAFloat64IsAnUnmarshalError) {
  try {
    unmarshal(R"({"4": 1e999})");
    FAIL() << "no error";
  } catch (const GoJsonError& e) {
    EXPECT_STREQ(e.what(), "json: cannot unmarshal number 1e999 into Go value of type float64");
  }
  EXPECT_THROW(decodeFirst(R"({"enabled": -1e400})"), GoJsonError);
}

TEST(HubStateRequests, OverflowingNumbersAreBadRequests) {
  HubState hub;
  Reply measurement = hub.addMeasurement(R"({"measurement_id":"m","attestation_type":"test","measurements":{"4":1e999}})");
  EXPECT_EQ(measurement.status, 400);
  EXPECT_NE(measurement.body.find("failed to unmarshal request body"), std::string::npos) << measurement.body;
  EXPECT_EQ(hub.addMeasurement(R"({"measurement_id":"m","attestation_type":"test","measurements":{}})").status, 200);
  EXPECT_EQ(hub.setMeasurementActive("m", R"({"enabled":1e999})").status, 400);
  Reply download = hub.configurationFor({.attestation_type = "test", .measurement = R"({"4":1e999})",
                                         .forwarded_for = {"1.2.3.4"}});
  EXPECT_EQ(download.status, 403) << download.body;
}

// The records as each release writes them back (ports/types.go, domain/types.go at both tags).
TEST(HubStateVersions, MeasurementsAreWrittenAsEachReleaseWritesThem) {
  const std::string record =
      R"({"measurement_id":"m","attestation_type":"t","measurements":{"0":{"expected":"aa"},"4":{"expected_any":["bb","cc"]},"9":{}}})";
  HubState v062(ApiVersion::kV0_6_2);
  HubState v031(ApiVersion::kV0_3_1_alpha1);
  for (HubState* hub : {&v062, &v031}) {
    EXPECT_EQ(hub->activeMeasurements().body, hub == &v062 ? "[]" : "null");
    ASSERT_EQ(hub->addMeasurement(record).status, 200);
    ASSERT_EQ(hub->addMeasurement(R"({"measurement_id":"nomap","attestation_type":"t"})").status, 200);
    hub->setMeasurementActive("m", R"({"enabled":true})");
    hub->setMeasurementActive("nomap", R"({"enabled":true})");
  }
  EXPECT_EQ(v062.activeMeasurements().body,
            R"([{"measurement_id":"m","attestation_type":"t","measurements":{"0":{"expected":"aa"},"4":{"expected_any":["bb","cc"]},"9":{}}},)"
            R"({"measurement_id":"nomap","attestation_type":"t","measurements":null}])");
  EXPECT_EQ(v031.activeMeasurements().body,
            R"([{"measurement_id":"m","attestation_type":"t","measurements":{"0":{"expected":"aa"},"4":{"expected":""},"9":{"expected":""}}},)"
            R"({"measurement_id":"nomap","attestation_type":"t","measurements":null}])");
}

TEST(HubStateVersions, LegacyRefusalsHaveNoJsonBody) {
  HubState v031(ApiVersion::kV0_3_1_alpha1);
  EXPECT_EQ(v031.addBuilder(R"({"name":"b","ip_address":"1.2.3","network":"n"})").body, "");
  Reply network = v031.addBuilder(R"({"name":"b","ip_address":"1.2.3.4"})");
  EXPECT_EQ(network.status, 400);
  EXPECT_EQ(network.body, "network field is required");
  ASSERT_EQ(v031.addBuilder(R"({"name":"b","ip_address":"1.2.3.4","network":"n"})").status, 200);
  Reply activation = v031.setBuilderActive("b", R"({"enabled":true})");
  EXPECT_EQ(activation.status, 404);
  EXPECT_EQ(activation.body, "");
  EXPECT_EQ(v031.fullConfig("b").status, 500);
}

}  // namespace
}  // namespace bnet::standin
