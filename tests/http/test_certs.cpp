#include "test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace e2e::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL test certificate: ") + what + " failed");
}

std::string pemOf(int (*write)(BIO*, void*), void* object) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(bio && write(bio.get(), object) == 1, "PEM write");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

CertAndKey makeCert(const std::string& common_name, const CertAndKey* issuer) {
  CertAndKey out;
  out.key.reset(EVP_EC_gen("P-256"));
  check(out.key != nullptr, "EC key generation");
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  addExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    addExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert, issuer_cert, NID_authority_key_identifier, "keyid");
    addExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, issuer_cert, NID_key_usage, "critical,digitalSignature");
    addExtension(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
    addExtension(cert, issuer_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  EVP_PKEY* signing_key = issuer ? issuer->key.get() : out.key.get();
  check(X509_sign(cert, signing_key, EVP_sha256()) > 0, "X509_sign");
  out.cert_pem = pemOf([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, cert);
  out.key_pem = pemOf(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr, nullptr);
      },
      out.key.get());
  return out;
}

}  // namespace

CertAndKey makeTestCa(const std::string& common_name) { return makeCert(common_name, nullptr); }
CertAndKey makeTestLeaf(const CertAndKey& ca, const std::string& common_name) { return makeCert(common_name, &ca); }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bnet-e2e-http-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
  path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace e2e::testing
