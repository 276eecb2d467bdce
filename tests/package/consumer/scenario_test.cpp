#include <gtest/gtest.h>

#include "fixtures/common/version.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"

using namespace std::chrono_literals;

TEST(InstalledPackage, FrameworkAndFixturesLinkAndWork) {
  EXPECT_FALSE(bnet::frameworkVersion().empty());
  auto result = e2e::runCommand({.name = "echo", .executable = "echo", .args = {"from the package"}},
                                e2e::Deadline::after(10s));
  EXPECT_TRUE(result.status.success());
  EXPECT_EQ(result.output, "from the package\n");
  int tries = 0;
  e2e::eventually("third try", 5s, [&] { return e2e::Attempt::check(++tries == 3, "not yet"); });
  EXPECT_EQ(tries, 3);
}
