// bnet-playground-twin: the lifecycle hook of the project's builder-playground impersonation
// (tests/l1/builder-playground) that boots the TWIN in place of the real image, the way
// buildernet/mkosi's scripts/start.sh boots QEMU: fixed loopback forwards, the console in
// .runtime/console.log, a pid file that scripts/stop.sh kills. It allow-lists the twin (its
// own measurement, the recipe's builder name and IP 1.2.3.4, a configuration the twin reads)
// at the recipe's hub and starts its attestation gateway, boots it, then holds it until
// SIGTERM/SIGINT.
//
//   bnet-playground-twin --el URL --beacon URL --relay URL --hub-instance URL --hub-admin URL
//       --hub-internal URL --dir DIR --pidfile FILE --console-link FILE --forward GUEST:HOST...
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>

#include "fixtures/hub/builder_hub.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"
#include "fixtures/vm/twin_image.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts

  CLI::App app{"bnet-playground-twin: the twin in place of buildernet/mkosi's VM (tests only)"};
  std::string el, beacon, relay, hub_instance, hub_admin, hub_internal;
  fs::path dir, pidfile, console_link;
  std::vector<std::string> forwards;
  app.add_option("--el", el)->required();
  app.add_option("--beacon", beacon)->required();
  app.add_option("--relay", relay)->required();
  app.add_option("--hub-instance", hub_instance)->required();
  app.add_option("--hub-admin", hub_admin)->required();
  app.add_option("--hub-internal", hub_internal)->required();
  app.add_option("--dir", dir)->required();
  app.add_option("--pidfile", pidfile)->required();
  app.add_option("--console-link", console_link)->required();
  app.add_option("--forward", forwards, "GUEST:HOST")->required();
  CLI11_PARSE(app, argc, argv);

  try {
    std::map<std::uint16_t, std::uint16_t> host_ports;
    for (const auto& f : forwards) {
      auto colon = f.find(':');
      if (colon == std::string::npos) throw std::invalid_argument(fmt::format("--forward '{}' is not GUEST:HOST", f));
      host_ports[static_cast<std::uint16_t>(std::stoi(f.substr(0, colon)))] = static_cast<std::uint16_t>(std::stoi(f.substr(colon + 1)));
    }
    std::string why;
    auto image = bnet::findTwinImage(why);
    if (!image) throw std::runtime_error(why);
    auto l1 = bnet::L1Devnet::start({.mode = bnet::L1Mode::kAttach,
                                     .work_dir = dir / "l1",
                                     .endpoints = {.el_url = el, .beacon_url = beacon, .relay_url = relay}});
    auto hub = bnet::BuilderHub::start(
        {.mode = bnet::HubMode::kAttach, .instance_url = hub_instance, .admin_url = hub_admin, .internal_url = hub_internal});
    auto setup = bnet::LocalBuilderSetup::start(hub, l1, *image,
                                                {.instance_name = "playground-vm-builder",
                                                 .network = "playground",
                                                 .extra_data = "Playground VM Builder \xE2\x9A\xA1\xF0\x9F\xA4\x96",
                                                 .ip = "1.2.3.4"});
    bnet::BuilderVmConfig base{.mode = bnet::VmMode::kTwin, .name = "playground-vm", .artifact_dir = dir, .host_ports = host_ports};
    auto vm = bnet::BuilderVm::start(setup.vmConfig(base));
    std::error_code ec;
    fs::remove(console_link, ec);
    fs::create_symlink(vm.machine().consolePath(), console_link, ec);
    {
      std::ofstream out(pidfile, std::ios::trunc);
      out << ::getpid() << "\n";
    }
    fmt::print("twin booting in place of the image (console {})\n", vm.machine().consolePath().string());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    fmt::print("signal {}: stopping the twin\n", sig);
    std::fflush(stdout);
    vm.stop();
    fs::remove(pidfile, ec);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bnet-playground-twin: {}\n", e.what());
    return 1;
  }
}
