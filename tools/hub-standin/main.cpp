// bnet-hub-standin: a local stand-in of flashbots/builder-hub v0.6.2, or of 0.3.1-alpha1
// with --hub-version (builderhub-api.md, playground-recipes.md §4.3):
// the instance, admin and internal HTTP servers with the real paths, headers, matching
// rules, status codes and quirks, state in memory (the mock secrets backend's behaviour).
// Extension: GET /test/v1/events on the internal server (not in the real hub).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <exception>
#include <optional>

#include "tools/common/listen.hpp"
#include "tools/common/tool_log.hpp"
#include "tools/hub-standin/hub_server.hpp"

namespace {

using namespace bnet;

bool looksLikeBcrypt(const std::string& hash) {
  return hash.size() == 60 && (hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0);
}

int run(int argc, char** argv) {
  CLI::App app{"bnet-hub-standin: local stand-in of the BuilderHub API (builder-hub v0.6.2 or 0.3.1-alpha1)"};
  std::string hub_version = "0.6.2";
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:8081";
  std::string internal_listen = "127.0.0.1:8082";
  std::string ports_file;
  std::string admin_user = "admin";
  std::string admin_hash;
  bool disable_admin_auth = false;
  int drain_seconds = 15;
  std::size_t max_body = std::size_t{1} << 20;
  app.add_option("--listen", listen, "instance API (8080 role), loopback HOST:PORT; port 0 = any")
      ->envname("LISTEN_ADDR")
      ->capture_default_str();
  app.add_option("--admin-listen", admin_listen, "admin API (8081 role)")->envname("ADMIN_ADDR")->capture_default_str();
  app.add_option("--internal-listen", internal_listen, "internal API (8082 role)")
      ->envname("INTERNAL_ADDR")
      ->capture_default_str();
  app.add_option("--ports-file", ports_file,
                 "write {\"instance\":P,\"admin\":P,\"internal\":P,\"pid\":N} here once listening");
  app.add_option("--admin-basic-user", admin_user, "admin Basic auth user")
      ->envname("ADMIN_BASIC_USER")
      ->capture_default_str();
  app.add_option("--admin-basic-password-bcrypt", admin_hash,
                 "bcrypt hash of the admin password ($2a$/$2b$/$2y$); empty: every admin call 401")
      ->envname("ADMIN_BASIC_PASSWORD_BCRYPT");
  app.add_flag("--disable-admin-auth", disable_admin_auth, "skip admin Basic auth (local development only)")
      ->envname("DISABLE_ADMIN_AUTH");
  app.add_option("--drain-seconds", drain_seconds, "seconds /drain sleeps")->capture_default_str()->check(
      CLI::Range(0, 3600));
  app.add_option("--max-body-bytes", max_body, "larger request bodies get 413 (the real hub has no limit)")
      ->capture_default_str();
  app.add_option("--hub-version", hub_version,
                 "the builder-hub release to answer as: 0.6.2, or 0.3.1-alpha1 (what builder-playground pins)")
      ->capture_default_str()
      ->check(CLI::IsMember({"0.6.2", "v0.6.2", "0.3.1-alpha1", "v0.3.1-alpha1"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  standin::StandinConfig config;
  try {
    config.instance = tools::parseListenAddress(listen, "--listen");
    config.admin = tools::parseListenAddress(admin_listen, "--admin-listen");
    config.internal = tools::parseListenAddress(internal_listen, "--internal-listen");
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "bnet-hub-standin: {}\n", e.what());
    return 2;
  }
  config.admin_user = admin_user;
  config.admin_password_bcrypt = admin_hash;
  config.disable_admin_auth = disable_admin_auth;
  config.drain = std::chrono::seconds(drain_seconds);
  config.max_body_bytes = max_body;
  config.version = standin::parseApiVersion(hub_version).value_or(standin::ApiVersion::kV0_6_2);

  tools::logInfo("starting builder-hub", {{"service", "hub-standin"}, {"version", fmt::format("stand-in of v{}", standin::toString(config.version))}});
  tools::logInfo("using mock secrets storage");
  if (disable_admin_auth) {
    tools::logWarn("ADMIN AUTH DISABLED! DO NOT USE IN PRODUCTION", {{"flag", "--disable-admin-auth"}});
  } else if (admin_hash.empty()) {
    tools::logWarn("admin password hash is empty: every admin call gets 401",
                   {{"flag", "--admin-basic-password-bcrypt"}});
  } else if (!looksLikeBcrypt(admin_hash)) {
    tools::logWarn("admin password hash is not a bcrypt hash: every admin call gets 401",
                   {{"flag", "--admin-basic-password-bcrypt"}});
  }

  tools::blockTerminationSignals();  // before any thread starts: they all inherit the mask
  standin::HubStandin hub(config);
  try {
    hub.bind();
  } catch (const std::exception& e) {
    tools::logError("HTTP server failed", {{"err", e.what()}});
    return 1;
  }
  hub.serve();
  if (!ports_file.empty()) {
    try {
      tools::writeJsonFileAtomically(ports_file, {{"instance", hub.instancePort()},
                                                  {"admin", hub.adminPort()},
                                                  {"internal", hub.internalPort()},
                                                  {"pid", ::getpid()}});
    } catch (const std::exception& e) {
      tools::logError("cannot write the ports file", {{"err", e.what()}});
      return 1;
    }
  }
  int sig = tools::waitForTerminationSignal();
  tools::logInfo("shutting down", {{"signal", std::to_string(sig)}});
  hub.stop();
  tools::logInfo("HTTP server gracefully stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bnet-hub-standin: {}\n", e.what());
    return 1;
  }
}
