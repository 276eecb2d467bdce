// bnet-e2e: the project's command line. Subcommands live one per file (commands.hpp).
#include <fmt/format.h>

#include <cstring>

#include "fixtures/common/version.hpp"
#include "tools/bnet-e2e/commands.hpp"

namespace {

void addFooter(CLI::App* app) {
  app->footer(bnet::cli::kExitCodesFooter);
  for (auto* sub : app->get_subcommands([](CLI::App*) { return true; })) addFooter(sub);
}

}  // namespace

int main(int argc, char** argv) {
  // `run ... -- CTEST_ARGS`: what follows `--` goes to ctest untouched (CLI11 would make it
  // more SUITE positionals). Other commands (ssh -- COMMAND) keep CLI11's `--`.
  std::vector<std::string> ctest_args;
  if (argc > 1 && std::strcmp(argv[1], "run") == 0) {
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--") != 0) continue;
      ctest_args.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }
  CLI::App app{"bnet-e2e: end-to-end testing of BuilderNet builder images"};
  app.set_version_flag("--version", std::string(bnet::frameworkVersion()));
  app.require_subcommand(1);
  bnet::cli::addEnvironmentCommands(app);
  bnet::cli::addAttachCommands(app);
  bnet::cli::addImageCommand(app);
  bnet::cli::addRunCommand(app, std::move(ctest_args));
  bnet::cli::addMeasureCommand(app);
  bnet::cli::addReportCommand(app);
  bnet::cli::addRedactCommand(app);
  bnet::cli::addSummaryCommands(app);
  auto* hub = app.add_subcommand("hub", "BuilderHub tasks through its admin API");
  hub->require_subcommand(1);
  bnet::cli::addHubAllowCommand(*hub);
  addFooter(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; any other argument error is bad input (2), not CLI11's code.
    return app.exit(e) == 0 ? 0 : bnet::cli::kExitBadInput;
  } catch (const bnet::cli::CommandError& e) {
    fmt::print(stderr, "bnet-e2e: {}\n", e.what());
    return e.exitCode();
  } catch (const std::exception& e) {
    fmt::print(stderr, "bnet-e2e: {}\n", e.what());
    return bnet::cli::kExitFailed;
  }
  return 0;
}
