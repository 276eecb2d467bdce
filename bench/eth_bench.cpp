// framework/eth throughput on one core: EIP-1559 transfers signed (build + sign + encode),
// X-Flashbots-Signature headers for a 1 KiB body, and bare libsecp256k1 signing of the
// same kind of hashes as the baseline the first two are compared with.
#include <benchmark/benchmark.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <array>
#include <string>
#include <vector>

#include "framework/eth/accounts.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/eth/transaction.hpp"

namespace {

using namespace e2e::eth;
using namespace e2e::eth::literals;

constexpr std::size_t kHashes = 1024;

const Fees kFees{.max_fee_per_gas = 30_gwei, .max_priority_fee_per_gas = 1_gwei};

std::string kibibyteBody() {
  std::string body = R"({"jsonrpc":"2.0","id":1,"method":"eth_sendBundle","params":[{"txs":[)";
  while (body.size() < 1024 - 40) body += "\"0x02f8" + std::string(40, 'a') + "\",";
  body.pop_back();
  body += R"(],"blockNumber":"0x1a2b"}]})";
  body.resize(1024, ' ');
  return body;
}

void BM_SignEip1559Transfer(benchmark::State& state) {
  const TestAccount& from = prefundedAccount(1);
  const Address to = prefundedAccount(0).address;
  std::uint64_t nonce = 0;
  for (auto _ : state) {
    SignedTx tx = transfer(from, to, 1_gwei).sign(from.key, 1337, nonce++, kFees);
    benchmark::DoNotOptimize(tx.raw().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEip1559Transfer);

void BM_SignatureHeader1KiB(benchmark::State& state) {
  const PrivateKey& key = prefundedAccount(1).key;
  std::string body = kibibyteBody();
  std::size_t i = 0;
  for (auto _ : state) {
    body[10] = static_cast<char>('0' + (i++ % 10));  // a different body each time, same size
    std::string header = makeSignatureHeader(key, body);
    benchmark::DoNotOptimize(header.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_SignatureHeader1KiB);

// The transfers' signing hashes, precomputed: what BM_SignEip1559Transfer signs.
std::vector<Hash32> transferSigningHashes() {
  const TestAccount& from = prefundedAccount(1);
  std::vector<Hash32> hashes;
  hashes.reserve(kHashes);
  for (std::size_t n = 0; n < kHashes; ++n) {
    hashes.push_back(signingHash(transfer(from, prefundedAccount(0), 1_gwei).complete(1337, n, kFees)));
  }
  return hashes;
}

void BM_Secp256k1SignBaseline(benchmark::State& state) {
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  std::array<unsigned char, 32> seed{};
  seed.fill(7);
  if (secp256k1_context_randomize(ctx, seed.data()) != 1) state.SkipWithError("context_randomize failed");
  std::array<unsigned char, 32> secret{};
  {
    Bytes b = fromHex(prefundedAccount(1).key.revealHex());  // the key the other benchmarks sign with
    std::copy(b.begin(), b.end(), secret.begin());
  }
  const std::vector<Hash32> hashes = transferSigningHashes();
  std::size_t i = 0;
  for (auto _ : state) {
    secp256k1_ecdsa_recoverable_signature sig;
    int ok = secp256k1_ecdsa_sign_recoverable(ctx, &sig, hashes[i++ % kHashes].bytes().data(), secret.data(),
                                              nullptr, nullptr);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(&sig);
  }
  state.SetItemsProcessed(state.iterations());
  secp256k1_context_destroy(ctx);
}
BENCHMARK(BM_Secp256k1SignBaseline);

// What a receiving builder does per transaction: decode and recover the sender.
void BM_DecodeAndRecoverTransfer(benchmark::State& state) {
  const TestAccount& from = prefundedAccount(1);
  std::vector<Bytes> raws;
  for (std::size_t n = 0; n < 256; ++n) {
    raws.push_back(transfer(from, prefundedAccount(0), 1_gwei).sign(from.key, 1337, n, kFees).raw());
  }
  std::size_t i = 0;
  for (auto _ : state) {
    SignedTx tx = decodeTransaction(raws[i++ % raws.size()]);
    benchmark::DoNotOptimize(tx.sender().bytes().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndRecoverTransfer);

void BM_Keccak1KiB(benchmark::State& state) {
  std::string body = kibibyteBody();
  for (auto _ : state) {
    Hash32 h = keccak256(body);
    benchmark::DoNotOptimize(h.bytes().data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_Keccak1KiB);

}  // namespace

// The first transaction BM_SignEip1559Transfer signs goes into the output's context, so
// bench/run_signing_bench.sh can check that ethers.js signed the very same bytes.
int main(int argc, char** argv) {
  const TestAccount& from = prefundedAccount(1);
  benchmark::AddCustomContext(
      "first_raw", toHex(transfer(from, prefundedAccount(0).address, 1_gwei).sign(from.key, 1337, 0, kFees).raw()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
