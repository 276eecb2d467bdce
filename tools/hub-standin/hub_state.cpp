#include "tools/hub-standin/hub_state.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "tools/common/tool_log.hpp"
#include "tools/hub-standin/go_json.hpp"

namespace bnet::standin {
namespace {

using tools::logError;
using tools::logInfo;
using tools::logWarn;
using OJson = nlohmann::ordered_json;

Reply ok() { return Reply{200, {}}; }
Reply status(int code) { return Reply{code, {}}; }

std::string hexLower(const std::array<std::uint8_t, 20>& bytes) {
  std::string out = "0x";
  for (auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

// go-ethereum common.Address.UnmarshalJSON: a JSON string "0x" + 40 hex digits.
std::array<std::uint8_t, 20> parseAddress(const nlohmann::json& value) {
  auto fail = [](std::string_view why) {
    return GoJsonError(fmt::format(
        "json: cannot unmarshal {} into Go struct field ServiceCred.ecdsa_pubkey_address of type common.Address",
        why));
  };
  if (!value.is_string()) throw fail(goKind(value));
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty()) throw fail("empty hex string");
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    throw fail("hex string without 0x prefix");
  }
  std::string_view digits(text);
  digits.remove_prefix(2);
  if (digits.size() != 40) {
    throw GoJsonError(fmt::format("hex string has length {}, want 40 for common.Address", digits.size()));
  }
  std::array<std::uint8_t, 20> out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 20; ++i) {
    int hi = nibble(digits[2 * i]);
    int lo = nibble(digits[2 * i + 1]);
    if (hi < 0 || lo < 0) throw fail("invalid hex string");
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

// One activation request body {"enabled": bool}, read like json.NewDecoder(...).Decode.
bool decodeActivation(std::string_view body) {
  auto value = decodeFirst(body);
  requireStruct(value, "ports.ActivationRequest");
  return boolField(value, "ActivationRequest", "enabled").value_or(false);
}

}  // namespace

Reply badRequest(std::string_view message, std::optional<std::string> error) {
  OJson body;
  body["message"] = message;
  if (error && !error->empty()) body["error"] = *error;
  if (error) {
    logWarn(message, {{"err", *error}});
  } else {
    logWarn(message);
  }
  return Reply{400, marshal(body) + "\n"};
}

std::string_view toString(ApiVersion version) {
  return version == ApiVersion::kV0_3_1_alpha1 ? "0.3.1-alpha1" : "0.6.2";
}

std::optional<ApiVersion> parseApiVersion(std::string_view text) {
  if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
  if (text == "0.6.2") return ApiVersion::kV0_6_2;
  if (text == "0.3.1-alpha1") return ApiVersion::kV0_3_1_alpha1;
  return std::nullopt;
}

Reply HubState::refuse(std::string_view message, std::optional<std::string> error) const {
  if (!legacy()) return badRequest(message, std::move(error));
  // 0.3.1-alpha1 (before PR #70): the handlers log and write no body, except two.
  if (error) {
    logError(message, {{"err", *error}});
  } else {
    logWarn(message);
  }
  if (message == "no credentials provided") {
    // http.Error(w, "No credentials provided", http.StatusBadRequest)
    return Reply{400, "No credentials provided\n", {{"X-Content-Type-Options", "nosniff"}}};
  }
  if (message == "network field is required") return Reply{400, "network field is required"};
  return Reply{400, {}};
}

std::string HubState::listOrNull(const std::string& marshalled) const {
  return legacy() && marshalled == "[]" ? "null" : marshalled;
}

std::optional<std::string> canonicalIp(std::string_view text) {
  std::string s(text);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
    return std::string(buf);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      in_addr mapped{};
      std::memcpy(&mapped, &v6.s6_addr[12], 4);
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &mapped, buf, sizeof buf);
      return std::string(buf);
    }
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
    return std::string(buf);
  }
  return std::nullopt;
}

// ---- admin API --------------------------------------------------------------------------

Reply HubState::addMeasurement(std::string_view body) {
  Measurement m;
  try {
    auto value = unmarshal(body);
    requireStruct(value, "ports.Measurement");
    m.name = stringField(value, "Measurement", "measurement_id").value_or("");
    m.attestation_type = stringField(value, "Measurement", "attestation_type").value_or("");
    const auto* regs = structField(value, "measurements");
    m.registers_null = regs == nullptr;  // absent or null: Go's nil map
    if (regs != nullptr) {
      if (!regs->is_object()) {
        throw GoJsonError(fmt::format(
            "json: cannot unmarshal {} into Go struct field Measurement.measurements of type "
            "map[string]domain.SingleMeasurement",
            goKind(*regs)));
      }
      for (auto it = regs->begin(); it != regs->end(); ++it) {
        requireStruct(*it, "domain.SingleMeasurement");
        Rule rule;
        if (auto expected = stringField(*it, "SingleMeasurement", "expected")) {
          rule.expected = *expected;
        }
        if (!legacy()) {  // 0.3.1-alpha1's SingleMeasurement has no such field: ignored
          rule.expected_any =
              stringListField(*it, "SingleMeasurement", "expected_any").value_or(std::vector<std::string>{});
        }
        m.registers[it.key()] = std::move(rule);
      }
    }
  } catch (const GoJsonError& e) {
    return refuse("failed to unmarshal request body", e.what());
  }
  std::lock_guard lock(mu_);
  auto dup = std::find_if(measurements_.begin(), measurements_.end(),
                          [&](const Measurement& x) { return x.name == m.name; });
  if (dup != measurements_.end()) {
    logError("failed to add measurement", {{"error", fmt::format(
        "duplicate key value violates unique constraint (measurement name {})", m.name)}});
    return status(500);
  }
  logInfo("measurement added (inactive)", {{"measurement_id", m.name}, {"attestation_type", m.attestation_type},
                                           {"registers", std::to_string(m.registers.size())}});
  measurements_.push_back(std::move(m));
  return ok();
}

Reply HubState::setMeasurementActive(const std::string& name, std::string_view body) {
  bool enabled = false;
  try {
    enabled = decodeActivation(body);
  } catch (const GoJsonError& e) {
    return refuse("failed to decode request body", e.what());
  }
  std::lock_guard lock(mu_);
  int updated = 0;
  for (auto& m : measurements_) {
    if (m.name == name) {
      m.active = enabled;
      ++updated;
    }
  }
  // Like the real hub: 0 rows updated is still 200.
  logInfo("measurement activation", {{"measurement_id", name}, {"enabled", enabled ? "true" : "false"},
                                     {"rows", std::to_string(updated)}});
  return ok();
}

Reply HubState::addBuilder(std::string_view body) {
  Builder b;
  try {
    auto value = unmarshal(body);
    requireStruct(value, "ports.Builder");
    b.name = stringField(value, "Builder", "name").value_or("");
    auto ip = stringField(value, "Builder", "ip_address").value_or("");
    b.dns_name = stringField(value, "Builder", "dns_name").value_or("");
    b.network = stringField(value, "Builder", "network").value_or("");
    if (b.network.empty()) return refuse("network field is required");
    auto canonical = canonicalIp(ip);
    if (!canonical) return refuse("failed to convert builder to domain builder", "invalid ip address");
    b.ip = *canonical;
  } catch (const GoJsonError& e) {
    return refuse("failed to unmarshal request body", e.what());
  }
  std::lock_guard lock(mu_);
  if (findBuilder(b.name) != nullptr) {
    logError("failed to add builder", {{"error", fmt::format(
        "duplicate key value violates unique constraint (builder name {})", b.name)}});
    return status(500);
  }
  logInfo("builder added (inactive)", {{"name", b.name}, {"ip", b.ip}, {"network", b.network}});
  builders_.push_back(std::move(b));
  return ok();
}

Reply HubState::setBuilderConfig(const std::string& name, std::string_view body) {
  if (!nlohmann::json::accept(body)) return refuse("invalid json");
  std::lock_guard lock(mu_);
  if (findBuilder(name) == nullptr) {
    logError("failed to add builder config", {{"error", fmt::format(
        "insert or update on table builder_configs violates foreign key constraint (builder {})", name)}});
    return status(500);
  }
  configs_[name] = std::string(body);
  logInfo("configuration stored", {{"builder", name}, {"bytes", std::to_string(body.size())}});
  return ok();
}

Reply HubState::setBuilderSecrets(const std::string& name, std::string_view body) {
  std::lock_guard lock(mu_);
  // The mock secrets backend keeps the raw bytes and checks nothing, not even the builder.
  secrets_[name] = std::string(body);
  logInfo(fmt::format("secrets for {} stored ({} bytes)", name, body.size()));
  return ok();
}

Reply HubState::setBuilderActive(const std::string& name, std::string_view body) {
  bool enabled = false;
  try {
    enabled = decodeActivation(body);
  } catch (const GoJsonError& e) {
    return refuse("failed to decode request body", e.what());
  }
  std::lock_guard lock(mu_);
  Builder* b = findBuilder(name);
  if (enabled) {
    if (b == nullptr || configs_.count(name) == 0) {
      if (legacy()) {
        logWarn("no active config for builder found", {{"name", name}});
        return status(404);
      }
      return badRequest("active config not found: please set config for the builder first");
    }
    b->active = true;
  } else if (b != nullptr) {
    b->active = false;
  }
  logInfo("builder activation", {{"name", name}, {"enabled", enabled ? "true" : "false"}});
  return ok();
}

Reply HubState::activeConfig(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = configs_.find(name);
  if (it == configs_.end()) {
    logWarn("no active config for builder found", {{"name", name}});
    return status(404);
  }
  return Reply{200, it->second};
}

Reply HubState::fullConfig(const std::string& name) {
  std::lock_guard lock(mu_);
  if (configs_.count(name) == 0) {
    if (legacy()) {  // 0.3.1-alpha1's GetFullConfigForBuilder: any error is a 500
      logError("failed to get config with secrets", {{"name", name}});
      return status(500);
    }
    logWarn("no active config for builder found", {{"name", name}});
    return status(404);
  }
  auto it = secrets_.find(name);
  return Reply{200, it == secrets_.end() ? std::string() : it->second};
}

// ---- instance and internal API ---------------------------------------------------------

Reply HubState::activeMeasurements() {
  std::lock_guard lock(mu_);
  OJson list = OJson::array();
  for (const auto& m : measurements_) {
    if (!m.active) continue;
    OJson record;
    record["measurement_id"] = m.name;
    record["attestation_type"] = m.attestation_type;
    OJson regs = OJson::object();
    for (const auto& [key, rule] : m.registers) {  // std::map: sorted like Go's map encoding
      OJson r = OJson::object();
      // v0.6.2: `json:"expected,omitempty"`; 0.3.1-alpha1: `json:"expected"`.
      if (!rule.expected.empty() || legacy()) r["expected"] = rule.expected;
      if (!rule.expected_any.empty()) r["expected_any"] = rule.expected_any;
      regs[key] = std::move(r);
    }
    record["measurements"] = m.registers_null ? OJson(nullptr) : std::move(regs);
    list.push_back(std::move(record));
  }
  return Reply{200, listOrNull(marshal(list))};
}

std::string HubState::peersJson(const std::string& network) const {
  OJson list = OJson::array();
  for (const auto& b : builders_) {
    if (!b.active || b.network != network) continue;
    // Go marshals the peer from a map: keys come out sorted.
    std::map<std::string, OJson> fields;
    fields["name"] = b.name;
    fields["ip"] = b.ip;
    fields["dns_name"] = b.dns_name;
    for (const auto& c : credentials_) {
      if (!c.active || c.builder != b.name) continue;
      OJson cred = OJson::object();
      if (!c.tls_cert.empty()) cred["tls_cert"] = c.tls_cert;
      if (c.address) cred["ecdsa_pubkey_address"] = hexLower(*c.address);
      if (!c.region.empty()) cred["region"] = c.region;
      fields[c.service] = std::move(cred);
    }
    OJson peer = OJson::object();
    for (auto& [key, value] : fields) peer[key] = std::move(value);
    list.push_back(std::move(peer));
  }
  return listOrNull(marshal(list));
}

Reply HubState::peers(const std::string& network) {
  std::lock_guard lock(mu_);
  return Reply{200, peersJson(network)};
}

std::optional<Reply> HubState::verify(const AuthHeaders& auth, Verified& out) const {
  auto malformed = [](std::string why) {
    logWarn("malformed auth data", {{"error", why + " invalid auth data"}});
    return Reply{403, {}};
  };
  if (!auth.attestation_type || auth.attestation_type->empty()) return malformed("attestation type is empty");
  std::map<std::string, std::string> measurement;
  try {
    auto value = unmarshal(auth.measurement.value_or(""));
    if (!value.is_object() && !value.is_null()) throw GoJsonError("not an object");
    if (value.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (it->is_null()) {
          measurement[it.key()] = "";
        } else if (it->is_string()) {
          measurement[it.key()] = it->get<std::string>();
        } else {
          throw GoJsonError("value is not a string");
        }
      }
    }
  } catch (const GoJsonError& e) {
    return malformed(fmt::format("failed to unmarshal measurement header ({})", e.what()));
  }
  if (auth.forwarded_for.empty()) return malformed("ip header is empty");
  // The last header instance, then its last comma-separated element, trimmed.
  std::string_view last = auth.forwarded_for.back();
  if (auto comma = last.rfind(','); comma != std::string_view::npos) last = last.substr(comma + 1);
  while (!last.empty() && std::isspace(static_cast<unsigned char>(last.front()))) last.remove_prefix(1);
  while (!last.empty() && std::isspace(static_cast<unsigned char>(last.back()))) last.remove_suffix(1);
  auto ip = canonicalIp(last);
  if (!ip) return malformed(fmt::format("failed to parse ip {}", std::string(last)));

  auto invalid = [](std::string why) {
    logWarn("invalid auth data", {{"error", why + " not found"}});
    return Reply{403, {}};
  };
  const Measurement* matched = nullptr;
  for (const auto& m : measurements_) {
    if (!m.active || m.attestation_type != *auth.attestation_type) continue;
    bool all = std::all_of(m.registers.begin(), m.registers.end(), [&](const auto& entry) {
      const auto& [key, rule] = entry;
      auto it = measurement.find(key);
      if (it == measurement.end()) return false;
      if (legacy()) return it->second == rule.expected;  // 0.3.1-alpha1: val != v.Expected
      // v0.6.2 GetExpectedValues: expected_any, else expected, else nothing matches.
      if (!rule.expected_any.empty()) {
        return std::find(rule.expected_any.begin(), rule.expected_any.end(), it->second) != rule.expected_any.end();
      }
      return !rule.expected.empty() && it->second == rule.expected;
    });
    if (all) {
      matched = &m;
      break;
    }
  }
  if (matched == nullptr) {
    return invalid(fmt::format("failing to validate measurement for attestation type {}:", *auth.attestation_type));
  }
  auto builder = std::find_if(builders_.begin(), builders_.end(),
                              [&](const Builder& b) { return b.active && b.ip == *ip; });
  if (builder == builders_.end()) return invalid(fmt::format("failing to fetch builder by ip {}", *ip));
  out.builder = &*builder;
  out.measurement_name = matched->name;
  return std::nullopt;
}

Reply HubState::configurationFor(const AuthHeaders& auth) {
  std::lock_guard lock(mu_);
  Verified v;
  if (auto denied = verify(auth, v)) return *denied;
  if (configs_.count(v.builder->name) == 0) {
    logError("failed to get config with secrets", {{"builder", v.builder->name}});
    return status(500);
  }
  events_.push_back(Event{.seq = next_event_++, .event_name = "GetConfig", .builder_name = v.builder->name,
                          .measurement_id = v.measurement_name});
  logInfo("configuration served", {{"builder", v.builder->name}, {"measurement_id", v.measurement_name}});
  auto it = secrets_.find(v.builder->name);
  return Reply{200, it == secrets_.end() ? std::string() : it->second};
}

Reply HubState::buildersFor(const AuthHeaders& auth) {
  std::lock_guard lock(mu_);
  Verified v;
  if (auto denied = verify(auth, v)) return *denied;
  return Reply{200, peersJson(v.builder->network)};
}

Reply HubState::registerCredentials(const AuthHeaders& auth, const std::string& service, std::string_view body) {
  std::lock_guard lock(mu_);
  Verified v;
  if (auto denied = verify(auth, v)) return *denied;
  if (service.empty()) return refuse("service is empty");
  Credential c{.builder = v.builder->name, .service = service, .measurement_name = v.measurement_name,
               .attestation_type = *auth.attestation_type};
  try {
    auto value = unmarshal(body);
    requireStruct(value, "ports.ServiceCred");
    c.tls_cert = stringField(value, "ServiceCred", "tls_cert").value_or("");
    if (const auto* address = structField(value, "ecdsa_pubkey_address")) c.address = parseAddress(*address);
    if (!legacy()) c.region = stringField(value, "ServiceCred", "region").value_or("");  // PR #77
  } catch (const GoJsonError& e) {
    return refuse("failed to unmarshal request body", e.what());
  }
  if (!c.address && c.tls_cert.empty()) return refuse("no credentials provided");
  for (auto& old : credentials_) {
    if (old.builder == c.builder && old.service == c.service) old.active = false;
  }
  events_.push_back(Event{.seq = next_event_++, .event_name = "RegisterCredentials", .builder_name = c.builder,
                          .measurement_id = c.measurement_name, .service = service});
  logInfo("credentials registered",
          {{"builder", c.builder}, {"service", service}, {"tls_cert", c.tls_cert.empty() ? "no" : "yes"},
           {"ecdsa_pubkey_address", c.address ? hexLower(*c.address) : ""}, {"region", c.region}});
  credentials_.push_back(std::move(c));
  return ok();
}

Reply HubState::events() {
  std::lock_guard lock(mu_);
  OJson list = OJson::array();
  for (const auto& e : events_) {
    OJson item;
    item["seq"] = e.seq;
    item["event_name"] = e.event_name;
    item["builder_name"] = e.builder_name;
    item["measurement_id"] = e.measurement_id;
    if (!e.service.empty()) item["service"] = e.service;
    list.push_back(std::move(item));
  }
  return Reply{200, marshal(list)};
}

HubState::Builder* HubState::findBuilder(const std::string& name) {
  auto it = std::find_if(builders_.begin(), builders_.end(), [&](const Builder& b) { return b.name == name; });
  return it == builders_.end() ? nullptr : &*it;
}

}  // namespace bnet::standin
