#include "tls/ocsp_http.h"

#include <ctime>

#include <openssl/err.h>
#include <openssl/http.h>

#include "config/ocsp_directives.h"
#include "tls/openssl_error.h"

namespace modssl::tls {
namespace {

std::string host_for_openssl(const std::string& host) {
  // OpenSSL wants IPv6 literals in brackets, as in a URI.
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

enum class Step { Done, Failed, TimedOut };

// One connection attempt, no retries: OpenSSL's own retry loop would wait out the whole
// timeout on a refused connection, where mod_ssl gives up at once.
Step connect_once(BIO* bio, std::time_t deadline) {
  for (;;) {
    if (BIO_do_connect(bio) > 0) return Step::Done;
    if (!BIO_should_retry(bio)) return Step::Failed;
    if (std::time(nullptr) >= deadline) return Step::TimedOut;
    if (BIO_wait(bio, deadline, 100) <= 0) return Step::TimedOut;
  }
}

}  // namespace

OcspFetch fetch_ocsp_response(const std::string& uri, OCSP_REQUEST* request,
                              std::chrono::seconds timeout, const std::string& proxy_url) {
  OcspFetch out;
  auto target = config::split_http_uri(uri);
  if (!target || target->scheme != "http") {
    out.error = "OCSP responder URI " + uri + " cannot be used: " +
                (target ? "only http:// responders can be queried" : target.error());
    return out;
  }
  auto proxy = proxy_url.empty() ? target : config::split_http_uri(proxy_url);
  if (!proxy) {
    out.error = "SSLOCSPProxyURL " + proxy_url + " cannot be used: " + proxy.error();
    return out;
  }
  const long limit = timeout.count() > 0 ? timeout.count() : 1;
  const std::time_t deadline = std::time(nullptr) + limit;
  const std::string via = proxy_url.empty() ? "" : " (through proxy " + proxy_url + ")";
  const std::string who = "OCSP responder " + uri + via;
  const std::string timed_out =
      who + " did not answer within " + std::to_string(limit) + " s (SSLOCSPResponderTimeout)";

  ERR_clear_error();
  const std::string server = host_for_openssl(target->host);
  const std::string port = std::to_string(target->port);
  const std::string connect_to = host_for_openssl(proxy->host) + ":" + std::to_string(proxy->port);
  BioPtr bio(BIO_new_connect(connect_to.c_str()));
  if (!bio) {
    out.error = "cannot create a socket for " + who + ": " + drain_openssl_errors();
    return out;
  }
  BIO_set_nbio(bio.get(), 1);
  switch (connect_once(bio.get(), deadline)) {
    case Step::Done:
      break;
    case Step::TimedOut:
      ERR_clear_error();
      out.error = timed_out;
      return out;
    case Step::Failed:
      out.error = who + " could not be reached: " + drain_openssl_errors("connection failed");
      return out;
  }

  BioPtr body(BIO_new(BIO_s_mem()));
  if (!body || i2d_OCSP_REQUEST_bio(body.get(), request) <= 0) {
    out.error = "cannot encode the request to " + who + ": " + drain_openssl_errors();
    return out;
  }
  // Through a proxy the request line carries the absolute URI.
  const std::string path =
      proxy_url.empty() ? target->path : "http://" + server + ":" + port + target->path;
  const long left = deadline - std::time(nullptr);
  BioPtr reply(OSSL_HTTP_transfer(nullptr, server.c_str(), port.c_str(), path.c_str(),
                                  /*use_ssl=*/0, /*proxy=*/nullptr, /*no_proxy=*/nullptr, bio.get(),
                                  bio.get(), /*bio_update_fn=*/nullptr,
                                  /*arg=*/nullptr, /*buf_size=*/0, /*headers=*/nullptr,
                                  "application/ocsp-request", body.get(),
                                  /*expected_content_type=*/nullptr, /*expect_asn1=*/1,
                                  /*max_resp_len=*/0, static_cast<int>(left > 0 ? left : 1),
                                  /*keep_alive=*/0));
  if (!reply) {
    const bool late = std::time(nullptr) >= deadline;
    const std::string why = drain_openssl_errors("no valid answer");
    out.error = late ? timed_out : who + " did not give a valid OCSP answer: " + why;
    return out;
  }
  out.response.reset(d2i_OCSP_RESPONSE_bio(reply.get(), nullptr));
  if (!out.response) {
    out.error = who + " sent an answer that is not an OCSP response: " + drain_openssl_errors();
  }
  return out;
}

}  // namespace modssl::tls
