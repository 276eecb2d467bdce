#include "framework/net/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fcntl.h>

#include <algorithm>
#include <barrier>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "framework/wait/eventually.hpp"
#include "framework/fs/fs.hpp"

extern char** environ;

using namespace std::chrono_literals;

namespace e2e {
namespace {

// A listening socket on 127.0.0.1:port, closed by the destructor; -1 when bind failed.
struct Listener {
  explicit Listener(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
};

// The port_holder helper as a second process: it reserves n ports and prints them, then
// holds them until its stdin closes.
class PortHolder {
 public:
  explicit PortHolder(int n) {
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    std::string count = std::to_string(n);
    std::string holder = e2e::inBuildTree(BNET_E2E_PORT_HOLDER).string();
    char* argv[] = {holder.data(), count.data(), nullptr};
    int rc = posix_spawn(&pid_, holder.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = from_child[0];
    if (rc != 0) throw std::runtime_error(fmt::format("posix_spawn {}: {}", holder, rc));
  }
  ~PortHolder() {
    release();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  // The n ports the child printed; bounded by the deadline.
  std::vector<std::uint16_t> readPorts(int n, const Deadline& deadline) {
    std::string text;
    std::vector<std::uint16_t> ports;
    eventually(fmt::format("port_holder prints {} ports", n), deadline, [&] {
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[512];
        auto got = ::read(stdout_, buf, sizeof buf);
        if (got == 0) return Attempt::fail("port_holder closed its output; got: " + text);
        if (got > 0) text.append(buf, static_cast<std::size_t>(got));
      }
      return Attempt::check(std::count(text.begin(), text.end(), '\n') >= n, "output so far: '" + text + "'");
    });
    std::istringstream in(text);
    for (unsigned p; in >> p;) ports.push_back(static_cast<std::uint16_t>(p));
    return ports;
  }

  // Closes the child's stdin and waits for it to exit.
  void releaseAndWait(const Deadline& deadline) {
    release();
    int status = 0;
    eventually("port_holder exits", deadline, [&] {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      return Attempt::check(r == pid_, "still running");
    });
    pid_ = -1;
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "port_holder status " << status;
  }

 private:
  void release() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
};

TEST(Ports, ReservedPortIsBindableOnLoopback) {
  auto reservation = reservePort();
  EXPECT_GT(reservation.port(), 1023);
  Listener listener(reservation.port());
  EXPECT_GE(listener.fd, 0) << "could not listen on reserved port " << reservation.port();
}

TEST(Ports, ParallelThreadsNeverGetTheSamePort) {
  constexpr int kThreads = 8, kEach = 25;
  std::mutex mu;
  std::vector<PortReservation> all;
  std::barrier sync(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      sync.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        auto r = reservePort();
        std::lock_guard lock(mu);
        all.push_back(std::move(r));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::uint16_t> distinct;
  for (const auto& r : all) distinct.insert(r.port());
  EXPECT_EQ(all.size(), std::size_t{kThreads * kEach});
  EXPECT_EQ(distinct.size(), all.size()) << "two live reservations share a port";
  // Every held port can be listened on at the same time.
  std::vector<std::unique_ptr<Listener>> listeners;
  for (auto port : distinct) {
    listeners.push_back(std::make_unique<Listener>(port));
    EXPECT_GE(listeners.back()->fd, 0) << "port " << port;
  }
}

TEST(Ports, ReservePortsGivesDistinctPorts) {
  auto ports = reservePorts(20);
  std::set<std::uint16_t> distinct;
  for (const auto& r : ports) distinct.insert(r.port());
  EXPECT_EQ(distinct.size(), 20u);
}

TEST(Ports, HeldPortIsRefusedAndReleasedPortCanBeReservedAgain) {
  auto reservation = reservePort();
  auto port = reservation.port();
  auto lock_file = portLockDirectory() / fmt::format("{}.lock", port);
  EXPECT_TRUE(std::filesystem::exists(lock_file));
  EXPECT_FALSE(tryReservePort(port).has_value()) << "port " << port << " was reserved twice";
  reservation.release();
  EXPECT_FALSE(std::filesystem::exists(lock_file)) << "release leaves " << lock_file;
  auto again = tryReservePort(port);
  ASSERT_TRUE(again.has_value()) << "released port " << port << " cannot be reserved again";
  EXPECT_EQ(again->port(), port);
}

TEST(Ports, MovedReservationKeepsTheLock) {
  auto first = reservePort();
  auto port = first.port();
  PortReservation moved = std::move(first);
  first.release();  // a moved-from reservation holds nothing
  EXPECT_FALSE(tryReservePort(port).has_value());
  moved.release();
  EXPECT_TRUE(tryReservePort(port).has_value());
}

TEST(Ports, PortBoundByAnotherProgramIsRefused) {
  auto reservation = reservePort();
  auto port = reservation.port();
  Listener outsider(port);
  ASSERT_GE(outsider.fd, 0);
  reservation.release();
  EXPECT_FALSE(tryReservePort(port).has_value()) << "port " << port << " is in use but was reserved";
}

TEST(Ports, TwoProcessesNeverGetTheSamePort) {
  constexpr int kEach = 40;
  auto deadline = Deadline::after(20s);
  PortHolder holder(kEach);
  auto child_ports = holder.readPorts(kEach, deadline);
  ASSERT_EQ(child_ports.size(), std::size_t{kEach});

  auto mine = reservePorts(kEach);
  std::set<std::uint16_t> child_set(child_ports.begin(), child_ports.end());
  EXPECT_EQ(child_set.size(), std::size_t{kEach});
  for (const auto& r : mine) EXPECT_EQ(child_set.count(r.port()), 0u) << "port " << r.port() << " held by both";
  for (auto port : child_ports) {
    EXPECT_FALSE(tryReservePort(port).has_value()) << "port " << port << " held by the other process";
  }

  holder.releaseAndWait(deadline);
  int reserved_again = 0;
  for (auto port : child_ports) reserved_again += tryReservePort(port).has_value() ? 1 : 0;
  // Parallel test runs on this host may take one of them meanwhile; nearly all must be free.
  EXPECT_GE(reserved_again, kEach - 2) << "ports released by the other process stay locked";
}

}  // namespace
}  // namespace e2e
