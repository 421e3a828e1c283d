#pragma once
// HTTP/1.1 by hand over a TlsClient, for tests that care about the bytes and the connection:
// pipelining, keep-alive, how and when the connection ends. (https_request() is the one-shot form.)
#include <chrono>
#include <string>
#include <vector>

#include "httpd.h"
#include "tls_client.h"

namespace modssl::it {

struct GetOptions {
  bool close = false;      // send "Connection: close" (the server ends the connection after it)
  std::string user_agent;  // a User-Agent header when set (SetEnvIf/BrowserMatch look at it)
};

// "GET <path> HTTP/1.1" with "Host: localhost", as one string to write.
std::string get_request(const std::string& path, const GetOptions& options = {});

// Reads from a keep-alive connection until one whole response has arrived, the connection ends
// or `timeout` passes; returns all bytes read. A keep-alive connection does not end after a
// response, so only its Content-Length or chunked coding can tell that it is whole.
std::string read_until_response(TlsClient& c, std::chrono::milliseconds timeout);

// The first response of read_until_response(); status 0 (and what came, in the body) when no
// whole response arrived.
HttpResponse read_response(TlsClient& c,
                           std::chrono::milliseconds timeout = std::chrono::seconds(15));

// https://localhost:<port "tls">/<path>, for curl and h2load.
std::string https_url(Httpd& h, const std::string& path);

// The status code curl gets for one request to `url` ("000" when it gets no response); https
// without verifying the certificate, for tests about access rather than trust.
std::string curl_status(const std::string& url);

// One plain-HTTP (no TLS) request to 127.0.0.1:`port`: GET `path` with "Host: localhost",
// "Connection: close" and `headers` (whole lines without CRLF). Status 0 (and why, in the body)
// when no response came.
HttpResponse plain_http_get(int port, const std::string& path,
                            const std::vector<std::string>& headers = {});

}  // namespace modssl::it
