#include "framework/qemu/qmp.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace e2e {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

int connectUnix(const fs::path& path, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& p = path.native();
  if (p.size() >= sizeof(addr.sun_path)) {
    throw QmpError(fmt::format("QMP socket path {} is {} bytes; unix sockets allow {} (use a shorter directory)",
                               p, p.size(), sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = fmt::format("socket(): {}", std::strerror(errno));
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = fmt::format("connect({}): {}", p, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::unique_ptr<Qmp> Qmp::connect(const fs::path& socket, const Deadline& deadline) {
  int fd = -1;
  try {
    eventually(fmt::format("QMP socket {} accepts a connection", socket.string()), deadline, [&] {
      std::string error;
      fd = connectUnix(socket, error);
      return fd >= 0 ? Attempt::done() : Attempt::retry(error);
    }, WaitOptions{.first_interval = std::chrono::milliseconds(10), .max_interval = std::chrono::milliseconds(100)});
  } catch (const WaitError& e) {
    throw QmpError(e.what());
  }
  std::unique_ptr<Qmp> qmp(new Qmp(fd, socket));
  qmp->handshake(deadline);
  return qmp;
}

Qmp::Qmp(int fd, fs::path socket_path) : fd_(fd), socket_path_(std::move(socket_path)) {
  reader_ = std::thread([this] { readLoop(); });
}

Qmp::~Qmp() {
  ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

void Qmp::handshake(const Deadline& deadline) {
  {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline.at(), [&] { return greeting_.has_value() || closed_; });
    if (!greeting_) {
      throw QmpError(fmt::format("QMP {}: no greeting from QEMU ({})", socket_path_.string(),
                                 closed_ ? "connection closed: " + close_reason_ : "timed out"));
    }
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.remaining());
  execute("qmp_capabilities", json::object(), std::max(left, std::chrono::milliseconds(1000)));
}

void Qmp::readLoop() {
  std::string buffer;
  char chunk[8192];
  std::string reason = "QEMU closed the connection";
  for (;;) {
    ssize_t n = ::read(fd_, chunk, sizeof(chunk));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      reason = fmt::format("read: {}", std::strerror(errno));
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      json message = json::parse(line, nullptr, false);
      if (message.is_discarded() || !message.is_object()) continue;
      std::lock_guard lock(mu_);
      if (message.contains("QMP")) {
        greeting_ = message;
      } else if (message.contains("event")) {
        events_.push_back(QmpEvent{.name = message.value("event", ""),
                                   .data = message.value("data", json()),
                                   .timestamp = message.value("timestamp", json())});
        waker_.notify();
      } else if (message.contains("id") && message["id"].is_number_unsigned()) {
        const auto id = message["id"].get<std::uint64_t>();
        replies_[id] = std::move(message);
      }
      cv_.notify_all();
    }
  }
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    close_reason_ = reason;
  }
  cv_.notify_all();
  waker_.notify();
}

void Qmp::send(const json& message) {
  std::string text = message.dump() + "\n";
  std::lock_guard lock(write_mu_);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw QmpError(fmt::format("QMP {}: write failed: {}", socket_path_.string(), std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

json Qmp::execute(std::string_view command, const json& arguments, std::chrono::milliseconds timeout) {
  std::uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    if (closed_) {
      throw QmpError(fmt::format("QMP command '{}': connection to {} is closed ({})", command,
                                 socket_path_.string(), close_reason_));
    }
  }
  json message = {{"execute", command}, {"id", id}};
  if (!arguments.is_null() && !(arguments.is_object() && arguments.empty())) message["arguments"] = arguments;
  send(message);
  return waitForReply(id, command, timeout);
}

json Qmp::waitForReply(std::uint64_t id, std::string_view command, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  bool got = cv_.wait_for(lock, timeout, [&] { return replies_.count(id) > 0 || closed_; });
  auto it = replies_.find(id);
  if (it == replies_.end()) {
    if (!got) {
      throw QmpError(fmt::format("QMP command '{}': no answer within {}", command, formatDuration(timeout)));
    }
    throw QmpError(fmt::format("QMP command '{}': connection closed before the answer ({})", command, close_reason_));
  }
  json reply = std::move(it->second);
  replies_.erase(it);
  if (reply.contains("error")) {
    const json& err = reply["error"];
    std::string cls = err.value("class", "");
    throw QmpError(fmt::format("QMP command '{}' failed: {} ({})", command, err.value("desc", "no description"), cls), cls);
  }
  return reply.value("return", json::object());
}

std::string Qmp::humanMonitorCommand(std::string_view command_line, std::chrono::milliseconds timeout) {
  json out = execute("human-monitor-command", {{"command-line", command_line}}, timeout);
  return out.is_string() ? out.get<std::string>() : out.dump();
}

std::string Qmp::status() {
  json out = execute("query-status");
  return out.value("status", "");
}

void Qmp::systemPowerdown() { execute("system_powerdown"); }

void Qmp::quit() {
  try {
    execute("quit", json::object(), std::chrono::seconds(10));
  } catch (const QmpError&) {
    if (!closed()) throw;
  }
}

void Qmp::stopCpus() { execute("stop"); }
void Qmp::resumeCpus() { execute("cont"); }

namespace {
void checkHmpOutput(std::string_view what, std::string_view output) {
  // HMP reports failures as text ("Error: ..."); snapshot commands print nothing on success.
  if (output.find("Error") != std::string_view::npos) {
    throw QmpError(fmt::format("{} failed: {}", what, output));
  }
}
}  // namespace

void Qmp::saveSnapshot(std::string_view name, std::chrono::milliseconds timeout) {
  checkHmpOutput(fmt::format("savevm {}", name), humanMonitorCommand(fmt::format("savevm {}", name), timeout));
}

void Qmp::loadSnapshot(std::string_view name, std::chrono::milliseconds timeout) {
  checkHmpOutput(fmt::format("loadvm {}", name), humanMonitorCommand(fmt::format("loadvm {}", name), timeout));
}

void Qmp::deleteSnapshot(std::string_view name) {
  checkHmpOutput(fmt::format("delvm {}", name), humanMonitorCommand(fmt::format("delvm {}", name)));
}

std::vector<QmpEvent> Qmp::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

bool Qmp::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

QmpEvent Qmp::waitForEvent(std::string_view name, const Deadline& deadline, std::size_t from) {
  QmpEvent found;
  eventually(fmt::format("QMP event {}", name), deadline, [&] {
    std::lock_guard lock(mu_);
    for (std::size_t i = from; i < events_.size(); ++i) {
      if (events_[i].name == name) {
        found = events_[i];
        return Attempt::done();
      }
    }
    std::string seen;
    for (const auto& e : events_) seen += (seen.empty() ? "" : ", ") + e.name;
    std::string observation = seen.empty() ? "no events" : "events so far: " + seen;
    if (closed_) return Attempt::fail(fmt::format("connection closed ({}); {}", close_reason_, observation));
    return Attempt::retry(observation);
  }, WaitOptions{.first_interval = std::chrono::milliseconds(20), .max_interval = std::chrono::milliseconds(500),
                 .waker = &waker_});
  return found;
}

}  // namespace e2e
