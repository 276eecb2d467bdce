// Tests that throw on purpose: unavailable_test runs this binary as a child and reads how
// each one was reported. Deliberately not registered with CTest.
#include <stdexcept>

#include <gtest/gtest.h>

#include "framework/errors/unavailable.hpp"

namespace {

TEST(Demo, BodyThrowsUnavailable) { throw e2e::Unavailable("twin image", "not built on this machine"); }

TEST(Demo, BodyThrowsAnotherError) { throw std::runtime_error("the relay answered 500"); }

TEST(Demo, FailsThenThrowsUnavailable) {
  ADD_FAILURE() << "an assertion failed before";
  throw e2e::Unavailable("second builder", "needs the twin image");
}

TEST(Demo, CatchesUnavailableAndPasses) {
  try {
    throw e2e::Unavailable("KVM", "no /dev/kvm");
  } catch (const e2e::Unavailable&) {
  }
  SUCCEED();
}

class SetUpThrows : public ::testing::Test {
 protected:
  void SetUp() override { throw e2e::Unavailable("", "Docker is not installed"); }
};

TEST_F(SetUpThrows, BodyNeverRuns) { FAIL() << "the body ran after SetUp threw"; }

}  // namespace
