// Event detection latency: how long after a block is mined (evm_mine sent at a known time,
// a random 0.1-1.5 s into the wait) ExecutionClient::waitForBlock returns, with polling (the
// default e2e::eventually backoff, 20 ms growing to 1 s) against the newHeads subscription.
// Both run in this one invocation against one anvil. Prints p50 and p95 of each and the
// polling/subscription ratios.
// Then the same for beacon head slots on bnet-devnet (slot 1 s): from the slot's start
// (genesis + slot * 1 s, wall clock) to BeaconClient::waitForHeadSlot returning, polling
// (head_events = false) against the SSE head stream.
// Usage: event_latency_bench [trials per mode, default 20]    (about 60 s)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/common/programs.hpp"
#include "fixtures/l1/execution_client.hpp"
#include "fixtures/l1/l1_devnet.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Milliseconds from sending evm_mine to waitForBlock returning, per trial.
std::vector<double> measure(bnet::ExecutionClient& waiter, bnet::ExecutionClient& miner, int trials,
                            std::mt19937& rng) {
  std::uniform_int_distribution<int> delay_ms(100, 1500);
  std::vector<double> out;
  for (int t = 0; t < trials; ++t) {
    std::uint64_t next = miner.blockNumber() + 1;
    Clock::time_point seen;
    std::thread wait([&] {
      waiter.waitForBlock(next, e2e::Deadline::after(std::chrono::seconds(30)));
      seen = Clock::now();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    Clock::time_point mined = Clock::now();
    miner.rpc().call("evm_mine");
    wait.join();
    out.push_back(std::chrono::duration<double, std::milli>(seen - mined).count());
  }
  return out;
}

// Milliseconds from each slot's start to waitForHeadSlot(slot) returning, per trial.
std::vector<double> measureSlots(bnet::BeaconClient& beacon, const bnet::L1Devnet& devnet, int trials) {
  std::vector<double> out;
  for (int t = 0; t < trials; ++t) {
    std::uint64_t slot = beacon.head().slot + 1;
    beacon.waitForHeadSlot(slot, e2e::Deadline::after(std::chrono::seconds(30)));
    auto seen = std::chrono::system_clock::now();
    auto start = std::chrono::system_clock::time_point(
        std::chrono::seconds(devnet.genesisTime() + slot * devnet.slotSeconds()));
    out.push_back(std::chrono::duration<double, std::milli>(seen - start).count());
  }
  return out;
}

void report(const std::string& title, const std::string& poll_name, const std::vector<double>& poll_ms,
            const std::string& event_name, const std::vector<double>& event_ms, int trials) {
  double p50p = percentile(poll_ms, 0.5), p95p = percentile(poll_ms, 0.95);
  double p50s = percentile(event_ms, 0.5), p95s = percentile(event_ms, 0.95);
  fmt::print("{} ({} trials each)\n", title, trials);
  fmt::print("  {:<30}: p50 {:7.1f} ms   p95 {:7.1f} ms\n", poll_name, p50p, p95p);
  fmt::print("  {:<30}: p50 {:7.1f} ms   p95 {:7.1f} ms   (target p95 <= 100 ms)\n", event_name, p50s, p95s);
  fmt::print("  {:<30}: p50 {:.1f}x   p95 {:.1f}x\n", "polling/events", p50p / p50s, p95p / p95s);
}

}  // namespace

int main(int argc, char** argv) {
  int trials = argc > 1 ? std::stoi(argv[1]) : 20;
  auto anvil = bnet::findAnvil();
  if (!anvil) {
    std::fprintf(stderr, "anvil not found: run tools/setup.sh or set BNET_ANVIL\n");
    return 2;
  }
  std::vector<double> poll_ms, sub_ms;
  {
    auto port = e2e::reservePort();
    auto log = std::filesystem::temp_directory_path() / fmt::format("event-latency-anvil-{}.log", ::getpid());
    auto process = e2e::ChildProcess::start(
        {.name = "anvil",
         .executable = *anvil,
         .args = {"--host", "127.0.0.1", "--port", std::to_string(port.port()), "--chain-id", "1337"},
         .log_path = log});
    std::string url = fmt::format("http://127.0.0.1:{}", port.port());
    bnet::ExecutionClient miner({.url = url, .ws_url = ""});
    e2e::waitForReady(process, "anvil JSON-RPC", e2e::Deadline::after(std::chrono::seconds(20)), [&] {
      try {
        miner.blockNumber();
        return e2e::Attempt::done();
      } catch (const e2e::HttpError& e) {
        return e2e::Attempt::retry(e.what());
      }
    });
    bnet::ExecutionClient polling({.url = url, .ws_url = ""});
    bnet::ExecutionClient subscribed({.url = url});
    if (subscribed.waitSource() != bnet::WaitSource::kSubscription) {
      std::fprintf(stderr, "no newHeads subscription: %s\n", subscribed.whySource().c_str());
      return 1;
    }
    std::mt19937 rng(11);
    poll_ms = measure(polling, miner, trials, rng);
    sub_ms = measure(subscribed, miner, trials, rng);
    process.stop();
    std::filesystem::remove(log);
  }
  report("block detection latency, evm_mine sent -> waitForBlock returns (anvil)", "polling (eventually backoff)",
         poll_ms, "newHeads subscription", sub_ms, trials);

  int slot_trials = std::max(1, trials / 2);
  auto work = std::filesystem::temp_directory_path() / fmt::format("event-latency-devnet-{}", ::getpid());
  std::vector<double> slot_poll_ms, slot_sse_ms;
  {
    auto l1 = bnet::L1Devnet::start({.mode = bnet::L1Mode::kLocal,
                                     .slot_seconds = 1,
                                     .work_dir = work,
                                     .devnet_program = bnet::findProjectProgram("bnet-devnet")});
    bnet::BeaconClient beacon_polling(l1.beaconUrl(), false);
    bnet::BeaconClient beacon_events(l1.beaconUrl(), true);
    if (!beacon_events.headEventsActive()) {
      std::fprintf(stderr, "no SSE head stream at %s\n", l1.beaconUrl().c_str());
      return 1;
    }
    slot_poll_ms = measureSlots(beacon_polling, l1, slot_trials);
    slot_sse_ms = measureSlots(beacon_events, l1, slot_trials);
  }
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  fmt::print("\n");
  report("head slot detection latency, slot start -> waitForHeadSlot returns (bnet-devnet, slot 1 s)",
         "polling (eventually backoff)", slot_poll_ms, "SSE head stream", slot_sse_ms, slot_trials);
  return 0;
}
