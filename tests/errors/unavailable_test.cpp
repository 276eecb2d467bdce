// One failure model: an e2e::Unavailable that escapes a test (body or SetUp) is reported as
// a skip with its reason; any other exception, or an earlier failure, stays a failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/testing/exit_codes.hpp"
#include "tests/artifacts/run_binary.hpp"
#include "framework/fs/fs.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class UnavailableBecomesSkip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new e2e::testing::TempDir();
    run_ = e2e::testing::runBinary(e2e::inBuildTree(UNAVAILABLE_DEMO), {"--gtest_output=xml:" + (dir_->path() / "junit.xml").string()},
                                   {{"BNET_E2E_ARTIFACTS", (dir_->path() / "artifacts").string()}},
                                   dir_->path() / "output.txt", std::chrono::seconds(30));
    junit_ = e2e::testing::readFile(dir_->path() / "junit.xml");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static inline e2e::testing::TempDir* dir_ = nullptr;
  static inline e2e::testing::BinaryRun run_;
  static inline std::string junit_;
};

TEST_F(UnavailableBecomesSkip, BodyThrowingUnavailableIsSkippedWithTheReason) {
  EXPECT_THAT(run_.output, HasSubstr("[  SKIPPED ] Demo.BodyThrowsUnavailable"));
  EXPECT_THAT(run_.output, HasSubstr("unavailable: twin image: not built on this machine"));
  EXPECT_THAT(run_.output, Not(HasSubstr("[  FAILED  ] Demo.BodyThrowsUnavailable")));
  EXPECT_THAT(junit_, HasSubstr("unavailable: twin image: not built on this machine]]></skipped>"));
}

TEST_F(UnavailableBecomesSkip, SetUpThrowingUnavailableSkipsWithoutRunningTheBody) {
  EXPECT_THAT(run_.output, HasSubstr("[  SKIPPED ] SetUpThrows.BodyNeverRuns"));
  EXPECT_THAT(run_.output, HasSubstr("unavailable: Docker is not installed"));
  EXPECT_THAT(run_.output, Not(HasSubstr("the body ran after SetUp threw")));
}

TEST_F(UnavailableBecomesSkip, AnyOtherExceptionFails) {
  EXPECT_THAT(run_.output, HasSubstr("[  FAILED  ] Demo.BodyThrowsAnotherError"));
  EXPECT_THAT(run_.output, HasSubstr("the relay answered 500"));
}

TEST_F(UnavailableBecomesSkip, AnEarlierFailureIsNotHiddenBySkipping) {
  EXPECT_THAT(run_.output, HasSubstr("[  FAILED  ] Demo.FailsThenThrowsUnavailable"));
}

TEST_F(UnavailableBecomesSkip, ACaughtUnavailableChangesNothing) {
  EXPECT_THAT(run_.output, HasSubstr("[       OK ] Demo.CatchesUnavailableAndPasses"));
  EXPECT_NE(run_.exit_code, 0) << "two demo tests fail";
}

// The child's output with GoogleTest's skip marker reworded: quoted in a failure message, the
// marker would make ctest show this test as skipped (its discovered tests' SKIP_REGULAR_EXPRESSION).
std::string withoutSkipMarkers(std::string text) {
  for (auto at = text.find("[  SKIPPED ]"); at != std::string::npos; at = text.find("[  SKIPPED ]", at)) {
    text.replace(at, 12, "[ skipped ]");
  }
  return text;
}

// The test main's exit code counts a converted skip as a skip: e2e::kExitSkipped (77, ctest's
// SKIP_RETURN_CODE) when the only tests run threw e2e::Unavailable, 0 when one of them passed
// and none was skipped.
TEST(UnavailableExitCode, OnlyUnavailableTestsExitWithTheSkipCode) {
  e2e::testing::TempDir dir;
  auto skipped = e2e::testing::runBinary(e2e::inBuildTree(UNAVAILABLE_DEMO), {"--gtest_filter=Demo.BodyThrowsUnavailable:SetUpThrows.*"},
                                         {{"BNET_E2E_ARTIFACTS", (dir.path() / "artifacts").string()}},
                                         dir.path() / "skipped.txt", std::chrono::seconds(30));
  const auto output = withoutSkipMarkers(skipped.output);
  EXPECT_EQ(skipped.exit_code, e2e::kExitSkipped) << output;
  EXPECT_THAT(output, HasSubstr("e2e: 2 of 2 test(s) skipped, none failed (exit code 77)"));
  EXPECT_THAT(output, HasSubstr("e2e: skipped Demo.BodyThrowsUnavailable: unavailable: twin image: not built on this machine"));

  auto passed = e2e::testing::runBinary(e2e::inBuildTree(UNAVAILABLE_DEMO), {"--gtest_filter=Demo.CatchesUnavailableAndPasses"},
                                        {{"BNET_E2E_ARTIFACTS", (dir.path() / "artifacts").string()}},
                                        dir.path() / "passed.txt", std::chrono::seconds(30));
  EXPECT_EQ(passed.exit_code, 0) << withoutSkipMarkers(passed.output);
}

}  // namespace
