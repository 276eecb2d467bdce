// Signed orderflow requests per second to a loopback endpoint: the builder stand-in's
// flowproxy mode (checks every X-Flashbots-Signature over the exact body, not forwarding).
//   framework: bnet::Orderflow::send(tx) - JSON body, signature header signed per request,
//              HTTP POST on a kept-alive connection, reply parsed.
//   baseline:  the same eth_sendRawTransaction bodies, pre-signed, posted by a bash loop of
//              curl (one process per request), as a shell script would.
// Both run in this one invocation against one stand-in; anvil serves the chain id and nonces.
// Usage: orderflow_bench [framework requests, default 2000] [curl requests, default 300]
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixtures/common/programs.hpp"
#include "fixtures/l1/execution_client.hpp"
#include "fixtures/l1/playground_output.hpp"
#include "fixtures/orderflow/orderflow.hpp"
#include "framework/eth/accounts.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/net/ports.hpp"
#include "framework/process/child_process.hpp"
#include "framework/wait/eventually.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace e2e::eth::literals;
namespace fs = std::filesystem;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

template <typename Probe>
void waitUp(e2e::ChildProcess& process, const std::string& what, Probe probe) {
  e2e::waitForReady(process, what, e2e::Deadline::after(std::chrono::seconds(30)), [&] {
    try {
      return probe();
    } catch (const e2e::HttpError& e) {
      return e2e::Attempt::retry(e.what());
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  int framework_requests = argc > 1 ? std::stoi(argv[1]) : 2000;
  int curl_requests = argc > 2 ? std::stoi(argv[2]) : 300;
  auto anvil = bnet::findAnvil();
  if (!anvil) {
    std::fprintf(stderr, "anvil not found: run tools/setup.sh or set BNET_ANVIL\n");
    return 2;
  }
  fs::path standin = bnet::findProjectProgram("bnet-builder-standin");
  fs::path dir = fs::temp_directory_path() / fmt::format("orderflow-bench-{}", ::getpid());
  fs::create_directories(dir);
  auto ports = e2e::reservePorts(3);

  auto anvil_process = e2e::ChildProcess::start(
      {.name = "anvil",
       .executable = *anvil,
       .args = {"--host", "127.0.0.1", "--port", std::to_string(ports[0].port()), "--chain-id", "1337"},
       .log_path = dir / "anvil.log"});
  bnet::ExecutionClient el({.url = fmt::format("http://127.0.0.1:{}", ports[0].port()), .ws_url = ""});
  waitUp(anvil_process, "anvil JSON-RPC", [&] {
    el.blockNumber();
    return e2e::Attempt::done();
  });

  auto flowproxy = e2e::ChildProcess::start(
      {.name = "flowproxy-standin",
       .executable = standin,
       .args = {"flowproxy"},
       .env = {{"USER_LISTEN_ADDR", fmt::format("127.0.0.1:{}", ports[1].port())},
               {"SYSTEM_LISTEN_ADDR", fmt::format("127.0.0.1:{}", ports[2].port())},
               {"BUILDERNET_NODE_NAME", "bench-builder"}},
       .unset_env = {"BUILDERHUB_ENDPOINT", "FLASHBOTS_ORDERFLOW_SIGNER", "BUILDER_ENDPOINT",
                     "BUILDER_READY_ENDPOINT"},
       .log_path = dir / "flowproxy.log"});
  std::string user_url = fmt::format("http://127.0.0.1:{}", ports[1].port());
  e2e::HttpClient probe({.base_url = user_url, .timeout = std::chrono::milliseconds(5000)});
  waitUp(flowproxy, "flowproxy /livez 200", [&] {
    auto status = probe.get("/livez").status;
    return e2e::Attempt::check(status == 200, fmt::format("/livez {}", status));
  });

  auto signer = e2e::eth::PrivateKey::random();
  bnet::Orderflow orderflow({.user_url = user_url, .execution = &el, .signer = signer});
  const auto& alice = e2e::eth::prefundedAccount(5);
  int total = std::max(framework_requests, curl_requests);
  std::vector<e2e::eth::SignedTx> txs;
  txs.reserve(total);
  e2e::eth::Fees fees{.max_fee_per_gas = 30_gwei, .max_priority_fee_per_gas = 2_gwei};
  for (int i = 0; i < total; ++i) {
    txs.push_back(e2e::eth::transfer(alice, e2e::eth::prefundedAccount(6), 1_gwei)
                      .sign(alice.key, 1337, static_cast<std::uint64_t>(i), fees));
  }

  // Framework: signs each request's header and posts it.
  int accepted = 0;
  auto start = Clock::now();
  for (int i = 0; i < framework_requests; ++i) accepted += orderflow.send(txs[i]).accepted() ? 1 : 0;
  double framework_seconds = secondsSince(start);

  // Baseline: the same bodies with their headers signed beforehand, one curl per request.
  fs::path bodies = dir / "requests";
  fs::create_directories(bodies);
  for (int i = 0; i < curl_requests; ++i) {
    nlohmann::json request = {
        {"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_sendRawTransaction"}, {"params", {txs[i].rawHex()}}};
    std::string body = request.dump();
    std::ofstream(bodies / fmt::format("{:05}.body", i)) << body;
    std::ofstream(bodies / fmt::format("{:05}.hdr", i))
        << "Content-Type: application/json\nX-Flashbots-Signature: " << e2e::eth::makeSignatureHeader(signer, body)
        << "\n";
  }
  std::string loop = fmt::format(
      "for f in {}/*.body; do curl -s -o /dev/null -w '%{{http_code}}\\n' -H \"@${{f%.body}}.hdr\" "
      "--data-binary \"@$f\" {}/; done | grep -c '^200$'",
      bodies.string(), user_url);
  start = Clock::now();
  auto result = e2e::runCommand({.name = "curl-loop", .executable = "/bin/bash", .args = {"-c", loop},
                                 .log_path = dir / "curl-loop.log"},
                                e2e::Deadline::after(std::chrono::seconds(300)));
  double curl_seconds = secondsSince(start);
  int curl_ok = std::atoi(result.output.c_str());

  flowproxy.stop();
  anvil_process.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);

  double framework_rate = framework_requests / framework_seconds;
  double curl_rate = curl_requests / curl_seconds;
  fmt::print("signed eth_sendRawTransaction requests per second to the flowproxy stand-in (loopback)\n");
  fmt::print("  framework Orderflow::send (signs each) : {:8.0f} /s  ({} requests, {} accepted)\n", framework_rate,
             framework_requests, accepted);
  fmt::print("  bash loop of curl (pre-signed)         : {:8.0f} /s  ({} requests, {} answered 200)\n", curl_rate,
             curl_requests, curl_ok);
  fmt::print("  framework/curl-loop                    : {:.1f}x\n", framework_rate / curl_rate);
  return accepted == framework_requests && curl_ok == curl_requests ? 0 : 1;
}
