#pragma once
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "framework/wait/eventually.hpp"

namespace e2e {

// A QMP command failed: QEMU answered with an error (error_class() is its class, e.g.
// "GenericError"), the answer did not come in time, or the connection closed.
class QmpError : public std::runtime_error {
 public:
  QmpError(std::string message, std::string error_class = {})
      : std::runtime_error(std::move(message)), error_class_(std::move(error_class)) {}
  const std::string& errorClass() const { return error_class_; }

 private:
  std::string error_class_;
};

// One asynchronous QMP event (SHUTDOWN, POWERDOWN, STOP, RESET, ...), as QEMU sent it.
struct QmpEvent {
  std::string name;
  nlohmann::json data;  // the "data" member, or null
  nlohmann::json timestamp;
};

// A QMP client on a unix socket (`-qmp unix:PATH,server=on,wait=off`). A reader thread
// takes answers and events off the socket, so events are seen while no command runs.
// Thread-safe; not copyable or movable (hold it by unique_ptr).
class Qmp {
 public:
  // Connects, reads the greeting and negotiates capabilities (qmp_capabilities).
  // Retries the connection until the deadline (the socket may not exist yet); throws
  // QmpError naming the socket and the last error.
  static std::unique_ptr<Qmp> connect(const std::filesystem::path& socket, const Deadline& deadline);
  ~Qmp();
  Qmp(const Qmp&) = delete;
  Qmp& operator=(const Qmp&) = delete;

  // Runs one command and returns its "return" member. Blocks up to timeout; throws
  // QmpError on an error answer (naming the command and QEMU's description), on timeout or
  // when the connection closes first.
  nlohmann::json execute(std::string_view command,
                         const nlohmann::json& arguments = nlohmann::json::object(),
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // A human monitor (HMP) command line, e.g. "info snapshots"; returns its text output.
  std::string humanMonitorCommand(std::string_view command_line,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // query-status: "running", "paused", "shutdown", "postmigrate", "inmigrate", ...
  std::string status();
  // Presses the ACPI power button (system_powerdown); returns at once.
  void systemPowerdown();
  // Asks QEMU to exit (quit). An answer lost because QEMU closed the socket counts as done.
  void quit();
  void stopCpus();   // stop
  void resumeCpus(); // cont

  // Internal snapshots in the qcow2 disks (HMP savevm/loadvm/delvm). Every writable disk
  // must be qcow2, and every device migratable (QEMU 7.2's nvme is not). Throws QmpError
  // with QEMU's message when the monitor reports an error.
  void saveSnapshot(std::string_view name, std::chrono::milliseconds timeout = std::chrono::minutes(5));
  void loadSnapshot(std::string_view name, std::chrono::milliseconds timeout = std::chrono::minutes(5));
  void deleteSnapshot(std::string_view name);
  // Every event received so far, in order.
  std::vector<QmpEvent> events() const;
  // Blocks until an event with this name arrives (or has arrived, counting from the
  // index `from`, default all) and returns it; WaitTimeout at the deadline, WaitFailed if
  // the connection closes without it.
  QmpEvent waitForEvent(std::string_view name, const Deadline& deadline, std::size_t from = 0);
  // True once QEMU closed the connection (it exited or is exiting).
  bool closed() const;
  const std::filesystem::path& socketPath() const { return socket_path_; }

 private:
  Qmp(int fd, std::filesystem::path socket_path);
  void readLoop();
  void handshake(const Deadline& deadline);
  nlohmann::json waitForReply(std::uint64_t id, std::string_view command, std::chrono::milliseconds timeout);
  void send(const nlohmann::json& message);

  int fd_;
  std::filesystem::path socket_path_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Waker waker_;
  std::mutex write_mu_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, nlohmann::json> replies_;
  std::vector<QmpEvent> events_;
  std::optional<nlohmann::json> greeting_;
  bool closed_ = false;
  std::string close_reason_;
  std::thread reader_;
};

}  // namespace e2e
