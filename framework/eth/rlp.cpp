#include "framework/eth/rlp.hpp"

#include <fmt/format.h>

#include "framework/eth/errors.hpp"

namespace e2e::eth::rlp {

Item Item::bytes(std::span<const std::uint8_t> b) { return bytes(Bytes(b.begin(), b.end())); }

Item Item::bytes(Bytes b) {
  Item item;
  item.value_ = std::move(b);
  return item;
}

Item Item::string(std::string_view s) {
  return bytes(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

Item Item::uint(const U256& value) { return bytes(toMinimalBigEndian(value)); }
Item Item::uint(std::uint64_t value) { return uint(U256(value)); }
Item Item::address(const Address& a) { return bytes(a.span()); }
Item Item::hash(const Hash32& h) { return bytes(h.span()); }

Item Item::list(std::vector<Item> items) {
  Item item;
  item.value_ = std::move(items);
  return item;
}

const Bytes& Item::asBytes() const {
  if (const auto* b = std::get_if<Bytes>(&value_)) return *b;
  throw RlpError(offset_, "expected a byte string, found a list");
}

const std::vector<Item>& Item::asList() const {
  if (const auto* l = std::get_if<std::vector<Item>>(&value_)) return *l;
  throw RlpError(offset_, "expected a list, found a byte string");
}

U256 Item::asUint() const {
  const Bytes& b = asBytes();
  if (b.size() > 32) throw RlpError(offset_, fmt::format("integer of {} bytes exceeds 256 bits", b.size()));
  if (!b.empty() && b[0] == 0) throw RlpError(offset_, "integer with a leading zero byte (non-canonical)");
  return fromBigEndian(b);
}

std::uint64_t Item::asUint64() const {
  const Bytes& b = asBytes();
  if (b.size() > 8) throw RlpError(offset_, fmt::format("integer of {} bytes exceeds 64 bits", b.size()));
  return static_cast<std::uint64_t>(asUint());
}

Address Item::asAddress() const {
  const Bytes& b = asBytes();
  if (b.size() != Address::kSize) throw RlpError(offset_, fmt::format("address of {} bytes, expected 20", b.size()));
  return Address::fromBytes(b);
}

Hash32 Item::asHash() const {
  const Bytes& b = asBytes();
  if (b.size() != Hash32::kSize) throw RlpError(offset_, fmt::format("hash of {} bytes, expected 32", b.size()));
  return Hash32::fromBytes(b);
}

namespace {

void appendLength(Bytes& out, std::size_t length, std::uint8_t short_base, std::uint8_t long_base) {
  if (length < 56) {
    out.push_back(static_cast<std::uint8_t>(short_base + length));
    return;
  }
  std::uint8_t len_bytes[8];
  std::size_t n = 0;
  for (std::size_t v = length; v != 0; v >>= 8) len_bytes[n++] = static_cast<std::uint8_t>(v & 0xff);
  out.push_back(static_cast<std::uint8_t>(long_base + n));
  for (std::size_t i = n; i > 0; --i) out.push_back(len_bytes[i - 1]);
}

std::size_t encodedSize(const Item& item);

std::size_t payloadSize(const Item& item) {
  if (item.isBytes()) return item.asBytes().size();
  std::size_t total = 0;
  for (const Item& child : item.asList()) total += encodedSize(child);
  return total;
}

std::size_t headerSize(std::size_t payload) {
  if (payload < 56) return 1;
  std::size_t n = 0;
  for (std::size_t v = payload; v != 0; v >>= 8) ++n;
  return 1 + n;
}

std::size_t encodedSize(const Item& item) {
  if (item.isBytes()) {
    const Bytes& b = item.asBytes();
    if (b.size() == 1 && b[0] < 0x80) return 1;
    return headerSize(b.size()) + b.size();
  }
  std::size_t p = payloadSize(item);
  return headerSize(p) + p;
}

void encodeInto(Bytes& out, const Item& item) {
  if (item.isBytes()) {
    appendBytes(out, item.asBytes());
    return;
  }
  appendListHeader(out, payloadSize(item));
  for (const Item& child : item.asList()) encodeInto(out, child);
}

}  // namespace

void appendBytes(Bytes& out, std::span<const std::uint8_t> bytes) {
  if (bytes.size() == 1 && bytes[0] < 0x80) {
    out.push_back(bytes[0]);
    return;
  }
  appendLength(out, bytes.size(), 0x80, 0xb7);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void appendListHeader(Bytes& out, std::size_t payload_size) { appendLength(out, payload_size, 0xc0, 0xf7); }

Bytes encode(const Item& item) {
  Bytes out;
  out.reserve(encodedSize(item));
  encodeInto(out, item);
  return out;
}

class Decoder {
 public:
  explicit Decoder(std::span<const std::uint8_t> input) : input_(input) {}

  // Decodes the item at pos (which must end by `end`), advancing pos past it.
  Item decodeAt(std::size_t& pos, std::size_t end, std::size_t depth) {
    const std::size_t start = pos;
    if (pos >= end) throw RlpError(pos, "truncated: expected an item, input ends");
    const std::uint8_t prefix = input_[pos];
    if (prefix < 0x80) {
      ++pos;
      Item item = Item::bytes(Bytes{prefix});
      item.offset_ = start;
      return item;
    }
    const bool is_list = prefix >= 0xc0;
    const std::uint8_t base = is_list ? 0xc0 : 0x80;
    std::size_t header = 1;
    std::uint64_t length = 0;
    if (prefix - base < 56) {
      length = static_cast<std::uint64_t>(prefix - base);
    } else {
      const std::size_t len_of_len = static_cast<std::size_t>(prefix - base - 55);
      if (end - pos - 1 < len_of_len) {
        throw RlpError(start, fmt::format("truncated: length of {} bytes announced, {} left", len_of_len,
                                          end - pos - 1));
      }
      if (input_[pos + 1] == 0) throw RlpError(start, "length with a leading zero byte (non-canonical)");
      for (std::size_t i = 0; i < len_of_len; ++i) length = (length << 8) | input_[pos + 1 + i];
      if (length < 56) {
        throw RlpError(start, fmt::format("long-form length {} below 56 (non-canonical)", length));
      }
      header += len_of_len;
    }
    if (end - pos - header < length) {
      throw RlpError(start, fmt::format("truncated: {} of {} payload bytes present", end - pos - header, length));
    }
    const std::size_t payload_begin = pos + header;
    const std::size_t payload_end = payload_begin + static_cast<std::size_t>(length);
    pos = payload_end;
    if (!is_list) {
      if (length == 1 && input_[payload_begin] < 0x80) {
        throw RlpError(start, fmt::format("single byte 0x{:02x} with a length prefix (non-canonical)",
                                          input_[payload_begin]));
      }
      Item item = Item::bytes(input_.subspan(payload_begin, payload_end - payload_begin));
      item.offset_ = start;
      return item;
    }
    if (depth >= kMaxDepth) throw RlpError(start, fmt::format("lists nested deeper than {}", kMaxDepth));
    std::vector<Item> children;
    std::size_t child_pos = payload_begin;
    while (child_pos < payload_end) children.push_back(decodeAt(child_pos, payload_end, depth + 1));
    Item item = Item::list(std::move(children));
    item.offset_ = start;
    return item;
  }

 private:
  std::span<const std::uint8_t> input_;
};

Item decode(std::span<const std::uint8_t> input) {
  Decoder decoder(input);
  std::size_t pos = 0;
  Item item = decoder.decodeAt(pos, input.size(), 0);
  if (pos != input.size()) {
    throw RlpError(pos, fmt::format("{} trailing bytes after the item", input.size() - pos));
  }
  return item;
}

}  // namespace e2e::eth::rlp
