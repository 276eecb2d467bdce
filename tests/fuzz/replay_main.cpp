// Runs a fuzz target's LLVMFuzzerTestOneInput over files without libFuzzer (the normal
// build's corpus check, CTest label unit): each argument is a file or a folder of files.
// A crash, an abort or an escaping exception fails the run; the last "input:" line names
// the input that caused it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::set<fs::path> files;  // sorted: the same order on every run
  for (int i = 1; i < argc; ++i) {
    fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.insert(entry.path());
      }
    } else if (fs::is_regular_file(arg, ec)) {
      files.insert(arg);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or folder\n", arg.c_str());
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: no inputs given\n");
    return 2;
  }
  for (const auto& file : files) {
    std::fprintf(stderr, "input: %s\n", file.c_str());
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replay: %zu inputs, no crash\n", files.size());
  return 0;
}
