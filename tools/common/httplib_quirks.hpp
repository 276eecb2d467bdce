#pragma once
#include <httplib.h>

namespace bnet::tools {

// cpp-httplib (built with zlib and brotli) compresses text/* responses when the client
// sends Accept-Encoding; Go's net/http, which the real hub uses, never does. Called from a
// pre-routing handler, this removes Accept-Encoding from the request so the response goes
// out as written. The Request object is not const (cpp-httplib owns it as a local and only
// hands handlers a const reference), so the cast is well-defined.
inline void disableResponseCompression(const httplib::Request& req) {
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
}

}  // namespace bnet::tools
