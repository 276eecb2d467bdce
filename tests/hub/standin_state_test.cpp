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

}  // namespace
}  // namespace bnet::standin
