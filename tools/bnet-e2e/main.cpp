// bnet-e2e: the project's command line. Subcommands live one per file (commands.hpp).
#include <fmt/format.h>

#include "fixtures/common/version.hpp"
#include "tools/bnet-e2e/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bnet-e2e: end-to-end testing of BuilderNet builder images"};
  app.set_version_flag("--version", std::string(bnet::frameworkVersion()));
  app.require_subcommand(1);
  bnet::cli::addEnvironmentCommands(app);
  bnet::cli::addMeasureCommand(app);
  bnet::cli::addReportCommand(app);
  auto* hub = app.add_subcommand("hub", "BuilderHub tasks through its admin API");
  hub->require_subcommand(1);
  bnet::cli::addHubAllowCommand(*hub);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const bnet::cli::CommandError& e) {
    fmt::print(stderr, "bnet-e2e: {}\n", e.what());
    return e.exitCode();
  } catch (const std::exception& e) {
    fmt::print(stderr, "bnet-e2e: {}\n", e.what());
    return bnet::cli::kExitFailed;
  }
  return 0;
}
