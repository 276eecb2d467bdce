#pragma once
// Progress of a long CLI step (up, down, image build, run). On a terminal: one line kept
// up to date in place ("\r", erase to end of line) with the elapsed seconds. Elsewhere (a
// pipe, a CI log): one timestamped line per change of status, nothing rewritten.
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace bnet::cli {

class Progress {
 public:
  struct Config {
    int fd = STDOUT_FILENO;
    std::optional<bool> terminal;  // empty: isatty(fd)
    // The wall clock for plain lines' timestamps (tests pin it).
    std::function<std::chrono::system_clock::time_point()> wall_clock = [] { return std::chrono::system_clock::now(); };
  };

  // Starts timing `task` (e.g. "up local") and shows "task: starting".
  explicit Progress(std::string task, Config config);
  explicit Progress(std::string task) : Progress(std::move(task), Config{}) {}
  // Ends an unfinished line on a terminal (so a thrown error starts on a line of its own).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool terminal() const { return terminal_; }
  // Sets the current status. Terminal: redraws "task: status [12s]". Plain: prints a
  // timestamped line only when the status differs from the last one printed.
  void update(const std::string& status);
  // Terminal: redraws the current status with the new elapsed time; plain: nothing.
  void tick();
  // A line that stays (a unit finished, a test failed): printed above the status line.
  void note(const std::string& line);
  // The last status: "task: result [12s]" and a newline in both forms. Idempotent.
  void finish(const std::string& result);
  // Seconds since construction.
  double elapsedSeconds() const;

 private:
  void write(const std::string& text) const;
  std::string statusLine() const;
  std::string timestamp() const;

  std::string task_;
  Config config_;
  bool terminal_ = false;
  bool line_open_ = false;  // terminal: a status line without its newline is on screen
  bool finished_ = false;
  std::string status_;
  std::string printed_status_;  // plain: the last status printed
  std::chrono::steady_clock::time_point started_;
};

}  // namespace bnet::cli
