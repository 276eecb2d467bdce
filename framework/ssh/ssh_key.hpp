#pragma once
#include <filesystem>
#include <string>

namespace e2e {

// The framework's own SSH identity: one ed25519 key pair per user, kept in a cache folder
// and reused by every run (a VM image or an authorized_keys file is given the public half).
struct SshKeyPair {
  std::filesystem::path private_key;  // mode 0600, OpenSSH format
  std::filesystem::path public_key;   // private_key + ".pub"
  std::string public_key_openssh;     // "ssh-ed25519 AAAA... bnet-e2e", no newline
  std::string fingerprint;            // "SHA256:..." as ssh-keygen -l prints it
};

// ${BNET_E2E_CACHE:-$HOME/.cache/bnet-e2e}/ssh/id_ed25519. Throws SshError when neither
// BNET_E2E_CACHE nor HOME is set.
std::filesystem::path defaultSshKeyPath();

// Loads the key pair at private_key, generating it first if it does not exist. Creation is
// atomic (written to a temporary file, then linked into place), so two processes on first
// use end up with the same key. Throws SshError naming the file on any failure.
SshKeyPair ensureSshKey(const std::filesystem::path& private_key = defaultSshKeyPath());

}  // namespace e2e
