// bnet-e2e image build: the twin image (tools/twin-image/ensure.sh), or a real BuilderNet
// image through the image repository's own mkosi build with what a devnet needs.
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <fstream>

#include "framework/fs/fs.hpp"
#include "framework/process/child_process.hpp"
#include "framework/ssh/ssh_key.hpp"
#include "tools/bnet-e2e/commands.hpp"
#include "tools/bnet-e2e/progress.hpp"
#include "tools/bnet-e2e/step_runner.hpp"

namespace bnet::cli {
namespace {

namespace fs = std::filesystem;

// What the flashbots-images repository (branch trunk/buildernet) builds with, per
// shared/reference/buildernet-vm.md §2: `mkosi --force -I buildernet.conf` under umask 022;
// the `devtools` profile turns SSH on (preset), the `playground` profile skips reth-sync
// (preset) and renders reth/lighthouse drop-ins from the devnet's artifacts; the build-time
// environment BUILDERNET_SSH_PUBLIC_KEY becomes /home/bnet/.ssh/authorized_keys and
// BUILDERNET_BUILDERHUB_URL the hub the attested proxy client talks to (playground value
// 10.0.2.2:7000, the host as QEMU's user network shows it).
constexpr std::string_view kImageConfig = "buildernet.conf";
constexpr std::string_view kProfiles = "devtools,playground";
constexpr std::string_view kDefaultHubUrl = "10.0.2.2:7000";

struct ImageOptions {
  bool twin = false;
  bool real = false;
  bool dry_run = false;
  std::string image_repo;
  std::string hub_url = std::string(kDefaultHubUrl);
  std::string ssh_key;  // public key file; empty: the framework's key
};

fs::path ensureScript() {
  auto source = e2e::projectSourceDir();
  if (source.empty()) {
    throw CommandError(kExitFailed, "cannot find the project's source folder for tools/twin-image/ensure.sh "
                                    "(set BNET_E2E_SOURCE_DIR)");
  }
  return source / "tools" / "twin-image" / "ensure.sh";
}

void buildTwin(const ImageOptions& o) {
  auto script = ensureScript();
  if (o.dry_run) {
    fmt::print("{}\n", script.string());
    return;
  }
  std::error_code ec;
  if (!fs::exists(script, ec)) throw CommandError(kExitFailed, fmt::format("{} does not exist", script.string()));
  Progress progress("image build --twin");
  progress.update("building (or finding) the twin image");
  std::string image_dir;
  std::deque<std::string> tail;
  auto status = runStep({.argv = {"bash", script.string()}}, progress, [&](std::string_view line, bool from_stderr) {
    if (!from_stderr) {
      image_dir = std::string(line);
      return;
    }
    tail.emplace_back(line);
    if (tail.size() > 40) tail.pop_front();
    progress.note(std::string(line));
  });
  if (!status.success() || image_dir.empty()) {
    progress.finish(fmt::format("failed: ensure.sh {}", status.describe()));
    throw CommandError(kExitFailed, fmt::format("{} {}", script.string(), status.describe()));
  }
  progress.finish("done");
  fmt::print("{}\n", image_dir);
}

// The shell commands of a real image build, one per line: what --dry-run prints and what
// the build runs. The key is read from its file by the shell line (a public key, but long).
std::vector<std::string> realBuildLines(const fs::path& repo, const fs::path& key, const std::string& hub_url) {
  return {fmt::format("cd {}", repo.string()),
          "umask 022",
          fmt::format("export BUILDERNET_SSH_PUBLIC_KEY=\"$(cat {})\"", key.string()),
          fmt::format("mkosi --force --profile={} --environment=BUILDERNET_BUILDERHUB_URL={} "
                      "--environment=BUILDERNET_SSH_PUBLIC_KEY -I {}",
                      kProfiles, hub_url, kImageConfig)};
}

void buildReal(const ImageOptions& o) {
  if (o.image_repo.empty()) throw CommandError(kExitBadInput, "--real needs --image-repo DIR (a flashbots-images checkout)");
  const fs::path repo = fs::absolute(o.image_repo).lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(repo, ec)) throw CommandError(kExitBadInput, fmt::format("--image-repo {}: not a directory", repo.string()));
  for (const auto& needed : {fs::path(kImageConfig), fs::path("mkosi.profiles/devtools"), fs::path("mkosi.profiles/playground")}) {
    if (!fs::exists(repo / needed, ec)) {
      throw CommandError(kExitBadInput,
                         fmt::format("--image-repo {}: no {} (a checkout of flashbots/flashbots-images, branch "
                                     "trunk/buildernet, has it)",
                                     repo.string(), needed.string()));
    }
  }
  if (o.hub_url.empty() || o.hub_url.find_first_of(" \t\n\"'$`\\") != std::string::npos) {
    throw CommandError(kExitBadInput, fmt::format("--hub-url '{}': empty or has spaces, quotes or shell characters", o.hub_url));
  }
  const bool default_key = o.ssh_key.empty();
  const fs::path key = default_key ? fs::path(e2e::defaultSshKeyPath().string() + ".pub") : fs::absolute(o.ssh_key);
  if (!default_key || !o.dry_run) {
    if (default_key) e2e::ensureSshKey();
    std::ifstream in(key);
    std::string line;
    if (!in || !std::getline(in, line)) throw CommandError(kExitBadInput, fmt::format("--ssh-key {}: cannot read it", key.string()));
    if (line.rfind("ssh-", 0) != 0 && line.rfind("ecdsa-", 0) != 0) {
      throw CommandError(kExitBadInput, fmt::format("--ssh-key {}: not an OpenSSH public key (give the .pub file)", key.string()));
    }
  }
  auto lines = realBuildLines(repo, key, o.hub_url);
  if (o.dry_run) {
    for (const auto& line : lines) fmt::print("{}\n", line);
    return;
  }
  auto mkosi = e2e::findProgram("mkosi");
  if (!mkosi) {
    std::string pin;
    std::ifstream version(repo / ".mkosi_version");
    std::getline(version, pin);
    throw CommandError(kExitFailed,
                       fmt::format("mkosi is not on PATH; install the version the image repository pins: pip3 install "
                                   "git+https://github.com/systemd/mkosi.git@{}",
                                   pin.empty() ? "<.mkosi_version>" : pin));
  }
  std::string public_key;
  {
    std::ifstream in(key);
    std::getline(in, public_key);
  }
  ::umask(022);  // reproducible builds (the repository's README); the child inherits it
  Progress progress(fmt::format("image build --real {}", repo.filename().string()));
  progress.update("mkosi: starting");
  std::deque<std::string> tail;
  auto status = runStep({.argv = {mkosi->string(), "--force", fmt::format("--profile={}", kProfiles),
                                  fmt::format("--environment=BUILDERNET_BUILDERHUB_URL={}", o.hub_url),
                                  "--environment=BUILDERNET_SSH_PUBLIC_KEY", "-I", std::string(kImageConfig)},
                         .env = {{"BUILDERNET_SSH_PUBLIC_KEY", public_key}},
                         .working_dir = repo},
                        progress, [&](std::string_view line, bool) {
                          tail.emplace_back(line);
                          if (tail.size() > 40) tail.pop_front();
                          if (progress.terminal()) {
                            progress.update(fmt::format("mkosi: {}", line.substr(0, 70)));
                          } else {
                            progress.note(std::string(line));
                          }
                        });
  if (!status.success()) {
    progress.finish(fmt::format("failed: mkosi {}", status.describe()));
    std::string last;
    for (const auto& l : tail) last += l + "\n";
    throw CommandError(kExitFailed, fmt::format("mkosi {} in {}; its last lines:\n{}", status.describe(), repo.string(), last));
  }
  progress.finish("done");
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(repo / "mkosi.output", ec)) {
    if (entry.path().extension() == ".qcow2") images.push_back(entry.path());
  }
  std::sort(images.begin(), images.end());
  for (const auto& image : images) fmt::print("{}\n", image.string());
}

}  // namespace

void addImageCommand(CLI::App& app) {
  auto* image = app.add_subcommand("image", "builder VM images");
  image->require_subcommand(1);
  auto o = std::make_shared<ImageOptions>();
  auto* build = image->add_subcommand(
      "build",
      "--twin: build (or find in the cache) the twin image and print its folder. --real: build a BuilderNet image "
      "from a flashbots-images checkout with its own mkosi build, for a devnet: profiles devtools,playground (SSH on, "
      "no reth snapshot sync, devnet EL/CL settings), your SSH public key baked in for user bnet, and the devnet's "
      "BuilderHub URL; prints the qcow2 it made.");
  auto* twin = build->add_flag("--twin", o->twin, "the project's twin image (tools/twin-image/ensure.sh)");
  auto* real = build->add_flag("--real", o->real, "a real BuilderNet image (mkosi, in --image-repo)");
  twin->excludes(real);
  build->add_option("--image-repo", o->image_repo, "a flashbots-images checkout (branch trunk/buildernet)")->needs(real);
  build->add_option("--hub-url", o->hub_url, "BuilderHub as the VM reaches it (BUILDERNET_BUILDERHUB_URL)")
      ->capture_default_str()
      ->needs(real);
  build->add_option("--ssh-key", o->ssh_key,
                    "public key to bake in (default: the project's key, ~/.cache/bnet-e2e/ssh/id_ed25519.pub)")
      ->needs(real);
  build->add_flag("--dry-run", o->dry_run, "print the commands, one per line, and run nothing");
  build->callback([o] {
    if (!o->twin && !o->real) throw CommandError(kExitBadInput, "image build: give --twin or --real");
    if (o->twin) {
      buildTwin(*o);
    } else {
      buildReal(*o);
    }
  });
}

}  // namespace bnet::cli
