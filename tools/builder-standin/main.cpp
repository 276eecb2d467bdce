// bnet-builder-standin: runs in the twin VM in place of FlowProxy and rbuilder (and on the
// host in tests). Usage:
//   bnet-builder-standin flowproxy [FlowProxy flags; env USER_LISTEN_ADDR, ...]
//   bnet-builder-standin rbuilder <config.toml>      (or `rbuilder run <config.toml>`)
// SIGTERM or SIGINT stops it gracefully (exit 0).
#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tools/builder-standin/flowproxy.hpp"
#include "tools/builder-standin/flowproxy_service.hpp"
#include "tools/builder-standin/log.hpp"
#include "tools/builder-standin/rbuilder_config.hpp"
#include "tools/builder-standin/rbuilder_service.hpp"

namespace {

constexpr const char* kUsage =
    "usage: bnet-builder-standin flowproxy [--help | FlowProxy flags]\n"
    "       bnet-builder-standin rbuilder [run] <config.toml>   (or RBUILDER_CONFIG=<config.toml>)\n";

// Blocks SIGTERM/SIGINT in every thread and turns them into a stop request.
class SignalStopper {
 public:
  explicit SignalStopper(bnet::standin::StopSignal& stop) : stop_(stop) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
      int sig = 0;
      sigwait(&set_, &sig);
      stop_.request();
    });
  }
  ~SignalStopper() {
    stop_.request();
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }

 private:
  bnet::standin::StopSignal& stop_;
  sigset_t set_;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  bnet::standin::Logger log;
  bnet::standin::StopSignal stop;
  const std::string mode = args[0];
  args.erase(args.begin());
  try {
    if (mode == "flowproxy") {
      bnet::standin::FlowProxyConfig config = bnet::standin::parseFlowProxyCommandLine(args);
      SignalStopper stopper(stop);
      return bnet::standin::runFlowProxy(config, stop, log);
    }
    if (mode == "rbuilder") {
      if (!args.empty() && args[0] == "run") args.erase(args.begin());
      std::string path;
      if (args.size() == 1) {
        path = args[0];
      } else if (args.empty() && std::getenv("RBUILDER_CONFIG")) {
        path = std::getenv("RBUILDER_CONFIG");
      } else {
        std::fputs(kUsage, stderr);
        return 2;
      }
      bnet::standin::RbuilderConfig config = bnet::standin::loadRbuilderConfig(path);
      SignalStopper stopper(stop);
      return bnet::standin::runRbuilder(config, stop, log);
    }
    std::fprintf(stderr, "bnet-builder-standin: unknown mode '%s'\n%s", mode.c_str(), kUsage);
    return 2;
  } catch (const bnet::standin::UsageExit& e) {
    std::fputs(e.text.c_str(), e.code == 0 ? stdout : stderr);
    return e.code;
  } catch (const bnet::standin::ConfigError& e) {
    log.error(mode == "flowproxy" ? "flowproxy" : "rbuilder", "Configuration error", {{"error", e.what()}});
    return 2;
  } catch (const std::exception& e) {
    log.error(mode == "flowproxy" ? "flowproxy" : "rbuilder", "Fatal error", {{"error", e.what()}});
    return 1;
  }
}
