#include "framework/env/env_file.hpp"

#include <gtest/gtest.h>

#include <map>

#include "framework/env/env_reader.hpp"

namespace {

using e2e::EnvFileError;
using e2e::EnvObject;
using e2e::EnvReader;
using e2e::parseEnvText;

e2e::VariableLookup vars(std::map<std::string, std::string> m) {
  return [m](const std::string& name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

std::string expand(std::string_view text, const e2e::VariableLookup& lookup) {
  return e2e::expandVariables(text, "f.json", "/k", lookup);
}

// The message of the EnvFileError that fn throws.
template <class F>
std::string errorOf(F&& fn) {
  try {
    fn();
  } catch (const EnvFileError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ExpandVariables, SubstitutesSetVariables) {
  auto lookup = vars({{"HOST", "127.0.0.1"}, {"PORT", "8080"}, {"EMPTY", ""}});
  EXPECT_EQ(expand("http://${HOST}:${PORT}/x", lookup), "http://127.0.0.1:8080/x");
  EXPECT_EQ(expand("[${EMPTY}]", lookup), "[]");
  EXPECT_EQ(expand("no variables", lookup), "no variables");
}

TEST(ExpandVariables, UsesTheDefaultWhenUnsetOrEmpty) {
  auto lookup = vars({{"SET", "value"}, {"EMPTY", ""}});
  EXPECT_EQ(expand("${UNSET:-fallback}", lookup), "fallback");
  EXPECT_EQ(expand("${EMPTY:-fallback}", lookup), "fallback");
  EXPECT_EQ(expand("${SET:-fallback}", lookup), "value");
  EXPECT_EQ(expand("${UNSET:-}", lookup), "");
  EXPECT_EQ(expand("${UNSET:-a:b/c}", lookup), "a:b/c");
}

TEST(ExpandVariables, DoubleDollarIsALiteralDollar) {
  auto lookup = vars({{"A", "x"}});
  EXPECT_EQ(expand("price $$5 and $${A} ${A}", lookup), "price $5 and ${A} x");
}

TEST(ExpandVariables, UnsetVariableNamesFilePointerAndVariable) {
  EXPECT_EQ(errorOf([] { e2e::expandVariables("${NOPE}", "environments/x.json", "/hub/admin_url", vars({})); }),
            "environments/x.json: /hub/admin_url: environment variable NOPE is not set "
            "(write ${NOPE:-default} to give a default)");
}

TEST(ExpandVariables, RejectsBadSyntax) {
  auto lookup = vars({{"A", "x"}});
  EXPECT_EQ(errorOf([&] { expand("cost $A", lookup); }),
            "f.json: /k: '$' at offset 5 must start ${NAME}, ${NAME:-default} or $$ (a literal '$')");
  EXPECT_EQ(errorOf([&] { expand("${A", lookup); }), "f.json: /k: unterminated '${' at offset 0 (no '}')");
  EXPECT_EQ(errorOf([&] { expand("${1A}", lookup); }),
            "f.json: /k: '${1A}' is not a variable reference (names are [A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(errorOf([&] { expand("${A:-${B}}", lookup); }),
            "f.json: /k: '${A:-${B}': a default cannot hold another ${...}");
}

TEST(ParseEnvText, ExpandsStringsEverywhereButNotKeys) {
  auto doc = parseEnvText(R"({"${K}": {"list": ["${A}", 1, "${B:-b}"], "n": 3}})", "f.json", vars({{"A", "a"}}));
  EXPECT_EQ(doc.value["${K}"]["list"], nlohmann::ordered_json::parse(R"(["a", 1, "b"])"));
  EXPECT_EQ(doc.expanded_pointers, (std::set<std::string>{"/${K}/list/0", "/${K}/list/2"}));
}

TEST(ParseEnvText, MissingVariableErrorHasThePointer) {
  EXPECT_EQ(errorOf([] { parseEnvText(R"({"hub": {"urls": ["x", "${HUB_URL}"]}})", "e.json", vars({})); }),
            "e.json: /hub/urls/1: environment variable HUB_URL is not set (write ${HUB_URL:-default} to give a default)");
}

TEST(ParseEnvText, ListsEveryUnsetVariableInFileOrder) {
  EXPECT_EQ(errorOf([] { parseEnvText(R"({"z": "${Z}", "a": {"b": "${B}-${C}"}})", "o.json", vars({})); }),
            "o.json: /z: environment variable Z is not set (write ${Z:-default} to give a default); "
            "also not set: B at /a/b, C at /a/b");
}

TEST(ParseEnvText, MalformedJsonNamesLineAndColumn) {
  std::string text = "{\n  \"a\": 1,\n  \"b\" 2\n}\n";
  std::string message = errorOf([&] { parseEnvText(text, "environments/bad.json", vars({})); });
  EXPECT_EQ(message.rfind("environments/bad.json:3:7: malformed JSON: ", 0), 0u) << message;
  EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
  EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
}

TEST(ParseEnvText, TruncatedJsonNamesTheEnd) {
  std::string message = errorOf([] { parseEnvText("{\"a\": [1,\n", "t.json", vars({})); });
  EXPECT_EQ(message.rfind("t.json:2:1: malformed JSON: ", 0), 0u) << message;
}

TEST(ParseEnvText, DuplicateKeyIsAnError) {
  EXPECT_EQ(errorOf([] { parseEnvText(R"({"a": [{"x": 1}, {"y": 1, "y": 2}]})", "d.json", vars({})); }),
            "d.json: /a/1/y: duplicate key (JSON keeps only one of them)");
}

TEST(LoadEnvFile, NamesAMissingFile) {
  EXPECT_EQ(errorOf([] { e2e::loadEnvFile("/nonexistent/env.json", vars({})); }),
            "/nonexistent/env.json: no such file");
}

// --- the typed reader ---

struct Hub {
  std::string admin_url;
  std::string admin_user;
  std::int64_t port = 0;
};

Hub readHub(EnvObject& o) {
  return Hub{.admin_url = o.string("admin_url"), .admin_user = o.string("admin_user", "admin"),
             .port = o.integer("port", 8080, {.min = 1, .max = 65535})};
}

Hub readDoc(std::string_view text, std::map<std::string, std::string> env = {}) {
  EnvReader reader(parseEnvText(text, "environments/x.json", vars(std::move(env))));
  return reader.read([](EnvObject& root) { return root.object("hub", readHub); });
}

TEST(EnvReader, ReadsTypedValuesWithDefaults) {
  Hub hub = readDoc(R"({"hub": {"admin_url": "http://127.0.0.1:8081"}})");
  EXPECT_EQ(hub.admin_url, "http://127.0.0.1:8081");
  EXPECT_EQ(hub.admin_user, "admin");
  EXPECT_EQ(hub.port, 8080);
}

TEST(EnvReader, WrongTypeNamesFilePointerAndTypes) {
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": 8081}})"); }),
            "environments/x.json: /hub/admin_url: expected a string, got number");
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": "u", "port": "80"}})"); }),
            "environments/x.json: /hub/port: expected an integer, got string \"80\"");
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": "u", "port": 1.5}})"); }),
            "environments/x.json: /hub/port: expected an integer, got number 1.5");
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": []})"); }), "environments/x.json: /hub: expected an object, got array");
}

TEST(EnvReader, UnknownKeyListsTheKnownOnes) {
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": "u", "admin_ulr": "v"}})"); }),
            "environments/x.json: /hub/admin_ulr: unknown key; expected one of: admin_url, admin_user, port "
            "(did you mean admin_url?)");
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": "u"}, "extra": {}})"); }),
            "environments/x.json: /extra: unknown key; expected one of: hub");
}

TEST(EnvReader, MissingRequiredKey) {
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {}})"); }), "environments/x.json: /hub/admin_url: missing (required)");
  EXPECT_EQ(errorOf([] { readDoc(R"({})"); }), "environments/x.json: /hub: missing (required)");
}

TEST(EnvReader, RangeIsChecked) {
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": "u", "port": 70000}})"); }),
            "environments/x.json: /hub/port: 70000 is above the maximum 65535");
}

TEST(EnvReader, NumbersAndBooleansMayComeFromVariables) {
  Hub hub = readDoc(R"({"hub": {"admin_url": "u", "port": "${PORT}"}})", {{"PORT", "9000"}});
  EXPECT_EQ(hub.port, 9000);
  EXPECT_EQ(errorOf([] { readDoc(R"({"hub": {"admin_url": "u", "port": "${PORT}"}})", {{"PORT", "90x"}}); }),
            "environments/x.json: /hub/port: expected an integer, got \"90x\" (from a variable)");
  EnvReader reader(parseEnvText(R"({"a": "${A}", "b": false})", "b.json", vars({{"A", "true"}})));
  auto [a, b] = reader.read([](EnvObject& o) { return std::pair{o.boolean("a"), o.boolean("b")}; });
  EXPECT_TRUE(a);
  EXPECT_FALSE(b);
}

TEST(EnvReader, OneOfListsTheChoices) {
  EnvReader reader(parseEnvText(R"({"mode": "launch"})", "m.json", vars({})));
  EXPECT_EQ(errorOf([&] { reader.read([](EnvObject& o) { return o.oneOf("mode", {"local", "attach"}); }); }),
            "m.json: /mode: \"launch\" is not one of: local, attach");
}

TEST(EnvReader, UrlsAreChecked) {
  EnvReader reader(parseEnvText(R"({"u": "127.0.0.1:8080"})", "u.json", vars({})));
  EXPECT_EQ(errorOf([&] { reader.read([](EnvObject& o) { return o.url("u"); }); }),
            "u.json: /u: expected an http://, https://, ws:// or wss:// URL, got \"127.0.0.1:8080\"");
}

TEST(EnvReader, ArraysOfObjectsAndStrings) {
  EnvReader reader(parseEnvText(R"({"steps": ["a", "b"], "nodes": [{"n": 1}, {"n": 2, "x": 0}]})", "a.json", vars({})));
  EXPECT_EQ(errorOf([&] {
              reader.read([](EnvObject& o) {
                o.strings("steps");
                return o.objects("nodes", [](EnvObject& n) { return n.integer("n"); });
              });
            }),
            "a.json: /nodes/1/x: unknown key; expected one of: n");
  EnvReader bad(parseEnvText(R"({"steps": ["a", 2]})", "s.json", vars({})));
  EXPECT_EQ(errorOf([&] { bad.read([](EnvObject& o) { return o.strings("steps"); }); }),
            "s.json: /steps/1: expected a string, got number");
}

TEST(EnvReader, SecretsAreRegisteredAndMaskedInTheResolvedCopy) {
  e2e::Redactor redactor;
  EnvReader reader(parseEnvText(R"({"user": "admin", "password": "${PW}"})", "s.json", vars({{"PW", "pa55word-xyz"}})),
                   redactor);
  auto password = reader.read([](EnvObject& o) {
    o.string("user");
    return o.secretString("password");
  });
  EXPECT_EQ(password, "pa55word-xyz");
  EXPECT_EQ(redactor.redact("login pa55word-xyz"), "login [REDACTED]");
  EXPECT_EQ(reader.redactedCopy(), nlohmann::ordered_json::parse(R"({"user": "admin", "password": "[REDACTED]"})"));
}

}  // namespace
