#include <csignal>
#include <cstdio>
#include <exception>

#include <gtest/gtest.h>

#include "framework/artifacts/listener.hpp"
#include "framework/env/selection.hpp"
#include "framework/process/registry.hpp"
#include "framework/testing/skip_unavailable.hpp"

// GoogleTest main for every test binary of the project and of its users: ends what an
// earlier crashed run left behind (processes whose test process is gone), takes
// `--env NAME|PATH` off the command line (GoogleTest would reject it), then installs the
// artifacts listener (per-test folders, log tails of failed tests, JUnit properties) and
// the listener that reports a test skipped when an e2e::Unavailable escapes it.
int main(int argc, char** argv) {
  // A peer that hangs up must be an error, not a death: cpp-httplib writes without
  // MSG_NOSIGNAL, and the tests run loopback servers in-process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    for (const auto& note : e2e::ProcessRegistry::reap().notes) {
      std::fprintf(stderr, "reaper: %s\n", note.c_str());
    }
    e2e::consumeEnvFlag(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    e2e::installArtifactsListener();
    e2e::installSkipUnavailableListener();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "test", e.what());
    return 2;
  }
  return RUN_ALL_TESTS();
}
