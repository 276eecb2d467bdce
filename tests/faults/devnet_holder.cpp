// Run by Reaper.PowerCut...: a "test binary" that starts the local devnet (bnet-devnet and
// its anvil, each recorded in the ProcessRegistry), writes their pids and ports to the file
// argv[1] (JSON), then sleeps until it is killed. Not registered with CTest.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "fixtures/l1/l1_devnet.hpp"
#include "framework/process/registry.hpp"

namespace {

std::uint16_t portOf(const std::string& url) {
  std::smatch m;
  if (!std::regex_search(url, m, std::regex(":([0-9]+)(/|$)"))) throw std::invalid_argument("no port in " + url);
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: devnet_holder INFO_FILE WORK_DIR\n";
    return 2;
  }
  try {
    auto devnet = bnet::L1Devnet::start({.mode = bnet::L1Mode::kLocal, .slot_seconds = 2, .work_dir = argv[2]});
    nlohmann::json info;
    info["pids"] = nlohmann::json::array();
    pid_t devnet_pid = 0;
    for (const auto& r : e2e::ProcessRegistry::list()) {
      if (r.owner_pid == ::getpid() && r.name == "bnet-devnet") devnet_pid = r.pid;
    }
    for (const auto& r : e2e::ProcessRegistry::list()) {
      if (r.pid == devnet_pid || (devnet_pid != 0 && r.owner_pid == devnet_pid)) info["pids"].push_back(r.pid);
    }
    const auto& endpoints = devnet.endpoints();
    info["ports"] = {portOf(endpoints.el_url), portOf(endpoints.beacon_url), portOf(endpoints.relay_url)};
    const std::string file = argv[1];
    std::ofstream(file + ".tmp") << info.dump();
    std::filesystem::rename(file + ".tmp", file);
    std::this_thread::sleep_for(std::chrono::minutes(10));
  } catch (const std::exception& e) {
    std::cerr << "devnet_holder: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
