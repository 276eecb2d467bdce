// builder-playground's outputs as the playground environments read them (label unit): the
// `•` service lines, recipe outputs, `port` answers, lifecycle log headers, start.sh's lines,
// the +5 offset and the known image incompatibility. Lines are the CLI's own
// (playground-recipes.md §1, §2, §4.5, §4.7).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "fixtures/l1/playground_output.hpp"
#include "fixtures/l1/playground_session.hpp"

namespace bnet {
namespace {

using ::testing::HasSubstr;

// A buildernet/mkosi start, as stderr and stdout interleave in one log.
const std::string kBuildernetStart =
    "Welcome to Builder Playground! \xE2\x9A\xA1\xEF\xB8\x8F\xF0\x9F\xA4\x96\n"
    "Session ID: brave-otter\nOutput folder: /tmp/run/playground/.session\n"
    "Waiting for services to get healthy... \xE2\x8F\xB3\n"
    "Running lifecycle hooks of services... \xE2\x8F\xB3\n"
    "All services started! \xE2\x9C\x85\n"
    "2026-03-04 10:00:00 \x1b[32mINF\x1b[0m \xE2\x80\xA2 beacon image=sigp/lighthouse tag=v8.1.0 http=3500/3500 "
    "p2p=9000/9000/udp p2p=9000/9001 quic-p2p=9100/9100\n"
    "\xE2\x80\xA2 builder host_path=./scripts\n"
    "\xE2\x80\xA2 builder-hub-api image=flashbots/builder-hub tag=0.3.1-alpha1 admin=8081/8081 http=8080/8080 "
    "internal=8082/8082 metrics=8090/8090\n"
    "\xE2\x80\xA2 el image=ghcr.io/paradigmxyz/reth tag=v1.9.3 http=8545/8545 rpc=30303/30303 ws=8546/8546\n"
    "All services are healthy! Ready to accept transactions. \xF0\x9F\x9A\x80 session-id=brave-otter\n"
    "Recipe outputs \xF0\x9F\x94\x8D\n"
    "\xE2\x80\xA2 builder-hub-proxy: http://localhost:8888\n"
    "\xE2\x80\xA2 builder-hub-admin: http://localhost:8081\n"
    "\xE2\x80\xA2 builder-hub-internal: http://localhost:8082\n";

TEST(PlaygroundServiceLines, ReadsImagePortsUdpAndHostPaths) {
  auto services = parsePlaygroundServices(kBuildernetStart, "start.log");
  ASSERT_EQ(services.size(), 4u);
  EXPECT_EQ(services[0].name, "beacon");
  EXPECT_EQ(services[0].image, "sigp/lighthouse");
  EXPECT_EQ(services[0].tag, "v8.1.0");
  ASSERT_EQ(services[0].ports.size(), 4u);
  EXPECT_TRUE(services[0].ports[1].udp);
  EXPECT_EQ(services[0].ports[1].host_port, 9000);
  // The TCP p2p port after the UDP one: 9001, as the hook's /ip4/10.0.2.2/tcp/9001 assumes.
  EXPECT_FALSE(services[0].ports[2].udp);
  EXPECT_EQ(services[0].ports[2].name, "p2p");
  EXPECT_EQ(services[0].ports[2].host_port, 9001);
  EXPECT_EQ(services[1].name, "builder");
  EXPECT_EQ(services[1].host_path, "./scripts");
  EXPECT_TRUE(services[1].ports.empty());
  EXPECT_EQ(services[2].tag, "0.3.1-alpha1");
  EXPECT_EQ(services[2].ports.at(0).name, "admin");
}

TEST(PlaygroundServiceLines, AMalformedPortNamesTheLine) {
  std::string log = "Session ID: x\n\xE2\x80\xA2 el image=reth tag=v1 http=8545-8545\n";
  try {
    parsePlaygroundServices(log, "start.log");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("start.log line 2"));
    EXPECT_THAT(e.what(), HasSubstr("http=8545-8545"));
  }
  EXPECT_THROW(parsePlaygroundServices("\xE2\x80\xA2 el http=8545/8545\n", "s"), PlaygroundOutputError);  // no image
  EXPECT_THROW(parsePlaygroundServices("\xE2\x80\xA2 el image=a http=0/8545\n", "s"), PlaygroundOutputError);
}

TEST(PlaygroundRecipeOutputs, ReadsTheBuildernetHubUrls) {
  auto outputs = parsePlaygroundRecipeOutputs(kBuildernetStart, "start.log");
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs.at("builder-hub-proxy"), "http://localhost:8888");
  EXPECT_EQ(outputs.at("builder-hub-admin"), "http://localhost:8081");
  EXPECT_EQ(outputs.at("builder-hub-internal"), "http://localhost:8082");
  // l1 has none; the service lines' "•" are not outputs.
  EXPECT_TRUE(parsePlaygroundRecipeOutputs("\xE2\x80\xA2 el image=a http=8545/8545\n", "l1.log").empty());
}

TEST(PlaygroundRecipeOutputs, AMalformedOutputNamesTheLine) {
  std::string log = "Recipe outputs \xF0\x9F\x94\x8D\n\xE2\x80\xA2 builder-hub-proxy: http://localhost:8888\n"
                    "\xE2\x80\xA2 builder-hub-admin http://localhost:8081\n";
  try {
    parsePlaygroundRecipeOutputs(log, "start.log");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("start.log line 3"));
    EXPECT_THAT(e.what(), HasSubstr("builder-hub-admin http"));
  }
}

TEST(PlaygroundPortAnswers, ReadsASinglePortAndAList) {
  EXPECT_EQ(parsePlaygroundPortAnswer("8081\n", "port builder-hub-api admin"), 8081);
  auto list = parsePlaygroundPortList("authrpc: 8551\nhttp: 8545\nmetrics: 9091\nrpc: 30303\nws: 8546\n", "port el --list");
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list.at("metrics"), 9091);
  EXPECT_EQ(list.at("ws"), 8546);
}

TEST(PlaygroundPortAnswers, ErrorsNameTheCommandAndLine) {
  try {
    parsePlaygroundPortAnswer("service 'hub' not found in session 'x'\n", "port hub http");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("port hub http line 1"));
    EXPECT_THAT(e.what(), HasSubstr("not found in session"));
  }
  EXPECT_THROW(parsePlaygroundPortAnswer("8545\n8546\n", "port el http"), PlaygroundOutputError);
  EXPECT_THROW(parsePlaygroundPortAnswer("", "port el http"), PlaygroundOutputError);
  try {
    parsePlaygroundPortList("http: 8545\nws 8546\n", "port el --list");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("port el --list line 2: not '<name>: <hostport>': 'ws 8546'"));
  }
  EXPECT_THROW(parsePlaygroundPortList("http: 70000\n", "l"), PlaygroundOutputError);
}

TEST(PlaygroundLifecycleLog, SplitsAtTheInitStartAndStopHeaders) {
  std::string log =
      "=== Init command 0: ./scripts/prepare.sh ===\nVM stopped (PID: 1)\nFormatting '.runtime/persistent.raw'\n"
      "=== Start command: ./scripts/start.sh ===\nVM started (PID: 4242)\n  waiting... 5s (HTTP 000)\n"
      "=== Stop command: ./scripts/stop.sh ===\nVM stopped (PID: 4242)\n";
  auto sections = parseLifecycleLog(log, "logs/builder.log");
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[0].kind, LifecycleSection::Kind::kInit);
  EXPECT_EQ(sections[0].index, 0);
  EXPECT_EQ(sections[0].command, "./scripts/prepare.sh");
  EXPECT_EQ(sections[0].lines.size(), 2u);
  EXPECT_EQ(sections[1].kind, LifecycleSection::Kind::kStart);
  EXPECT_EQ(sections[1].command, "./scripts/start.sh");
  EXPECT_EQ(sections[1].lines.at(0), "VM started (PID: 4242)");
  EXPECT_EQ(sections[2].kind, LifecycleSection::Kind::kStop);
}

TEST(PlaygroundLifecycleLog, BadHeadersAndOutputBeforeAHeaderNameTheLine) {
  EXPECT_THROW(parseLifecycleLog("VM started (PID: 1)\n", "builder.log"), PlaygroundOutputError);
  try {
    parseLifecycleLog("=== Init command 0: ./a ===\n=== Init command x: ./b ===\n", "builder.log");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("builder.log line 2"));
  }
  EXPECT_THROW(parseLifecycleLog("=== Restart command: ./a ===\n", "builder.log"), PlaygroundOutputError);
}

TEST(PlaygroundStartScript, FollowsStartedWaitingAndReady) {
  auto waiting = parseStartScriptOutput("VM started (PID: 4242)\n  waiting... 5s (HTTP 000)\n  waiting... 10s (HTTP 503)\n", "s");
  EXPECT_EQ(waiting.pid, 4242);
  EXPECT_EQ(waiting.waited_seconds, 10);
  EXPECT_EQ(waiting.last_http_code, 503);
  EXPECT_FALSE(waiting.ready_after_seconds.has_value());
  auto ready = parseStartScriptOutput("VM started (PID: 7)\n  waiting... 5s (HTTP 000)\nVM ready after 85s (PID: 7)\n", "s");
  EXPECT_EQ(ready.ready_after_seconds, 85);
  EXPECT_FALSE(ready.error.has_value());
  auto failed = parseStartScriptOutput("VM started (PID: 7)\nError: QEMU process died during boot\n", "s");
  EXPECT_EQ(failed.error, "QEMU process died during boot");
  auto timeout = parseStartScriptOutput("Error: VM did not become ready within 300s\n", "s");
  EXPECT_EQ(timeout.error, "VM did not become ready within 300s");
}

TEST(PlaygroundStartScript, AMangledLineNamesIt) {
  try {
    parseStartScriptOutput("VM started (PID: 7)\n  waiting... 5 s (HTTP 000)\n", "logs/builder.log");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("logs/builder.log line 2"));
  }
  EXPECT_THROW(parseStartScriptOutput("VM started (PID: x)\n", "s"), PlaygroundOutputError);
}

TEST(PlaygroundPortOffset, ASecondSessionsPortsAreReadNotAssumed) {
  EXPECT_EQ(playgroundFirstCandidatePort(8545, 0), 8545);
  EXPECT_EQ(playgroundFirstCandidatePort(8545, 1), 8550);
  EXPECT_EQ(playgroundFirstCandidatePort(3500, 2), 3510);
  EXPECT_THROW(playgroundFirstCandidatePort(65534, 1), std::out_of_range);
  // A second, non-detached session: every port +5 (the beacon's TCP p2p one more, past UDP).
  std::string second =
      "\xE2\x80\xA2 el image=reth tag=v1.9.3 http=8545/8550 ws=8546/8551 authrpc=8551/8556\n"
      "\xE2\x80\xA2 beacon image=sigp/lighthouse tag=v8.1.0 http=3500/3505 p2p=9000/9005/udp p2p=9000/9006\n"
      "\xE2\x80\xA2 mev-boost-relay image=playground-utils tag=x http=5555/5560\n";
  auto services = parsePlaygroundServices(second, "second.log");
  EXPECT_EQ(observedPortOffset(services), 5);
  PlaygroundPorts ports = parsePlaygroundServiceLines(second);
  EXPECT_EQ(hostPortOf(ports, "el", 8545), 8550);
  EXPECT_EQ(hostPortOf(ports, "beacon", 9000), 9006);
  EXPECT_EQ(hostPortOf(ports, "mev-boost-relay", 5555), 5560);
  EXPECT_EQ(observedPortOffset(parsePlaygroundServices(kBuildernetStart, "first.log")), 0);
  EXPECT_FALSE(observedPortOffset({}).has_value());
}

TEST(PlaygroundIncompatibility, APersistentSetupThatNeverFindsItsDiskIsNamed) {
  std::string stuck =
      "[  OK  ] Finished render-config.service\n"
      "persistent-setup[612]: persistent-setup: Waiting for device with serial persistent to appear...\n"
      "[FAILED] Failed to start persistent-setup.service\n";
  auto why = detectPlaygroundIncompatibility(stuck);
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("known image/builder-playground incompatibility"));
  EXPECT_THAT(*why, HasSubstr("serial persistent"));
  EXPECT_THAT(*why, HasSubstr("v2.6"));
  std::string lun = "persistent-setup: Waiting for device with LUN 10 to appear...\n";
  EXPECT_THAT(detectPlaygroundIncompatibility(lun).value_or(""), HasSubstr("LUN 10"));
  std::string found = lun + "persistent-setup: Found device /dev/nvme1n1 for LUN 10\n";
  EXPECT_FALSE(detectPlaygroundIncompatibility(found).has_value());
  EXPECT_FALSE(detectPlaygroundIncompatibility("Kernel panic\n").has_value());
}

}  // namespace
}  // namespace bnet

namespace bnet {
namespace {

TEST(PlaygroundRecipeFiles, ReadsTheStartScriptsForwards) {
  std::string script =
      "QEMU_ACCEL=${QEMU_ACCEL:-kvm}\n"
      "  -nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:40192,hostfwd=tcp:127.0.0.1:13535-:3535,"
      "hostfwd=tcp:127.0.0.1:18645-:8645,hostfwd=tcp:127.0.0.1:10080-:80,hostfwd=tcp:127.0.0.1:10443-:443 \\\n";
  auto forwards = parseHostForwards(script, "scripts/start.sh");
  ASSERT_EQ(forwards.size(), 5u);
  EXPECT_EQ(forwards.at(443), 10443);
  EXPECT_EQ(forwards.at(40192), 2222);
  EXPECT_EQ(forwards.at(3535), 13535);
  try {
    parseHostForwards("a\nb hostfwd=tcp:127.0.0.1:x-:443\n", "scripts/start.sh");
    FAIL() << "no error";
  } catch (const PlaygroundOutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("scripts/start.sh line 2"));
  }
}

TEST(PlaygroundRecipeFiles, RecipeFlagsGoIntoBaseArgs) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("bnet-recipe-{}", ::getpid());
  std::filesystem::create_directories(dir);
  auto yaml = dir / "playground.yaml";
  std::ofstream(yaml) << "recipe: buildernet\nbase_args: [\"--latest-fork\"]\nservices:\n  builder:\n    lifecycle_hooks: true\n";
  writeRecipeBaseArgs(yaml, {"--block-time", "2s"});
  auto root = YAML::LoadFile(yaml.string());
  ASSERT_TRUE(root["base_args"].IsSequence());
  EXPECT_EQ(root["base_args"].size(), 3u);
  EXPECT_EQ(root["base_args"][0].as<std::string>(), "--latest-fork");
  EXPECT_EQ(root["base_args"][2].as<std::string>(), "2s");
  EXPECT_TRUE(root["services"]["builder"]["lifecycle_hooks"].as<bool>());
  std::ofstream(yaml, std::ios::trunc) << "services: {}\n";
  EXPECT_THROW(writeRecipeBaseArgs(yaml, {"--block-time", "2s"}), PlaygroundOutputError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bnet
