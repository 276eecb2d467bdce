#include "framework/process/guardian.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace e2e {
namespace {

constexpr int kMaxGroups = 8192;
pid_t g_groups[kMaxGroups];  // used only inside the guardian (static storage: no malloc after fork)

void sendValue(int fd, std::int32_t value) {
  const char* p = reinterpret_cast<const char*>(&value);
  std::size_t left = sizeof(value);
  while (left > 0) {
    ssize_t n = ::send(fd, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

[[noreturn]] void guardianMain(int fd) {
  // Own session: a signal sent to the test's process group does not reach the guardian.
  ::setsid();
  ::prctl(PR_SET_NAME, "e2e-guardian", 0, 0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(sig, SIG_IGN);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
  }
  if (fd != 3) {
    ::dup2(fd, 3);
    fd = 3;
  }
  // Hold no copy of the test's other descriptors (listening sockets, pipes to ctest).
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  int count = 0;
  for (;;) {
    std::int32_t value = 0;
    std::size_t got = 0;
    bool eof = false;
    while (got < sizeof(value)) {
      ssize_t n = ::read(fd, reinterpret_cast<char*>(&value) + got, sizeof(value) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = true;
        break;
      }
      got += static_cast<std::size_t>(n);
    }
    if (eof) break;
    if (value > 0) {
      if (count < kMaxGroups) g_groups[count++] = value;
    } else {
      for (int i = 0; i < count; ++i) {
        if (g_groups[i] == -value) {
          g_groups[i] = g_groups[--count];
          break;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) ::kill(-g_groups[i], SIGKILL);
  ::_exit(0);
}

}  // namespace

Guardian& Guardian::instance() {
  static Guardian guardian;
  return guardian;
}

Guardian::Guardian() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("process guardian: socketpair failed: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("process guardian: fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    guardianMain(fds[1]);
  }
  ::close(fds[1]);
  fd_ = fds[0];
  pid_ = pid;
}

void Guardian::registerFromChild(int fd, pid_t pgid) { sendValue(fd, static_cast<std::int32_t>(pgid)); }

void Guardian::release(pid_t pgid) { sendValue(fd_, -static_cast<std::int32_t>(pgid)); }

}  // namespace e2e
