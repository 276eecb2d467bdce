#pragma once
// Private to framework/ssh: the install rule copies *.hpp only, so this header and the
// libssh types in it stay out of the public interface.
#include <libssh/libssh.h>

#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

namespace e2e::detail {

struct SshKeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using SshKeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, SshKeyDeleter>;

// Throws SshError naming the file when it cannot be read as a private key.
SshKeyPtr loadPrivateKey(const std::filesystem::path& path);
// "ssh-ed25519 AAAA... comment" (comment omitted when empty).
std::string publicKeyLine(ssh_key key, const std::string& comment);
// "SHA256:..." as ssh-keygen -l prints it.
std::string fingerprint(ssh_key key);

}  // namespace e2e::detail
