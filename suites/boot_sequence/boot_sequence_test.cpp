// The builder boots: within the environment's budget, its boot steps in the real order,
// each successful and within its own budget, with no failed unit beyond the allow-list.
#include <fstream>

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
  auto timeline = builder().bootTimeline();
  e2e::Artifacts::instance().writeFile("boot-timeline.json", timeline.toJson().dump(2), "boot-timeline");
  const auto& steps = env().expect.boot_steps;
  ASSERT_FALSE(steps.empty()) << "the environment lists no boot steps (expect.boot_steps)";
  EXPECT_EQ(timeline.startOrder(), steps) << timeline.describe();
  for (const auto& unit : steps) {
    const BootStep* step = timeline.find(unit);
    ASSERT_NE(step, nullptr) << unit << " is not in the timeline:\n" << timeline.describe();
    if (unit == "config-watchdog") continue;  // a timer's service: runs, exits, runs again
    EXPECT_THAT(*step, Succeeded());
    if (step->started_s && step->finished_s) {
      EXPECT_LE(*step->finished_s - *step->started_s, static_cast<double>(env().expect.boot_step_budget_seconds))
          << unit << " took too long";
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
