#pragma once
// The stand-in's data and rules: what builder-hub keeps in PostgreSQL and its mock secrets
// backend, and what its handlers decide (builderhub-api.md §3-§6). In memory, one mutex.
// Every operation returns the HTTP reply the real hub gives, so the HTTP layer only routes.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bnet::standin {

// An HTTP reply: status and body ("" = no body, as Go's WriteHeader without Write).
struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};
// 400 with the JSON body of builder-hub's BadRequest helper (json.Encoder: ends in '\n').
Reply badRequest(std::string_view message, std::optional<std::string> error = std::nullopt);

// The builder-hub release the stand-in answers as (playground-recipes.md §4.3): v0.6.2, or
// 0.3.1-alpha1 (what builder-playground pins): empty 400 bodies (two plain-text ones), 404
// for enabling a builder without config, 500 for /full without config, no expected_any
// (an unknown field: ignored), no region (ignored), `expected` always written, and empty
// lists written as null.
enum class ApiVersion { kV0_3_1_alpha1, kV0_6_2 };
std::string_view toString(ApiVersion version);
std::optional<ApiVersion> parseApiVersion(std::string_view text);  // "0.6.2", "v0.6.2", "0.3.1-alpha1"

// The three headers the attested proxy sets. Absent headers are nullopt / empty.
struct AuthHeaders {
  std::optional<std::string> attestation_type;  // first X-Flashbots-Attestation-Type
  std::optional<std::string> measurement;       // first X-Flashbots-Measurement
  std::vector<std::string> forwarded_for;       // every X-Forwarded-For, in order
};

// "1.2.3.4" for "1.2.3.4" and "::ffff:1.2.3.4", RFC 5952 text for IPv6 (as Go's
// net.IP.String()); nullopt when net.ParseIP would fail.
std::optional<std::string> canonicalIp(std::string_view text);

class HubState {
 public:
  explicit HubState(ApiVersion version = ApiVersion::kV0_6_2) : version_(version) {}
  ApiVersion version() const { return version_; }

  // Admin API (§5).
  Reply addMeasurement(std::string_view body);
  Reply setMeasurementActive(const std::string& name, std::string_view body);
  Reply addBuilder(std::string_view body);
  Reply setBuilderConfig(const std::string& name, std::string_view body);
  Reply setBuilderSecrets(const std::string& name, std::string_view body);
  Reply setBuilderActive(const std::string& name, std::string_view body);
  Reply activeConfig(const std::string& name);
  Reply fullConfig(const std::string& name);

  // Instance and internal API (§4).
  Reply activeMeasurements();
  Reply peers(const std::string& network);
  Reply configurationFor(const AuthHeaders& auth);
  Reply buildersFor(const AuthHeaders& auth);
  Reply registerCredentials(const AuthHeaders& auth, const std::string& service, std::string_view body);

  // Stand-in extension (not in the real hub): the event log as JSON, oldest first.
  Reply events();

 private:
  struct Rule {
    std::string expected;
    std::vector<std::string> expected_any;  // wins over expected when not empty
  };
  struct Measurement {
    std::string name;
    std::string attestation_type;
    std::map<std::string, Rule> registers;
    bool registers_null = false;  // posted without a map (or null): written back as null
    bool active = false;
  };
  struct Builder {
    std::string name;
    std::string ip;  // canonicalIp
    std::string dns_name;
    std::string network;
    bool active = false;
  };
  struct Credential {
    std::string builder;
    std::string service;
    std::string tls_cert;
    std::optional<std::array<std::uint8_t, 20>> address;
    std::string region;
    std::string measurement_name;
    std::string attestation_type;
    bool active = true;
  };
  struct Event {
    std::uint64_t seq = 0;
    std::string event_name;
    std::string builder_name;
    std::string measurement_id;
    std::string service;
  };
  struct Verified {
    const Builder* builder = nullptr;
    std::string measurement_name;
  };

  // Parses the headers and applies the matching rules; on failure returns the 403.
  std::optional<Reply> verify(const AuthHeaders& auth, Verified& out) const;
  // A 400 as this version writes it (v0.6.2: badRequest()).
  Reply refuse(std::string_view message, std::optional<std::string> error = std::nullopt) const;
  bool legacy() const { return version_ == ApiVersion::kV0_3_1_alpha1; }
  // An empty list: "[]", or 0.3.1-alpha1's nil slice "null".
  std::string listOrNull(const std::string& marshalled) const;
  std::string peersJson(const std::string& network) const;
  Builder* findBuilder(const std::string& name);

  ApiVersion version_;
  mutable std::mutex mu_;
  std::vector<Measurement> measurements_;  // insertion order = the DB's row order
  std::vector<Builder> builders_;
  std::map<std::string, std::string> configs_;  // builder -> raw JSON
  std::map<std::string, std::string> secrets_;  // builder -> raw bytes (mock secrets backend)
  std::vector<Credential> credentials_;
  std::vector<Event> events_;
  std::uint64_t next_event_ = 1;
};

}  // namespace bnet::standin
