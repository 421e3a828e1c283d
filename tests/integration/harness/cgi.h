#pragma once
// CGI scripts behind the TLS filters: request bodies go through the input filter to a program,
// and program output comes back through the output filter in the pieces the program writes.
#include <map>
#include <string>

namespace modssl::it {

class Httpd;

// Loads the CGI module that suits the server's MPM (mod_cgid, whose output arrives as socket
// buckets; mod_cgi under prefork, pipe buckets) and returns the server config lines that run
// @ROOT@/cgi-bin/<name> as /cgi-bin/<name>.
std::string enable_cgi(Httpd& h);

// A CGI script (write it with mode 0755) that answers with the SHA-256 of the request body in
// hex and a newline, so a test compares one line instead of megabytes.
inline constexpr const char* kBodySha256Cgi =
    "#!/bin/sh\n"
    "sum=$(sha256sum | cut -d' ' -f1)\n"
    "printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$sum\"\n";

// A CGI script (mode 0755) that answers with its environment, NAME=value a line (newlines
// inside values become spaces); parse_environment() reads the answer back.
inline constexpr const char* kEnvironmentCgi =
    "#!/bin/sh\n"
    "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
    "env -0 | tr '\\n\\0' ' \\n'\n";

std::map<std::string, std::string> parse_environment(const std::string& body);

}  // namespace modssl::it
