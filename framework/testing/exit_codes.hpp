#pragma once
// The contract between the project's test main (framework/testing/main.cpp), ctest's
// registration of test binaries (cmake/ProjectTesting.cmake, cmake/BnetE2EScenario.cmake,
// suites/CMakeLists.txt) and the run's summary (bnet-e2e summary).

namespace e2e {

// A test binary's exit code when no test failed and at least one was skipped (ctest's
// SKIP_RETURN_CODE; 77 as in Automake). 0: all passed; 1: a test failed.
inline constexpr int kExitSkipped = 77;
// Set to 1 by ctest's registration: the test process writes its GoogleTest XML into the
// run folder as <run>/<kGtestResultsFolder>/<binary>.<pid>.xml.
inline constexpr const char* kGtestXmlVariable = "BNET_E2E_GTEST_XML";
inline constexpr const char* kGtestResultsFolder = "gtest";

}  // namespace e2e
