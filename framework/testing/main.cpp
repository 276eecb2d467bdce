#include <cstdio>
#include <exception>

#include <gtest/gtest.h>

#include "framework/artifacts/listener.hpp"
#include "framework/env/selection.hpp"

// GoogleTest main for every test binary of the project and of its users: takes
// `--env NAME|PATH` off the command line (GoogleTest would reject it), then installs the
// artifacts listener (per-test folders, log tails of failed tests, JUnit properties).
int main(int argc, char** argv) {
  try {
    e2e::consumeEnvFlag(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    e2e::installArtifactsListener();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "test", e.what());
    return 2;
  }
  return RUN_ALL_TESTS();
}
