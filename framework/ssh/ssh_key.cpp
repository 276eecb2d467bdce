#include "framework/ssh/ssh_key.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "framework/ssh/ssh_error.hpp"
#include "framework/ssh/libssh_util.h"

namespace e2e {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKeyComment = "bnet-e2e";

std::string errnoText() { return std::strerror(errno); }

std::string uniqueSuffix() {
  std::random_device rd;
  return fmt::format("{}.{:08x}", ::getpid(), rd());
}

// Writes data to a new file with the given mode; the file must not exist yet.
void writeNewFile(const fs::path& path, std::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw SshError(fmt::format("ssh key: cannot create {}: {}", path.string(), errnoText()));
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = errnoText();
      ::close(fd);
      throw SshError(fmt::format("ssh key: cannot write {}: {}", path.string(), err));
    }
    written += static_cast<std::size_t>(n);
  }
  // The mode given to open() is filtered by the umask; set it exactly.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    std::string err = errnoText();
    ::close(fd);
    throw SshError(fmt::format("ssh key: cannot finish {}: {}", path.string(), err));
  }
  ::close(fd);
}

// Generates a key and links it into place; returns false if another process was first.
bool createKey(const fs::path& private_key) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK) {
    throw SshError(fmt::format("ssh key: libssh could not generate an ed25519 key for {}",
                               private_key.string()));
  }
  detail::SshKeyPtr key(raw);
  char* b64 = nullptr;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &b64) != SSH_OK) {
    throw SshError(fmt::format("ssh key: libssh could not export the key for {}",
                               private_key.string()));
  }
  std::string text(b64);
  ssh_string_free_char(b64);
  if (text.empty() || text.back() != '\n') text += '\n';

  fs::path tmp = private_key;
  tmp += ".tmp." + uniqueSuffix();
  writeNewFile(tmp, text, 0600);
  // link() fails with EEXIST when another process won the race: its key is kept, ours is
  // dropped, and both processes then load the same file.
  int rc = ::link(tmp.c_str(), private_key.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc == 0) return true;
  if (link_errno == EEXIST) return false;
  throw SshError(fmt::format("ssh key: cannot move the new key into {}: {}", private_key.string(),
                             std::strerror(link_errno)));
}

}  // namespace

namespace detail {

SshKeyPtr loadPrivateKey(const fs::path& path) {
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
    throw SshError(fmt::format(
        "ssh key: cannot read a private key from {} (missing, unreadable, passphrase-protected "
        "or not a key)", path.string()));
  }
  return SshKeyPtr(raw);
}

std::string publicKeyLine(ssh_key key, const std::string& comment) {
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
    throw SshError("ssh key: libssh could not export a public key");
  }
  std::string line = fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), b64);
  ssh_string_free_char(b64);
  if (!comment.empty()) line += " " + comment;
  return line;
}

std::string fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) {
    throw SshError("ssh key: libssh could not hash a public key");
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) throw SshError("ssh key: libssh could not format a fingerprint");
  std::string result(text);
  ssh_string_free_char(text);
  return result;
}

}  // namespace detail

fs::path defaultSshKeyPath() {
  const char* cache = std::getenv("BNET_E2E_CACHE");
  if (cache != nullptr && *cache != '\0') return fs::path(cache) / "ssh" / "id_ed25519";
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    throw SshError(
        "ssh key: neither BNET_E2E_CACHE nor HOME is set; set BNET_E2E_CACHE to a folder for "
        "the framework's cached files");
  }
  return fs::path(home) / ".cache" / "bnet-e2e" / "ssh" / "id_ed25519";
}

SshKeyPair ensureSshKey(const fs::path& private_key) {
  if (private_key.empty() || !private_key.has_filename()) {
    throw SshError(fmt::format("ssh key: '{}' is not a file path", private_key.string()));
  }
  std::error_code ec;
  fs::path dir = private_key.parent_path();
  if (!dir.empty()) {
    fs::create_directories(dir, ec);
    if (ec) {
      throw SshError(fmt::format("ssh key: cannot create folder {}: {}", dir.string(), ec.message()));
    }
  }
  if (!fs::exists(private_key, ec)) createKey(private_key);

  // A key someone made readable by others would be refused by OpenSSH clients; tighten it.
  struct stat st {};
  if (::stat(private_key.c_str(), &st) != 0) {
    throw SshError(fmt::format("ssh key: cannot stat {}: {}", private_key.string(), errnoText()));
  }
  if ((st.st_mode & 077) != 0 && ::chmod(private_key.c_str(), 0600) != 0) {
    throw SshError(fmt::format("ssh key: {} is mode {:o} and cannot be set to 600: {}",
                               private_key.string(), st.st_mode & 0777, errnoText()));
  }

  detail::SshKeyPtr key = detail::loadPrivateKey(private_key);
  SshKeyPair pair;
  pair.private_key = private_key;
  pair.public_key = private_key;
  pair.public_key += ".pub";
  pair.public_key_openssh = detail::publicKeyLine(key.get(), kKeyComment);
  pair.fingerprint = detail::fingerprint(key.get());

  // The .pub file is derived from the private key, so a stale or missing one is rewritten
  // (through a temporary file and rename, so readers never see half a line).
  std::string wanted = pair.public_key_openssh + "\n";
  std::ifstream in(pair.public_key, std::ios::binary);
  std::stringstream have;
  if (in) have << in.rdbuf();
  if (!in || have.str() != wanted) {
    fs::path tmp = pair.public_key;
    tmp += ".tmp." + uniqueSuffix();
    writeNewFile(tmp, wanted, 0644);
    if (::rename(tmp.c_str(), pair.public_key.c_str()) != 0) {
      std::string err = errnoText();
      ::unlink(tmp.c_str());
      throw SshError(fmt::format("ssh key: cannot write {}: {}", pair.public_key.string(), err));
    }
  }
  return pair;
}

}  // namespace e2e
