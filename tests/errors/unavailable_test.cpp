// One failure model: an e2e::Unavailable that escapes a test (body or SetUp) is reported as
// a skip with its reason; any other exception, or an earlier failure, stays a failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/artifacts/run_binary.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class UnavailableBecomesSkip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new e2e::testing::TempDir();
    run_ = e2e::testing::runBinary(UNAVAILABLE_DEMO, {"--gtest_output=xml:" + (dir_->path() / "junit.xml").string()},
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

}  // namespace
