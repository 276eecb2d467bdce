#include "framework/net/ports.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

namespace e2e {
namespace {

// Ports are taken from this range minus the kernel's ephemeral range, so that an outgoing
// connection (which gets an ephemeral source port) can never occupy a reserved port.
constexpr std::uint16_t kFirstPort = 20000;
constexpr std::uint16_t kLastPort = 32767;

std::string errnoText(int err) { return std::strerror(err); }

struct PortRange {
  std::vector<std::uint16_t> ports;
  std::string description;
};

const PortRange& candidatePorts() {
  static const PortRange range = [] {
    unsigned ephemeral_first = 0, ephemeral_last = 0;
    std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
    if (!(in >> ephemeral_first >> ephemeral_last)) ephemeral_first = ephemeral_last = 0;
    PortRange r;
    for (unsigned p = kFirstPort; p <= kLastPort; ++p) {
      if (ephemeral_last != 0 && p >= ephemeral_first && p <= ephemeral_last) continue;
      r.ports.push_back(static_cast<std::uint16_t>(p));
    }
    r.description = fmt::format("{}-{} without the ephemeral range {}-{}", kFirstPort, kLastPort,
                                ephemeral_first, ephemeral_last);
    if (r.ports.empty()) {  // the ephemeral range covers ours: better a small risk than none
      for (unsigned p = kFirstPort; p <= kLastPort; ++p) r.ports.push_back(static_cast<std::uint16_t>(p));
      r.description = fmt::format("{}-{} (inside the ephemeral range {}-{})", kFirstPort, kLastPort,
                                  ephemeral_first, ephemeral_last);
    }
    return r;
  }();
  return range;
}

std::filesystem::path lockPath(std::uint16_t port) {
  return portLockDirectory() / fmt::format("{}.lock", port);
}

// Creates the shared directory world-writable with the sticky bit (like /tmp itself), so
// test runs of different users share one set of locks.
void ensureLockDirectory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0777) == 0) {
    ::chmod(dir.c_str(), 01777);
  } else if (errno != EEXIST) {
    throw PortError(fmt::format("port lock directory {}: cannot create: {}", dir.string(),
                                errnoText(errno)));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw PortError(fmt::format("port lock directory {} is not a directory; remove it",
                                dir.string()));
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw PortError(fmt::format("port lock directory {} is not writable by uid {}; fix: chmod 1777 {}",
                                dir.string(), ::getuid(), dir.string()));
  }
}

bool bindableOnLoopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // No SO_REUSEADDR: a port with connections lingering in TIME_WAIT is refused too, so
  // the holder can bind it whether or not its server sets SO_REUSEADDR.
  bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::filesystem::path portLockDirectory() { return "/tmp/bnet-e2e-ports"; }

PortReservation::PortReservation(std::uint16_t port, int lock_fd) : port_(port), lock_fd_(lock_fd) {}

PortReservation::PortReservation(PortReservation&& other) noexcept
    : port_(other.port_), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

PortReservation& PortReservation::operator=(PortReservation&& other) noexcept {
  if (this != &other) {
    release();
    port_ = other.port_;
    lock_fd_ = other.lock_fd_;
    other.lock_fd_ = -1;
  }
  return *this;
}

PortReservation::~PortReservation() { release(); }

void PortReservation::release() noexcept {
  if (lock_fd_ < 0) return;
  // Unlink while still holding the lock: a process that opened the old file meanwhile sees
  // after locking that the path no longer names its file, and retries (see tryReservePort).
  ::unlink(lockPath(port_).c_str());
  ::close(lock_fd_);
  lock_fd_ = -1;
}

std::optional<PortReservation> tryReservePort(std::uint16_t port) {
  auto dir = portLockDirectory();
  ensureLockDirectory(dir);
  auto path = lockPath(port);
  for (int attempt = 0; attempt < 8; ++attempt) {
    // Read-only is enough for flock and works on a stale file left by another user.
    int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EACCES || errno == EPERM) return std::nullopt;  // another user's file
      throw PortError(fmt::format("port lock {}: cannot open: {}", path.string(), errnoText(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return std::nullopt;  // held by another reservation
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
        held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
      ::close(fd);  // the file was released and unlinked between open and flock
      continue;
    }
    PortReservation reservation(port, fd);
    if (!bindableOnLoopback(port)) return std::nullopt;  // in use by a program outside
    return reservation;
  }
  return std::nullopt;
}

PortReservation reservePort() {
  const auto& range = candidatePorts();
  thread_local std::mt19937 rng{std::random_device{}()};
  std::size_t start = std::uniform_int_distribution<std::size_t>(0, range.ports.size() - 1)(rng);
  for (std::size_t i = 0; i < range.ports.size(); ++i) {
    auto port = range.ports[(start + i) % range.ports.size()];
    if (auto reservation = tryReservePort(port)) return std::move(*reservation);
  }
  throw PortError(fmt::format("no free loopback port: all {} ports of {} are reserved or bound",
                              range.ports.size(), range.description));
}

std::vector<PortReservation> reservePorts(std::size_t n) {
  std::vector<PortReservation> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(reservePort());
  return out;
}

}  // namespace e2e
