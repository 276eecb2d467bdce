#pragma once
// Test helpers: where the twin image and a test's artifact folder are.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fixtures/vm/twin_image.hpp"
#include "framework/process/child_process.hpp"

namespace qemu_test {

struct TwinImage {
  std::filesystem::path dir;
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::filesystem::path rootfs;
  std::string rootfs_format;
  std::string cmdline;
};

// The built twin image for the current recipe, or nullopt with the reason in `why`
// (bnet::findTwinImage in fixtures/vm: ensure.sh --check, or BNET_E2E_TWIN_DIR).
inline std::optional<TwinImage> findTwinImage(std::string& why) {
  auto image = bnet::findTwinImage(why);
  if (!image) return std::nullopt;
  return TwinImage{.dir = image->dir,
                   .kernel = image->kernel,
                   .initrd = image->initrd,
                   .rootfs = image->rootfs,
                   .rootfs_format = image->rootfs.extension() == ".qcow2" ? "qcow2" : "raw",
                   .cmdline = image->cmdline};
}

// Connects to 127.0.0.1:port and reads the first line the server sends (an SSH banner),
// waiting at most timeout. Returns the line, or nullopt with what happened in `observed`.
inline std::optional<std::string> readGreetingLine(std::uint16_t port, std::chrono::milliseconds timeout,
                                                   std::string& observed) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    observed = fmt::format("socket(): {}", std::strerror(errno));
    return std::nullopt;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    observed = fmt::format("connect 127.0.0.1:{}: {}", port, std::strerror(errno));
    ::close(fd);
    return std::nullopt;
  }
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      observed = fmt::format("connected, no line within {} ms (got {} bytes)", timeout.count(), got.size());
      ::close(fd);
      return std::nullopt;
    }
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) {
      observed = n == 0 ? "connected, then closed by the other side without a line" : std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::string line = got.substr(0, got.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace qemu_test
