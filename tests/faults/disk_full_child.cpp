// Run by ArtifactsFaults.DiskFull... with its artifacts folder on a 64 KiB tmpfs; not
// registered with CTest. Two tests fail on purpose (a big artifact, a chatty child process
// whose log cannot grow), one passes; the parent checks that every result is reported.
#include <gtest/gtest.h>

#include <string>

#include "framework/artifacts/artifacts.hpp"
#include "framework/process/child_process.hpp"

namespace {

using namespace std::chrono_literals;

TEST(DiskFull, WritingABigArtifactFails) {
  // Throws "artifact <path>: write failed: No space left on device": GoogleTest reports it
  // as this test's failure and goes on with the next test.
  e2e::Artifacts::instance().writeFile("big.txt", std::string(256 * 1024, 'x'));
}

TEST(DiskFull, AChildWhoseLogCannotGrowFailsItsTestNotTheProgram) {
  auto child = e2e::ChildProcess::start(
      {.name = "chatty", .executable = "sh", .args = {"-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo done"}});
  auto status = child.wait(e2e::Deadline::after(60s));
  ADD_FAILURE() << "fails on purpose: chatty " << status.describe()
                << "; the listener prints the log tails from a full disk";
}

TEST(DiskFull, ATestThatWritesNothingStillPasses) { SUCCEED(); }

}  // namespace
