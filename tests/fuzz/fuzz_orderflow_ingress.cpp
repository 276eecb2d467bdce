// The builder stand-in's orderflow user endpoint (UserIngress::handle: signature check,
// JSON-RPC envelope, eth_sendBundle / eth_sendRawTransaction params). The first line picks
// the headers: "flashbots" or "buildernet" signs the body (the rest of the input) with a
// fixed key, so fuzzing gets past the signature check; "raw" takes the next two lines as the
// X-BuilderNet-Signature and X-Flashbots-Signature values ("-" for absent). Each body is
// sent twice (the second time hits the duplicate cache). handle() answers every request
// with a JSON-RPC reply; it must never throw.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "framework/eth/request_signature.hpp"
#include "framework/eth/secp256k1.hpp"
#include "tools/builder-standin/flowproxy.hpp"

namespace {

std::string_view cutLine(std::string_view& text) {
  auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

std::optional<std::string> headerValue(std::string_view line) {
  if (line == "-") return std::nullopt;
  return std::string(line);
}

const e2e::eth::PrivateKey& userKey() {
  static const auto key = e2e::eth::PrivateKey::fromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view mode = cutLine(input);
  bnet::standin::SignatureHeaders headers;
  if (mode == "raw") {
    headers.buildernet = headerValue(cutLine(input));
    headers.flashbots = headerValue(cutLine(input));
  } else if (mode == "buildernet") {
    headers.buildernet = e2e::eth::makeSignatureHeader(userKey(), input);
  } else {
    headers.flashbots = e2e::eth::makeSignatureHeader(userKey(), input);
  }
  std::uint64_t now_us = 1'700'000'000'000'000;
  bnet::standin::UserIngress ingress({.order_cache_size = 16, .now_us = [&] { return now_us; }});
  ingress.handle(headers, input);
  now_us += 1000;
  ingress.handle(headers, input);
  return 0;
}
