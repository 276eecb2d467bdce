#include "framework/testing/skip_unavailable.hpp"

#include <exception>
#include <string>

#include <gtest/gtest-spi.h>

#include "framework/errors/unavailable.hpp"

namespace e2e {

namespace {
// The reason when the exception being handled is an e2e::Unavailable (GoogleTest reports
// an escaping exception from inside its catch block, so it is still in flight).
bool unavailableInFlight(std::string& reason) {
  auto in_flight = std::current_exception();
  if (!in_flight) return false;
  try {
    std::rethrow_exception(in_flight);
  } catch (const Unavailable& e) {
    reason = e.what();
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

// GoogleTest's own forwarding reporter (the one ASSERT_NO_FATAL_FAILURE installs): it sets
// itself as this thread's reporter and passes each result on to the one it replaced.
class SkipUnavailableListener::Reporter : public ::testing::internal::HasNewFatalFailureHelper {
 public:
  void ReportTestPartResult(const ::testing::TestPartResult& result) override {
    std::string reason;
    if (result.fatally_failed() && result.file_name() == nullptr && unavailableInFlight(reason)) {
      HasNewFatalFailureHelper::ReportTestPartResult(
          ::testing::TestPartResult(::testing::TestPartResult::kSkip, nullptr, -1, ("unavailable: " + reason).c_str()));
      return;
    }
    HasNewFatalFailureHelper::ReportTestPartResult(result);
  }
};

SkipUnavailableListener::SkipUnavailableListener() = default;
SkipUnavailableListener::~SkipUnavailableListener() = default;

void SkipUnavailableListener::OnTestStart(const ::testing::TestInfo&) { reporter_ = std::make_unique<Reporter>(); }

void SkipUnavailableListener::OnTestEnd(const ::testing::TestInfo&) { reporter_.reset(); }

void installSkipUnavailableListener() {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SkipUnavailableListener());
}

}  // namespace e2e
