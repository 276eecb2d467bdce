#pragma once
// Small file helpers every layer needs: read a file whole, write one atomically with a mode.
// (The redacted tail of a log is e2e::fileTail in framework/artifacts.)
#include <filesystem>
#include <string>
#include <string_view>

namespace e2e {

// The whole content of a file. Throws std::runtime_error naming the file when it cannot be read.
std::string readFile(const std::filesystem::path& path);

// Replaces path with content atomically: a temporary file in the same folder, created with
// exactly `mode` (no process-wide umask change), flushed, then renamed over path. Creates the
// parent folders. Throws std::runtime_error naming the file on any error (the temporary file
// is removed then).
void writeFileAtomic(const std::filesystem::path& path, std::string_view content,
                     std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write |
                                                   std::filesystem::perms::group_read |
                                                   std::filesystem::perms::others_read);

// The project's cache folder, where tools/setup.sh puts the twin image, the npm packages
// (anvil, ethers) and the payload disks: $BNET_E2E_CACHE, else $XDG_CACHE_HOME/bnet-e2e,
// else $HOME/.cache/bnet-e2e (tools/setup.sh's own rule). Throws std::runtime_error when
// none of the three is set.
std::filesystem::path cacheDir();

}  // namespace e2e
