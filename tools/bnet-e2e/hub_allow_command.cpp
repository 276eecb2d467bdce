// bnet-e2e hub allow --measurement FILE --builder FILE --environment-kind dev|staging|production
//                    (--admin-url URL [--admin-user U] [--admin-password-env VAR] [--internal-url URL]
//                     | --env NAME)
// Registers a measurement and a builder (name, IP, network, configuration, secrets) through
// the admin API in the order the hub requires and activates both; a second run changes
// nothing. Refuses an environment marked production, and an empty (allow-any) measurement
// outside dev.
//
// --builder FILE is JSON: {"name", "ip_address", "network", "dns_name"?,
//   "configuration": <JSON> | "configuration_file": "path",   (default {})
//   "secrets": <JSON> | "secrets_file": "path"}                (what the VM receives)
// *_file paths are relative to the builder file; their bytes are sent unchanged.
// The secrets must follow builder-config.md (environments/schema/builder-config.schema.json),
// so that a real image could run on them; --no-config-check sends any JSON object (e.g. to
// see how an image fails on a broken configuration).
//
// --env NAME|PATH takes the admin URL, credentials and the environment's kind from an
// environment file (environments/NAME.json); with --admin-url, say the kind yourself.
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "fixtures/environment/environment.hpp"
#include "fixtures/hub/builder_config.hpp"
#include "fixtures/hub/hub_allow.hpp"
#include "framework/env/env_file.hpp"
#include "framework/env/selection.hpp"
#include "fixtures/hub/twin_measurement.hpp"
#include "tools/bnet-e2e/commands.hpp"

namespace bnet::cli {
namespace fs = std::filesystem;
namespace {

struct AllowOptions {
  std::string measurement_file;
  std::string builder_file;
  std::string env;
  std::string admin_url;
  std::string internal_url;
  std::string admin_user = "admin";
  std::string admin_password_env = "BNET_HUB_ADMIN_PASSWORD";
  std::string environment_kind;
  bool password_env_given = false;
  bool no_config_check = false;
  int timeout_s = 15;
};

std::string readFile(const fs::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandError(kExitBadInput, fmt::format("{} {}: cannot read it", what, path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A JSON document for the hub: inline value (dumped) or a file's bytes (checked to be JSON).
std::string documentFrom(const nlohmann::json& builder, const fs::path& builder_file, const char* inline_key,
                         const char* file_key, std::optional<std::string> fallback) {
  bool has_inline = builder.contains(inline_key);
  bool has_file = builder.contains(file_key);
  if (has_inline && has_file) {
    throw CommandError(kExitBadInput, fmt::format("{}: give \"{}\" or \"{}\", not both", builder_file.string(),
                                                  inline_key, file_key));
  }
  if (has_inline) return builder.at(inline_key).dump();
  if (has_file) {
    const auto& name = builder.at(file_key);
    if (!name.is_string()) throw CommandError(kExitBadInput, fmt::format("{}: \"{}\" must be a path", builder_file.string(), file_key));
    fs::path p = name.get<std::string>();
    if (p.is_relative()) p = builder_file.parent_path() / p;
    auto bytes = readFile(p, file_key);
    if (!nlohmann::json::accept(bytes)) {
      throw CommandError(kExitBadInput, fmt::format("{} {}: not valid JSON", file_key, p.string()));
    }
    return bytes;
  }
  if (fallback) return *fallback;
  throw CommandError(kExitBadInput, fmt::format("{}: \"{}\" (or \"{}\") is required", builder_file.string(),
                                                inline_key, file_key));
}

// Where to write and what kind of environment that is: from --env, or from the flags.
struct Target {
  EnvironmentKind kind = EnvironmentKind::kDev;
  std::string admin_url;
  std::string internal_url;
  std::string admin_user;
  std::optional<std::string> admin_password;  // from the environment file
};

Target targetOf(const AllowOptions& o) {
  Target t;
  if (!o.env.empty()) {
    Environment env;
    try {
      env = Environment::load(e2e::resolveEnvironmentPath(o.env));
    } catch (const std::exception& e) {
      throw CommandError(kExitBadInput, fmt::format("--env {}: {}", o.env, e.what()));
    }
    t.kind = env.kind;
    t.admin_url = env.hub.admin_url;
    t.internal_url = env.hub.internal_url.empty() ? env.hub.builder_url : env.hub.internal_url;
    t.admin_user = env.hub.admin_user;
    t.admin_password = env.hub.admin_password;
    if (t.kind != EnvironmentKind::kProduction && t.admin_url.empty()) {
      throw CommandError(kExitBadInput, fmt::format(
          "--env {}: hub.admin_url is empty in {} (a {} hub gets its URLs when it starts); give --admin-url and "
          "--environment-kind", o.env, env.file.string(), toString(env.hub.mode)));
    }
    return t;
  }
  if (o.admin_url.empty()) throw CommandError(kExitBadInput, "give --env NAME, or --admin-url with --environment-kind");
  if (o.environment_kind.empty()) {
    throw CommandError(kExitBadInput, "--environment-kind dev|staging|production is required with --admin-url");
  }
  try {
    t.kind = parseEnvironmentKind(o.environment_kind);
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, e.what());
  }
  t.admin_url = o.admin_url;
  t.internal_url = o.internal_url;
  t.admin_user = o.admin_user;
  return t;
}

void runAllow(const AllowOptions& o) {
  Target target = targetOf(o);
  const EnvironmentKind kind = target.kind;
  AllowRequest request;
  try {
    auto records = readMeasurementsFile(o.measurement_file);
    if (records.size() != 1) {
      throw std::invalid_argument(fmt::format("measurements file {}: holds {} records; allow takes exactly one",
                                              o.measurement_file, records.size()));
    }
    request.measurement = records.front();
    fs::path builder_path = o.builder_file;
    auto builder_json = nlohmann::json::parse(readFile(builder_path, "builder file"), nullptr, false);
    if (!builder_json.is_object()) throw std::invalid_argument(fmt::format("builder file {}: not a JSON object", o.builder_file));
    request.builder = BuilderRecord::fromJson(builder_json, fmt::format("builder file {}", o.builder_file));
    request.configuration = documentFrom(builder_json, builder_path, "configuration", "configuration_file", "{}");
    request.secrets = documentFrom(builder_json, builder_path, "secrets", "secrets_file", std::nullopt);
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, e.what());
  }
  if (auto why = allowPolicyViolation(kind, request)) throw CommandError(kExitRefused, *why);
  if (!o.no_config_check) {
    auto violations = builderConfigViolations(nlohmann::json::parse(request.secrets, nullptr, false));
    if (!violations.empty()) {
      std::string list;
      for (const auto& v : violations) list += "\n  " + v;
      throw CommandError(kExitBadInput, fmt::format("builder file {}: the secrets (what the VM downloads) do not follow "
                                                    "builder-config.md; a real image could not run on them "
                                                    "(--no-config-check sends them anyway):{}",
                                                    o.builder_file, list));
    }
  }

  std::string password;
  if (target.admin_password && !o.password_env_given) {
    password = *target.admin_password;
  } else if (const char* p = std::getenv(o.admin_password_env.c_str()); p != nullptr) {
    password = p;
  }
  if (password.empty()) {
    fmt::print(stderr, "bnet-e2e: no admin password (${} is not set): calling the admin API without one\n",
               o.admin_password_env);
  }
  HubAdmin admin({.admin_url = target.admin_url,
                  .internal_url = target.internal_url,
                  .user = target.admin_user,
                  .password = password,
                  .timeout = std::chrono::seconds(o.timeout_s)});
  if (target.internal_url.empty()) {
    fmt::print(stderr, "bnet-e2e: no --internal-url: cannot read back active measurements and peers; a rerun relies "
                       "on the hub's 500 for duplicates\n");
  }
  try {
    auto report = allowBuilder(admin, kind, request);
    fmt::print("{}", report.summary());
    fmt::print("allowed: builder {} ({}, network {}) with measurement {} ({})\n", request.builder.name,
               request.builder.ip_address, request.builder.network, request.measurement.measurement_id,
               request.measurement.attestation_type);
  } catch (const AllowRefused& e) {
    throw CommandError(kExitRefused, e.what());
  } catch (const std::invalid_argument& e) {
    throw CommandError(kExitBadInput, e.what());
  } catch (const std::exception& e) {
    throw CommandError(kExitFailed, e.what());
  }
}

}  // namespace

void addHubAllowCommand(CLI::App& hub) {
  auto o = std::make_shared<AllowOptions>();
  auto* cmd = hub.add_subcommand("allow", "register a measurement and a builder, then activate both (idempotent)");
  cmd->add_option("--measurement", o->measurement_file, "measurement record JSON (what `bnet-e2e measure` prints)")
      ->required();
  cmd->add_option("--builder", o->builder_file, "builder JSON: name, ip_address, network, configuration, secrets")
      ->required();
  cmd->add_option("--env", o->env, "environment name or file: its hub's admin URL, credentials and kind");
  cmd->add_option("--admin-url", o->admin_url, "the hub's admin API, e.g. http://127.0.0.1:8081");
  cmd->add_option("--internal-url", o->internal_url, "the hub's internal (or instance) API, for read-back");
  cmd->add_option("--admin-user", o->admin_user, "admin Basic auth user")->capture_default_str();
  cmd->add_option("--admin-password-env", o->admin_password_env, "environment variable holding the admin password")
      ->capture_default_str()
      ->each([o](const std::string&) { o->password_env_given = true; });
  cmd->add_option("--environment-kind", o->environment_kind, "dev, staging or production (production is refused)")
      ->check(CLI::IsMember({"dev", "staging", "production"}));
  cmd->add_flag("--no-config-check", o->no_config_check,
               "send secrets that do not follow builder-config.md (the schema check is skipped)");
  cmd->add_option("--timeout", o->timeout_s, "seconds per hub request")->capture_default_str();
  cmd->get_option("--env")->excludes(cmd->get_option("--admin-url"));
  cmd->get_option("--env")->excludes(cmd->get_option("--environment-kind"));
  cmd->callback([o] { runAllow(*o); });
}

}  // namespace bnet::cli
