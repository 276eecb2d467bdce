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

TEST_F(BootSequence, BuilderIsReadyWithinTheBootBudget) {
  const auto budget = std::chrono::seconds(env().expect.boot_budget_seconds);
  builder().waitForReady(e2e::Deadline::after(budget));
  if (auto ready = testbed().state().ready_seconds) {
    RecordProperty("ready_seconds", fmt::format("{:.1f}", *ready));
    EXPECT_LE(*ready, static_cast<double>(budget.count()));
  }
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
