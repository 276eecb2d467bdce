// The CLI's progress printer: on a terminal (a real pty) one line rewritten in place, on a
// pipe plain timestamped lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "tools/bnet-e2e/progress.hpp"

namespace bnet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Everything readable on fd now (the writer has finished writing).
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 100) <= 0 || !(p.revents & POLLIN)) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::chrono::system_clock::time_point fixedTime() {
  return std::chrono::system_clock::from_time_t(1795635776);  // 2026-11-25T19:42:56Z
}

TEST(Progress, OnATerminalRewritesOneLineInPlace) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0) << "openpty: " << std::strerror(errno);
  termios raw{};
  ASSERT_EQ(::tcgetattr(slave, &raw), 0);
  ::cfmakeraw(&raw);  // no "\n" -> "\r\n" translation: the bytes as written
  ASSERT_EQ(::tcsetattr(slave, TCSANOW, &raw), 0);
  {
    Progress progress("up local", {.fd = slave});
    EXPECT_TRUE(progress.terminal()) << "isatty on a pty";
    progress.update("booting: 2/8 boot units up");
    progress.update("booting: 2/8 boot units up");
    progress.note("boot unit render-config up (2/8)");
    progress.tick();
    progress.finish("up");
  }
  std::string out = drain(master);
  ::close(slave);
  ::close(master);
  EXPECT_THAT(out, HasSubstr("\rup local: starting [0s]\x1b[K"));
  EXPECT_THAT(out, HasSubstr("\rup local: booting: 2/8 boot units up [0s]\x1b[K"));
  EXPECT_THAT(out, HasSubstr("\rboot unit render-config up (2/8)\x1b[K\n")) << "a note stays on its own line";
  EXPECT_THAT(out, HasSubstr("\rup local: up [0s]\x1b[K\n"));
  EXPECT_THAT(out, Not(HasSubstr("2026-"))) << "no timestamps on a terminal";
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << "only the note and the final line end a line:\n" << out;
}

TEST(Progress, OnAPipePrintsTimestampedLinesOnlyWhenTheStatusChanges) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  {
    Progress progress("image build --twin", {.fd = fds[1], .wall_clock = fixedTime});
    EXPECT_FALSE(progress.terminal());
    progress.update("building");
    progress.tick();
    progress.update("building");
    progress.note("ensure.sh: building the twin image abc");
    progress.update("done soon");
    progress.finish("done");
    progress.finish("again");
  }
  ::close(fds[1]);
  std::string out = drain(fds[0]);
  ::close(fds[0]);
  EXPECT_EQ(out,
            "2026-11-25T19:42:56Z image build --twin: starting\n"
            "2026-11-25T19:42:56Z image build --twin: building\n"
            "2026-11-25T19:42:56Z image build --twin: ensure.sh: building the twin image abc\n"
            "2026-11-25T19:42:56Z image build --twin: done soon\n"
            "2026-11-25T19:42:56Z image build --twin: done [0s]\n");
}

TEST(Progress, ATerminalLineLeftOpenIsEndedWhenTheProgressGoes) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  termios raw{};
  ::tcgetattr(slave, &raw);
  ::cfmakeraw(&raw);
  ::tcsetattr(slave, TCSANOW, &raw);
  { Progress progress("down local", {.fd = slave}); }
  std::string out = drain(master);
  ::close(slave);
  ::close(master);
  EXPECT_EQ(out, "\rdown local: starting [0s]\x1b[K\n") << "an error message after it starts on its own line";
}

}  // namespace
}  // namespace bnet::cli
