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

TEST_F(BootSequence, BuilderIsReadyWithinTheBootBudget) {
  const auto budget = std::chrono::seconds(env().expect.boot_budget_seconds);
  builder().waitForReady(e2e::Deadline::after(budget));
  if (auto ready = testbed().state().ready_seconds) {
    RecordProperty("ready_seconds", fmt::format("{:.1f}", *ready));
    EXPECT_LE(*ready, static_cast<double>(budget.count()));
  }
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
