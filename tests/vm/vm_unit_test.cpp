// Unit checks of the VM fixture's pure parts: guest URLs, the boot timeline's order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"

namespace {
using ::testing::ElementsAre;

TEST(GuestUrl, LoopbackBecomesTheQemuHostAddress) {
  EXPECT_EQ(bnet::guestUrlOf("http://127.0.0.1:8545"), "http://10.0.2.2:8545");
  EXPECT_EQ(bnet::guestUrlOf("http://localhost:3500/eth/v1"), "http://10.0.2.2:3500/eth/v1");
  EXPECT_EQ(bnet::guestUrlOf("https://127.0.0.1"), "https://10.0.2.2");
}

TEST(GuestUrl, RefusesOtherHosts) {
  EXPECT_THROW(bnet::guestUrlOf("http://10.1.2.3:80"), std::invalid_argument);
  EXPECT_THROW(bnet::guestUrlOf("not a url"), std::invalid_argument);
}

TEST(BootTimeline, StartOrderSortsStartedUnitsByStart) {
  bnet::BootTimeline timeline;
  timeline.steps = {{.unit = "b", .started_s = 2.0}, {.unit = "a", .started_s = 1.0},
                    {.unit = "never"}, {.unit = "c", .started_s = 3.5}};
  EXPECT_THAT(timeline.startOrder(), ElementsAre("a", "b", "c"));
  ASSERT_NE(timeline.find("never"), nullptr);
  EXPECT_FALSE(timeline.find("never")->started_s.has_value());
  EXPECT_EQ(timeline.find("missing"), nullptr);
  EXPECT_EQ(timeline.toJson().size(), 4u);
}

TEST(BuilderVmConfig, DefaultBootUnitsAreTheRealOrder) {
  EXPECT_THAT(bnet::defaultBootUnits(),
              ElementsAre("attested-tls-proxy-client", "render-config", "hostname-set", "persistent-setup",
                          "haproxy", "flowproxy", "config-watchdog", "rbuilder-operator"));
}

TEST(BuilderVm, TwinWithoutGatewayPortIsRefusedWithTheFix) {
  bnet::BuilderVmConfig config;
  config.require_payload = false;
  if (auto why = bnet::BuilderVm::unavailableReason(config)) GTEST_SKIP() << *why;
  try {
    bnet::BuilderVm::start(config);
    ADD_FAILURE() << "start() accepted a twin VM without a gateway port";
  } catch (const bnet::BuilderVmError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("startGateway"));
  }
}

TEST(BuilderVm, ImageModeWithoutAnImageIsUnavailable) {
  bnet::BuilderVmConfig config{.mode = bnet::VmMode::kImage};
  auto why = bnet::BuilderVm::unavailableReason(config);
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, ::testing::HasSubstr("vm.image"));
  EXPECT_THROW(bnet::BuilderVm::start(config), bnet::BuilderVmUnavailable);
}

}  // namespace
