// The BuilderHub stand-in's request handling (HubState: what each route does with its body
// and the attested proxy's headers), driven by a script so that admin calls, configuration
// downloads and credential registrations reach each other's state. HubState answers every
// request with a Reply (the real hub's status and body), in both releases it answers as
// (v0.6.2, 0.3.1-alpha1); it must never throw.
//
// Script: requests separated by a line "---". A request is its first line, "OP [ARG]", then
// its body (the rest). OPs: measurement, measurement-active NAME, builder, config NAME,
// secrets NAME, builder-active NAME, active-config NAME, full-config NAME,
// active-measurements, peers NETWORK, events; and with proxy headers: configuration,
// builders, register SERVICE, whose body starts with header lines "type: ...",
// "measurement: ...", "ip: ..." (repeatable), then an empty line, then the HTTP body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tools/hub-standin/hub_state.hpp"

namespace {

using bnet::standin::AuthHeaders;
using bnet::standin::HubState;

std::string_view cutLine(std::string_view& text) {
  auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

// Header lines up to the first empty line; text keeps the body.
AuthHeaders readHeaders(std::string_view& text) {
  AuthHeaders auth;
  while (!text.empty()) {
    std::string_view line = cutLine(text);
    if (line.empty()) break;
    auto colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string value(line.substr(colon + 2));
    if (name == "type" && !auth.attestation_type) auth.attestation_type = value;
    if (name == "measurement" && !auth.measurement) auth.measurement = value;
    if (name == "ip") auth.forwarded_for.push_back(value);
  }
  return auth;
}

void runRequest(HubState& hub, std::string_view request) {
  std::string_view first = cutLine(request);
  auto space = first.find(' ');
  std::string_view op = first.substr(0, space);
  std::string arg = space == std::string_view::npos ? "" : std::string(first.substr(space + 1));
  std::string_view body = request;
  if (op == "measurement") hub.addMeasurement(body);
  else if (op == "measurement-active") hub.setMeasurementActive(arg, body);
  else if (op == "builder") hub.addBuilder(body);
  else if (op == "config") hub.setBuilderConfig(arg, body);
  else if (op == "secrets") hub.setBuilderSecrets(arg, body);
  else if (op == "builder-active") hub.setBuilderActive(arg, body);
  else if (op == "active-config") hub.activeConfig(arg);
  else if (op == "full-config") hub.fullConfig(arg);
  else if (op == "active-measurements") hub.activeMeasurements();
  else if (op == "peers") hub.peers(arg);
  else if (op == "events") hub.events();
  else if (op == "configuration") hub.configurationFor(readHeaders(body));
  else if (op == "builders") hub.buildersFor(readHeaders(body));
  else if (op == "register") {
    AuthHeaders auth = readHeaders(body);
    hub.registerCredentials(auth, arg, body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::string_view kSeparator = "\n---\n";
  // The same script against both releases the stand-in answers as.
  for (auto version : {bnet::standin::ApiVersion::kV0_6_2, bnet::standin::ApiVersion::kV0_3_1_alpha1}) {
    std::string_view script(reinterpret_cast<const char*>(data), size);
    HubState hub(version);
    int requests = 0;
    while (!script.empty() && requests++ < 64) {
      auto end = script.find(kSeparator);
      runRequest(hub, script.substr(0, end));
      script = end == std::string_view::npos ? std::string_view() : script.substr(end + kSeparator.size());
    }
  }
  return 0;
}
