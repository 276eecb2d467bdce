#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

namespace e2e {

// No port could be reserved (range exhausted, lock directory unusable); names the cause.
class PortError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A loopback TCP port held for this process: while the object lives, no other reservation
// (in any thread or process on the host) gets the same port. It holds a flock on
// <portLockDirectory()>/<port>.lock and checked that 127.0.0.1:<port> was bindable when it
// was taken. It does NOT keep a socket bound: the holder must bind the port soon (before
// handing it to anything slow), since programs that do not use this allocator can still
// take it. Move-only; the destructor releases the lock.
class PortReservation {
 public:
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  ~PortReservation();

  std::uint16_t port() const { return port_; }
  // Releases the lock now (idempotent); port() stays readable.
  void release() noexcept;

 private:
  friend std::optional<PortReservation> tryReservePort(std::uint16_t port);
  PortReservation(std::uint16_t port, int lock_fd);
  std::uint16_t port_ = 0;
  int lock_fd_ = -1;
};

// A free port from a range below the kernel's ephemeral range (so outgoing connections
// never take it). Does not block; throws PortError when no port in the range is free.
PortReservation reservePort();
// n distinct ports, all held until their objects die. Throws PortError like reservePort().
std::vector<PortReservation> reservePorts(std::size_t n);
// Exactly this port if it is unlocked and bindable on 127.0.0.1, else nullopt. Throws
// PortError only when the lock directory is unusable.
std::optional<PortReservation> tryReservePort(std::uint16_t port);
// The directory shared by every process on the host: /tmp/bnet-e2e-ports.
std::filesystem::path portLockDirectory();

}  // namespace e2e
