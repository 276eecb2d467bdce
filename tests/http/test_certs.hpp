#pragma once
// Test helper: a throwaway CA and certificates it signs, made with OpenSSL at test time.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>

namespace e2e::testing {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// A certificate and its P-256 key, as OpenSSL objects and as PEM text.
struct CertAndKey {
  std::unique_ptr<X509, X509Free> cert;
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA (CA:TRUE, keyCertSign).
CertAndKey makeTestCa(const std::string& common_name);
// A leaf for 127.0.0.1 and localhost signed by ca, usable for server and client auth.
CertAndKey makeTestLeaf(const CertAndKey& ca, const std::string& common_name);
// A new empty directory under the system temp dir, removed by the destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  std::filesystem::path path;
};
void writeFile(const std::filesystem::path& path, const std::string& text);

}  // namespace e2e::testing
