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

// Where this project's build and source trees are, found at run time. No binary of this
// project has an absolute path of its build or source tree compiled in: such a string is part
// of the compiler's input, so a clone in another folder (every CI run) would miss ccache for
// each file that carries one (docs/CI.md). Tests and tools name files relative to a tree.
//
// The build folder: $BNET_E2E_BINARY_DIR (ctest sets it for every test), else the nearest
// folder above the running program (/proc/self/exe) that holds a CMakeCache.txt; empty when
// neither.
std::filesystem::path projectBuildDir();
// The source folder: $BNET_E2E_SOURCE_DIR, else CMAKE_HOME_DIRECTORY in projectBuildDir()'s
// CMakeCache.txt; empty when neither.
std::filesystem::path projectSourceDir();
// projectBuildDir() / relative, projectSourceDir() / relative. Throw std::runtime_error naming
// the file and both rules when the tree is not known (a program run outside its build tree
// without the variable).
std::filesystem::path inBuildTree(std::string_view relative);
std::filesystem::path inSourceTree(std::string_view relative);

}  // namespace e2e
