#pragma once
// Redaction of files other processes wrote: whole folders of a run, after the fact.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "framework/artifacts/redactor.hpp"

namespace e2e {

// What redactTree did.
struct RedactTreeResult {
  std::size_t text_files = 0;  // files looked at as text
  std::size_t changed = 0;     // of those, rewritten because they held a secret
  std::size_t binary = 0;      // left alone: disk images, firmware variables, TPM state
  std::vector<std::string> errors;  // "<file>: <why>" for each file that could not be redacted
};

// Redacts every text file under path (or path itself when it is a file) in place. Text: a
// name ending in .log, .txt, .json, .jsonl, .xml or .html, or no NUL byte in the first
// 64 KiB. Symlinks and special files are skipped. Never throws; problems go in errors.
RedactTreeResult redactTree(const std::filesystem::path& path, const Redactor& redactor = Redactor::instance());

}  // namespace e2e
