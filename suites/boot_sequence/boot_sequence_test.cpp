// The builder boots: within the environment's budget, its boot steps in the partial order
// its image guarantees, each successful and within its own budget, with no failed unit
// beyond the allow-list.
#include <fstream>

#include "fixtures/image/boot_order.hpp"
#include "fixtures/ssh/systemd.hpp"
#include "fixtures/testbed/testbed_test.hpp"
#include "framework/artifacts/artifacts.hpp"

namespace bnet {
namespace {

using ::testing::IsEmpty;

class BootSequence : public TestbedTest {};

// The launch waited longer (ready_wait_seconds) than this budget, so a slow boot fails here.
TEST_F(BootSequence, BuilderIsReadyWithinTheBootBudget) {
  const auto ready = testbed().state().ready_seconds;
  if (!ready) GTEST_SKIP() << "the boot was not measured: this run attached to a builder it did not launch";
  RecordProperty("ready_seconds", fmt::format("{:.1f}", *ready));
  RecordProperty("boot_budget_seconds", std::to_string(env().expect.boot_budget_seconds));
  EXPECT_THAT(*ready, WithinBootBudget(env().expect.boot_budget_seconds));
}

TEST_F(BootSequence, BootStepsSucceedInOrderEachWithinItsBudget) {
  const ImageProfile& image = env().image();
  auto timeline = builder().bootTimeline();
  e2e::Artifacts::instance().writeFile("boot-timeline.json", timeline.toJson().dump(2), "boot-timeline");
  auto order = checkBootOrder(image, timeline);
  RecordProperty("order_edges_held", static_cast<int>(order.held.size()));
  EXPECT_TRUE(order.ok()) << "the boot against image profile '" << image.name << "':\n"
                          << order.describe() << "\n" << timeline.describe();
  EXPECT_FALSE(order.held.empty()) << "no edge of the partial order could be checked:\n" << order.describe();
  for (const auto& unit : image.units) {
    if (unit.when_ready == WhenReady::kNotChecked) continue;
    const BootStep* step = timeline.find(unit.name);
    ASSERT_NE(step, nullptr) << unit.name << " is not in the timeline:\n" << timeline.describe();
    EXPECT_THAT(*step, ReachedItsReadyState(unit));
    if (unit.type != UnitType::kTimer && step->started_s && step->finished_s) {
      EXPECT_LE(*step->finished_s - *step->started_s, static_cast<double>(env().expect.boot_step_budget_seconds))
          << unit.name << " took too long";
    }
  }
}

TEST_F(BootSequence, NoUnitFailedBeyondTheAllowList) {
  std::vector<std::string> unexpected;
  for (const auto& unit : failedUnits(builder().ssh())) {
    const auto& allowed = env().expect.allowed_failed_units;
    if (std::find(allowed.begin(), allowed.end(), unit.unit) == allowed.end()) unexpected.push_back(unit.unit);
  }
  EXPECT_THAT(unexpected, IsEmpty());
}

}  // namespace
}  // namespace bnet
