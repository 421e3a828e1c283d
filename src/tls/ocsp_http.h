#pragma once
// The HTTP exchange of an OCSP query: POST the DER request to the responder (directly or through
// a forward proxy) and read the DER response, all within one overall time limit, so that a
// responder that never answers cannot hold a handshake longer than SSLOCSPResponderTimeout.
#include <chrono>
#include <memory>
#include <string>

#include <openssl/ocsp.h>

#include "tls/handles.h"

namespace modssl::tls {

using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, FreeWith<OCSP_RESPONSE_free>>;

struct OcspFetch {
  OcspResponsePtr response;  // null on failure
  std::string error;         // why, as a sentence naming the responder
};

// `uri` must be an http:// URI; `proxy_url` is "" or http://host[:port]/.
OcspFetch fetch_ocsp_response(const std::string& uri, OCSP_REQUEST* request,
                              std::chrono::seconds timeout, const std::string& proxy_url);

}  // namespace modssl::tls
