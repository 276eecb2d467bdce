#include "tools/devnet/common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"

namespace bnet::devnet {

namespace eth = e2e::eth;

namespace {
std::array<std::uint8_t, 8> bigEndian(std::uint64_t v) {
  std::array<std::uint8_t, 8> out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}

eth::Bytes expand(std::string_view seed, std::size_t size) {
  eth::Bytes out;
  for (std::uint64_t counter = 0; out.size() < size; ++counter) {
    std::string input(seed);
    auto be = bigEndian(counter);
    input.append(reinterpret_cast<const char*>(be.data()), be.size());
    auto h = eth::keccak256(input);
    out.insert(out.end(), h.bytes().begin(), h.bytes().end());
  }
  out.resize(size);
  return out;
}

bool needsQuoting(std::string_view text) {
  if (text.empty()) return true;
  return !std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '/' || c == '@' || c == '^' || c == '+';
  });
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string value(std::string_view text) { return needsQuoting(text) ? quoted(text) : std::string(text); }
}  // namespace

std::string validatorPubkey(std::uint64_t index) {
  return eth::toHex(expand(fmt::format("bnet-devnet validator {}", index), 48));
}

std::string standInSignature(std::string_view what) {
  return eth::toHex(expand(fmt::format("bnet-devnet signature {}", what), 96));
}

eth::Hash32 standInRoot(std::string_view label, std::uint64_t slot, const eth::Hash32& el_hash) {
  std::string input = fmt::format("bnet-devnet {} {}", label, slot);
  input.append(reinterpret_cast<const char*>(el_hash.bytes().data()), el_hash.bytes().size());
  return eth::keccak256(input);
}

std::string Logger::format(std::string_view level, std::string_view msg, Fields fields) {
  std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::string line = fmt::format("time=\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\" level={} msg={}", utc.tm_year + 1900,
                                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, level, value(msg));
  for (const auto& [k, v] : fields) line += fmt::format(" {}={}", k, value(v));
  return line;
}

void Logger::write(std::string_view level, std::string_view msg, Fields fields) {
  std::string line = format(level, msg, std::move(fields)) + "\n";
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace bnet::devnet
