// The BuilderHub contract (builderhub-api.md; playground-recipes.md §4.3 for 0.3.1-alpha1):
// run against whatever hub the environment provides. Local stand-in by default;
// BNET_HUB_URL (+ BNET_HUB_ADMIN_URL, BNET_HUB_ADMIN_USER, BNET_HUB_ADMIN_PASSWORD,
// BNET_HUB_READ_ONLY) attaches to another one, BNET_HUB_MODE=compose runs the real image.
// The answers expected are those of the hub's release (hub.version, BNET_HUB_VERSION for
// the stand-in, else detected). Every test uses its own names, IPs and attestation type, so
// the tests do not see each other (nor a shared hub's other data).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "fixtures/hub/hub_contract_fixture.hpp"

namespace bnet {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

// ---- the admin sequence ------------------------------------------------------------------

TEST_F(HubContract, AdminSequenceInOrderMakesTheConfigurationAvailable) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  MeasurementRecord m{.measurement_id = unique("m"), .attestation_type = uniqueType(), .measurements = {}};
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  auto vm = hub().builderApi({.ip = b.ip_address, .attestation_type = m.attestation_type});
  const std::string secrets = R"({"instance_name":"x"})";

  ASSERT_THAT(hubOutcomeOf([&] { a.addMeasurement(m); }), Succeeds());
  ASSERT_THAT(hubOutcomeOf([&] { a.activateMeasurement(m.measurement_id); }), Succeeds());
  ASSERT_THAT(hubOutcomeOf([&] { a.addBuilder(b); }), Succeeds());
  EXPECT_THAT(hubOutcomeOf([&] { vm.configuration(); }), IsForbiddenWithEmptyBody()) << "builder still inactive";
  ASSERT_THAT(hubOutcomeOf([&] { a.setConfiguration(b.name, "{}"); }), Succeeds());
  ASSERT_THAT(hubOutcomeOf([&] { a.setSecrets(b.name, secrets); }), Succeeds());
  EXPECT_THAT(hubOutcomeOf([&] { vm.configuration(); }), IsForbiddenWithEmptyBody()) << "builder still inactive";
  ASSERT_THAT(hubOutcomeOf([&] { a.activateBuilder(b.name); }), Succeeds());
  EXPECT_EQ(vm.configuration(), secrets);
}

TEST_F(HubContract, ActivatingABuilderBeforeItsConfigurationIsRejected) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  a.addBuilder(b);
  EXPECT_THAT(hubOutcomeOf([&] { a.activateBuilder(b.name); }), IsActivationWithoutConfigurationRefusal(version()));
  EXPECT_THAT(hubOutcomeOf([&] { a.activateBuilder(unique("unknown")); }),
              IsActivationWithoutConfigurationRefusal(version()));
}

TEST_F(HubContract, MeasurementsAreCreatedInactive) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  MeasurementRecord m{.measurement_id = unique("m"), .attestation_type = uniqueType(),
                      .measurements = {{"4", RegisterExpectation::exactly(hex96('c'))},
                                       {"11", RegisterExpectation::anyOf({hex96('d'), hex96('e')})}}};
  // 0.3.1-alpha1 has no expected_any (an unknown field, dropped): the register comes back
  // as {"expected": ""}.
  auto as_listed = m;
  if (!traits().expected_any) as_listed.measurements["11"] = RegisterExpectation{};
  auto listed = [&] {
    auto active = a.activeMeasurements();
    return std::find(active.begin(), active.end(), as_listed) != active.end();
  };
  a.addMeasurement(m);
  EXPECT_FALSE(listed()) << "a new measurement must not be active";
  a.activateMeasurement(m.measurement_id);
  EXPECT_TRUE(listed()) << "activated measurement missing from GET /api/l1-builder/v1/measurements";
  a.deactivateMeasurement(m.measurement_id);
  EXPECT_FALSE(listed());
}

TEST_F(HubContract, DuplicatesAreServerErrorsNotConflicts) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  MeasurementRecord m{.measurement_id = unique("m"), .attestation_type = uniqueType()};
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  a.addMeasurement(m);
  a.addBuilder(b);
  EXPECT_THAT(hubOutcomeOf([&] { a.addMeasurement(m); }), IsServerErrorWithEmptyBody());
  EXPECT_THAT(hubOutcomeOf([&] { a.addBuilder(b); }), IsServerErrorWithEmptyBody());
}

TEST_F(HubContract, UnknownNamesAreAcceptedWhereTheHubDoesNotCheck) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  EXPECT_THAT(hubOutcomeOf([&] { a.activateMeasurement(unique("nothing")); }), Succeeds());
  EXPECT_THAT(hubOutcomeOf([&] { a.deactivateBuilder(unique("nobody")); }), Succeeds());
  EXPECT_THAT(hubOutcomeOf([&] { a.setSecrets(unique("nobody"), R"({"k":"v"})"); }), Succeeds());
  EXPECT_THAT(hubOutcomeOf([&] { a.setConfiguration(unique("nobody"), "{}"); }), IsServerErrorWithEmptyBody());
}

TEST_F(HubContract, BadBuilderInputGetsTheHubsMessages) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  EXPECT_THAT(hubOutcomeOf([&] { a.addBuilder({.name = unique("b"), .ip_address = "1.2.3", .network = "e2e-net"}); }),
              IsBadRequestFrom(version(), "failed to convert builder to domain builder", "invalid ip address"));
  EXPECT_THAT(hubOutcomeOf([&] { a.addBuilder({.name = unique("b"), .ip_address = uniqueIp(), .network = ""}); }),
              IsBadRequestFrom(version(), "network field is required", ""));
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  a.addBuilder(b);
  EXPECT_THAT(hubOutcomeOf([&] { a.setConfiguration(b.name, "{not json"); }),
              IsBadRequestFrom(version(), "invalid json", ""));
  EXPECT_THAT(outcomeOfReply(a.send("POST", "/api/admin/v1/measurements", "[1, 2]")),
              IsBadRequestFrom(version(), "failed to unmarshal request body", ""));
  EXPECT_THAT(outcomeOfReply(a.send("POST", fmt::format("/api/admin/v1/builders/activation/{}", b.name), "yes")),
              IsBadRequestFrom(version(), "failed to decode request body", ""));
}

TEST_F(HubContract, ReadBackFollowsTheConfigurationNotTheBuilder) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  a.addBuilder(b);
  EXPECT_EQ(a.activeConfiguration(b.name), std::nullopt) << "no configuration yet: 404";
  if (traits().full_config_missing_is_404) {
    EXPECT_EQ(a.fullConfiguration(b.name), std::nullopt) << "no configuration yet: 404";
  } else {
    EXPECT_THAT(hubOutcomeOf([&] { a.fullConfiguration(b.name); }), IsServerErrorWithEmptyBody())
        << "0.3.1-alpha1's /full answers any error with 500";
  }
  const std::string config = R"({"dns_name":"x.example","rbuilder":{"extra_data":"e2e"}})";
  a.setConfiguration(b.name, config);
  EXPECT_EQ(a.activeConfiguration(b.name), config);
  EXPECT_EQ(a.fullConfiguration(b.name), "") << "mock secrets never set: 200 with an empty body";
  const std::string secrets = R"({"secret": "only-in-secrets"})";
  a.setSecrets(b.name, secrets);
  EXPECT_EQ(a.fullConfiguration(b.name), secrets) << "/full returns the secrets blob";
  EXPECT_EQ(a.activeConfiguration(b.name), config) << "/active stays the DB config";
}

// ---- routing and auth -------------------------------------------------------------------

TEST_F(HubContract, RoutesAreExactAndMethodsChecked) {
  if (!hub().adminUrl().empty()) {
    auto a = admin();
    EXPECT_THAT(a.send("GET", "/api/admin/v1/builders/configuration/x/active/"), HasStatus(404)) << "no trailing slash";
    EXPECT_THAT(a.send("GET", "/api/admin/v1/measurements"), HasStatus(405)) << "no admin list of measurements";
    EXPECT_THAT(a.send("GET", "/api/admin/v1/no-such-route"), HasStatus(404));
  }
  auto vm = hub().builderApi({.ip = uniqueIp()});
  EXPECT_THAT(vm.send("POST", "/livez"), HasStatus(405));
  EXPECT_THAT(vm.send("GET", "/api/l1-builder/v1/register_credentials/rbuilder"), HasStatus(405));
  EXPECT_THAT(vm.send("GET", "/api/l1-builder/v1/measurements/"), HasStatus(404));
}

TEST_F(HubContract, AdminRejectsWrongCredentials) {
  if (hub().adminUrl().empty()) GTEST_SKIP() << "no admin URL given for this hub";
  if (hub().adminPassword().empty()) GTEST_SKIP() << "no admin password given for this hub (auth disabled?)";
  auto a = admin();
  const std::string path = fmt::format("/api/admin/v1/builders/configuration/{}/active", unique("b"));
  for (const auto& creds : {std::make_optional(std::pair{hub().adminUser(), std::string("wrong-password")}),
                            std::make_optional(std::pair{std::string("root"), hub().adminPassword()}),
                            std::optional<std::pair<std::string, std::string>>{}}) {
    auto reply = a.sendAs(creds, "GET", path);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.body, "Unauthorized\n");
    auto challenge = reply.headers.find("www-authenticate");
    ASSERT_NE(challenge, reply.headers.end());
    EXPECT_EQ(challenge->second, "Basic realm=admin");
  }
  EXPECT_THAT(a.sendAs(std::pair{hub().adminUser(), hub().adminPassword()}, "GET", path), HasStatus(404))
      << "the right password passes auth (then: no configuration)";
}

// ---- 403 rules --------------------------------------------------------------------------

TEST_F(HubContract, StrangersAreForbiddenEverywhere) {
  auto stranger = hub().builderApi({.ip = uniqueIp(), .attestation_type = uniqueType(),
                                    .measurement = {{"0", hex96('0')}}});
  EXPECT_THAT(hubOutcomeOf([&] { stranger.configuration(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(hubOutcomeOf([&] { stranger.builders(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(hubOutcomeOf([&] { stranger.registerCredentials("rbuilder", {.ecdsa_pubkey_address = "0x" + std::string(40, '1')}); }),
              IsForbiddenWithEmptyBody());
  auto no_headers = hub().builderApiWithHeaders({});
  EXPECT_THAT(hubOutcomeOf([&] { no_headers.configuration(); }), IsForbiddenWithEmptyBody());
}

TEST_F(HubContract, ActiveMeasurementsHaveTheRecordShape) {
  auto reply = hub().builderApi({.ip = uniqueIp()}).send("GET", "/api/l1-builder/v1/measurements");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
  auto records = hub().builderApi({.ip = uniqueIp()}).measurements();  // parses and checks every record
  for (const auto& r : records) EXPECT_FALSE(r.measurement_id.empty());
}

TEST_F(HubContract, UnknownMeasurementIsForbidden) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto other = a.identity;
  other.measurement["4"] = hex96('f');
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApi(other).configuration(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApi(other).builders(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApi(other).registerCredentials("rbuilder", {.ecdsa_pubkey_address = "0x" + std::string(40, '1')}); }),
              IsForbiddenWithEmptyBody());
}

TEST_F(HubContract, WrongAttestationTypeIsForbidden) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto other = a.identity;
  other.attestation_type = uniqueType();
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApi(other).configuration(); }), IsForbiddenWithEmptyBody());
}

TEST_F(HubContract, InactiveBuilderIsForbidden) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto vm = hub().builderApi(a.identity);
  EXPECT_EQ(vm.configuration(), a.secrets);
  admin().deactivateBuilder(a.builder.name);
  EXPECT_THAT(hubOutcomeOf([&] { vm.configuration(); }), IsForbiddenWithEmptyBody());
  admin().activateBuilder(a.builder.name);
  EXPECT_EQ(vm.configuration(), a.secrets);
}

TEST_F(HubContract, UnknownIpIsForbidden) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto other = a.identity;
  other.ip = uniqueIp();
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApi(other).configuration(); }), IsForbiddenWithEmptyBody());
}

TEST_F(HubContract, MalformedHeadersAreForbidden) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto good = AttestationHeaders::of(a.identity);
  auto with = [&](auto change) {
    auto h = good;
    change(h);
    return hubOutcomeOf([&] { hub().builderApiWithHeaders(h).configuration(); });
  };
  EXPECT_THAT(with([](auto&) {}), Succeeds()) << "the unchanged headers pass";
  EXPECT_THAT(with([](auto& h) { h.attestation_type.reset(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.attestation_type = ""; }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.measurement.reset(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.measurement = "not json"; }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.measurement = R"(["0", "4"])"; }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.measurement = R"({"0": 1})"; }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.forwarded_for.clear(); }), IsForbiddenWithEmptyBody());
  EXPECT_THAT(with([](auto& h) { h.forwarded_for = {"not-an-ip"}; }), IsForbiddenWithEmptyBody());
}

TEST_F(HubContract, TheLastForwardedForElementIdentifiesTheBuilder) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto headers = AttestationHeaders::of(a.identity);
  const std::string stranger = uniqueIp();
  headers.forwarded_for = {fmt::format("{}, {}", stranger, a.builder.ip_address)};
  EXPECT_EQ(hub().builderApiWithHeaders(headers).configuration(), a.secrets) << "last comma element, trimmed";
  headers.forwarded_for = {a.builder.ip_address, stranger};
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApiWithHeaders(headers).configuration(); }), IsForbiddenWithEmptyBody())
      << "the last header instance counts";
  headers.forwarded_for = {stranger, fmt::format("{} ,  {}  ", stranger, a.builder.ip_address)};
  EXPECT_EQ(hub().builderApiWithHeaders(headers).configuration(), a.secrets);
}

// ---- measurement matching ---------------------------------------------------------------

TEST_F(HubContract, MeasurementMatchingRules) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  const auto type = uniqueType();
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  a.addBuilder(b);
  a.setConfiguration(b.name, "{}");
  a.setSecrets(b.name, R"({"ok":true})");
  a.activateBuilder(b.name);
  MeasurementRecord m{.measurement_id = unique("m"), .attestation_type = type,
                      .measurements = {{"0", RegisterExpectation::exactly(hex96('a'))},
                                       {"4", RegisterExpectation::anyOf({hex96('b'), hex96('c')})},
                                       {"9", RegisterExpectation{.expected = hex96('d'), .expected_any = {hex96('e')}}}}};
  a.addMeasurement(m);
  a.activateMeasurement(m.measurement_id);
  auto attempt = [&](std::map<std::string, std::string> registers) {
    return hubOutcomeOf([&] {
      hub().builderApi({.ip = b.ip_address, .attestation_type = type, .measurement = registers}).configuration();
    });
  };
  std::map<std::string, std::string> good = {{"0", hex96('a')}, {"4", hex96('b')}, {"9", hex96('e')}};
  if (traits().expected_any) {
    auto other_any = good;
    other_any["4"] = hex96('c');
    EXPECT_THAT(attempt(other_any), Succeeds()) << "any value of expected_any";
    auto expected_loses = good;
    expected_loses["9"] = hex96('d');
    EXPECT_THAT(attempt(expected_loses), IsForbiddenWithEmptyBody()) << "expected_any wins over expected";
  } else {
    EXPECT_THAT(attempt(good), IsForbiddenWithEmptyBody()) << "0.3.1-alpha1 drops expected_any: register 4 expects \"\"";
    good = {{"0", hex96('a')}, {"4", ""}, {"9", hex96('d')}};  // only `expected` counts
  }
  EXPECT_THAT(attempt(good), Succeeds());
  auto extra = good;
  extra["11"] = hex96('9');
  EXPECT_THAT(attempt(extra), Succeeds()) << "header keys not in the record are ignored";
  auto missing = good;
  missing.erase("0");
  EXPECT_THAT(attempt(missing), IsForbiddenWithEmptyBody()) << "a record register missing from the header";
  auto upper = good;
  upper["0"] = std::string(96, 'A');
  EXPECT_THAT(attempt(upper), IsForbiddenWithEmptyBody()) << "comparison is case-sensitive";
}

TEST_F(HubContract, AnEmptyMeasurementAllowsAnyHeaderMapOfItsType) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder("e2e-net", {});
  auto id = a.identity;
  EXPECT_EQ(hub().builderApi(id).configuration(), a.secrets) << "{} header";
  id.measurement = {{"0", hex96('1')}, {"4", hex96('2')}};
  EXPECT_EQ(hub().builderApi(id).configuration(), a.secrets) << "any registers";
  id.attestation_type = uniqueType();
  EXPECT_THAT(hubOutcomeOf([&] { hub().builderApi(id).configuration(); }), IsForbiddenWithEmptyBody())
      << "but only for its attestation type";
}

TEST_F(HubContract, AMeasurementPostedWithoutAMapIsListedAsNullAndAllowsAny) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = admin();
  const auto type = uniqueType();
  const auto id = unique("m");
  ASSERT_THAT(outcomeOfReply(a.send("POST", "/api/admin/v1/measurements",
                                    fmt::format(R"({{"measurement_id":"{}","attestation_type":"{}"}})", id, type))),
              Succeeds());
  a.activateMeasurement(id);
  auto raw = nlohmann::json::parse(hub().builderApi({.ip = uniqueIp()}).send("GET", "/api/l1-builder/v1/measurements").body);
  auto it = std::find_if(raw.begin(), raw.end(), [&](const auto& r) { return r.value("measurement_id", "") == id; });
  ASSERT_NE(it, raw.end()) << raw.dump();
  EXPECT_TRUE(it->at("measurements").is_null()) << "Go marshals the nil map as null: " << it->dump();
  auto records = a.activeMeasurements();  // the client parses it
  auto parsed = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.measurement_id == id; });
  ASSERT_NE(parsed, records.end());
  EXPECT_TRUE(parsed->allowsAny());
  BuilderRecord b{.name = unique("b"), .ip_address = uniqueIp(), .network = "e2e-net"};
  a.addBuilder(b);
  a.setConfiguration(b.name, "{}");
  a.setSecrets(b.name, R"({"ok":1})");
  a.activateBuilder(b.name);
  EXPECT_EQ(hub().builderApi({.ip = b.ip_address, .attestation_type = type, .measurement = {{"0", hex96('5')}}})
                .configuration(),
            R"({"ok":1})")
      << "a null map allows any header map of its type";
}

// ---- credentials and the peer list ------------------------------------------------------

TEST_F(HubContract, RegisteredCredentialsReplaceEarlierOnes) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto vm = hub().builderApi(a.identity);
  const std::string first = "0x321f3426eEc20DE1910af1CD595c4DD83BEA0BA5";
  const std::string second = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";
  vm.registerCredentials("orderflow_proxy", ServiceCredentials{.ecdsa_pubkey_address = first, .region = "europe"});
  vm.registerCredentials("orderflow_proxy", ServiceCredentials{.ecdsa_pubkey_address = second});
  auto peers = vm.builders();
  auto self = std::find_if(peers.begin(), peers.end(), [&](const Peer& p) { return p.name == a.builder.name; });
  ASSERT_NE(self, peers.end());
  ASSERT_EQ(self->services.count("orderflow_proxy"), 1u);
  EXPECT_EQ(self->services.at("orderflow_proxy"),
            (ServiceCredentials{.ecdsa_pubkey_address = "0xabcdef0123456789abcdef0123456789abcdef01"}))
      << "only the latest registration, address lowercase, empty region omitted";
}

TEST_F(HubContract, CredentialsNeedACertificateOrAnAddress) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  auto vm = hub().builderApi(a.identity);
  EXPECT_THAT(hubOutcomeOf([&] { vm.registerCredentials("rbuilder", ServiceCredentials{.region = "europe"}); }),
              IsBadRequestFrom(version(), "no credentials provided", ""));
  auto none = vm.send("POST", "/api/l1-builder/v1/register_credentials/rbuilder", "{}");
  EXPECT_EQ(none.content_type, "text/plain; charset=utf-8") << "JSON (v0.6.2) and http.Error text both sniff as text";
  if (!traits().json_bad_requests) {
    auto nosniff = none.headers.find("x-content-type-options");
    ASSERT_NE(nosniff, none.headers.end()) << "0.3.1-alpha1 answers with Go's http.Error";
    EXPECT_EQ(nosniff->second, "nosniff");
  }
  EXPECT_THAT(hubOutcomeOf([&] { vm.registerCredentials("rbuilder", ServiceCredentials{.ecdsa_pubkey_address = "0x1234"}); }),
              IsBadRequestFrom(version(), "failed to unmarshal request body", ""));
  EXPECT_THAT(hubOutcomeOf([&] { vm.registerCredentials("rbuilder", std::string_view(R"({"tls_cert": 5})")); }),
              IsBadRequestFrom(version(), "failed to unmarshal request body", ""));
  EXPECT_THAT(hubOutcomeOf([&] { vm.registerCredentials("rbuilder", ServiceCredentials{.tls_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}); }),
              Succeeds());
}

TEST_F(HubContract, PeerListShapeAndNetworkSeparation) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  const std::string network = unique("net");
  auto one = allowNewBuilder(network);
  auto two = allowNewBuilder(network);
  auto elsewhere = allowNewBuilder(unique("net"));
  const std::string cert = "-----BEGIN CERTIFICATE-----\nMIIBe2e\n-----END CERTIFICATE-----\n";
  hub().builderApi(one.identity).registerCredentials("instance", ServiceCredentials{.tls_cert = cert});
  hub().builderApi(one.identity)
      .registerCredentials("orderflow_proxy",
                           ServiceCredentials{.tls_cert = cert, .ecdsa_pubkey_address = "0x" + std::string(40, 'F'),
                                              .region = "europe"});

  auto peers = hub().builderApi(two.identity).builders();
  ASSERT_THAT(peers, UnorderedElementsAre(Field(&Peer::name, one.builder.name), Field(&Peer::name, two.builder.name)))
      << "the caller's network only, the caller included";
  for (const auto& p : peers) {
    EXPECT_TRUE(p.json.contains("name") && p.json.contains("ip") && p.json.contains("dns_name")) << p.json.dump();
    EXPECT_EQ(p.dns_name, "") << "dns_name is present and empty when unset";
  }
  auto first = *std::find_if(peers.begin(), peers.end(), [&](const Peer& p) { return p.name == one.builder.name; });
  EXPECT_EQ(first.ip, one.builder.ip_address);
  EXPECT_EQ(first.json.at("instance"), nlohmann::json({{"tls_cert", cert}})) << "empty fields omitted";
  EXPECT_EQ(first.services.at("orderflow_proxy"),
            (ServiceCredentials{.tls_cert = cert, .ecdsa_pubkey_address = "0x" + std::string(40, 'f'),
                                .region = traits().region ? "europe" : ""}))
      << "region is stored and returned from v0.6.2 on (PR #77); 0.3.1-alpha1 drops it";

  auto a = admin();
  EXPECT_THAT(a.peers(network), SizeIs(2)) << "internal v2 list of the network";
  EXPECT_THAT(a.peers(elsewhere.builder.network), ElementsAre(Field(&Peer::name, elsewhere.builder.name)));
  EXPECT_THAT(a.productionPeers(), Not(Contains(Field(&Peer::name, one.builder.name))))
      << "internal v1 lists production only";
}

TEST_F(HubContract, EmptyListsAreWrittenAsTheVersionWritesThem) {
  EXPECT_THAT(admin().peers(unique("empty-net")), IsEmpty());
  auto reply = hub().builderApi({.ip = uniqueIp()})
                   .send("GET", fmt::format("/api/internal/l1-builder/v2/network/{}/builders", unique("nobody")));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, traits().empty_list_is_array ? "[]" : "null")
      << "v0.6.2 writes [] (PR #70); 0.3.1-alpha1 marshals the nil slice as null";
}

// ---- configuration ----------------------------------------------------------------------

TEST_F(HubContract, ConfigurationIsTheSecretsBlobByteForByte) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  auto a = allowNewBuilder();
  // Odd spacing, key order, unicode and escapes must all come back untouched.
  const std::string secrets = "{ \"z\": 1,\n  \"a\" : \"caf\xc3\xa9 \\u00e9 <&>\",\t\"n\": [1.50, 2e3] }";
  admin().setConfiguration(a.builder.name, R"({"not":"what the VM gets"})");
  admin().setSecrets(a.builder.name, secrets);
  auto reply = hub().builderApi(a.identity).send("GET", "/api/l1-builder/v1/configuration");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, secrets);
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8") << "Go sniffs JSON as text";
}

TEST_F(HubContract, ConfigurationDownloadsAreLogged) {
  BNET_SKIP_UNLESS_HUB_WRITABLE();
  if (!hub().hasEventLog()) GTEST_SKIP() << "this hub keeps its event_log in its database (no test endpoint)";
  auto a = allowNewBuilder();
  hub().builderApi(a.identity).configuration();
  auto events = hub().events();
  EXPECT_THAT(events, Contains(::testing::AllOf(Field(&HubEvent::event_name, "GetConfig"),
                                                Field(&HubEvent::builder_name, a.builder.name),
                                                Field(&HubEvent::measurement_id, a.measurement.measurement_id))));
}

}  // namespace
}  // namespace bnet
