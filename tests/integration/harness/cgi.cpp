#include "cgi.h"

#include "httpd.h"

namespace modssl::it {

std::string enable_cgi(Httpd& h) {
  if (h.mpm() == "prefork") {
    h.load_module("cgi");
    return "ScriptAlias /cgi-bin/ @ROOT@/cgi-bin/\n";
  }
  // mod_cgid's daemon talks to the server through a socket that needs a writable path.
  h.load_module("cgid");
  return "ScriptSock @ROOT@/run/cgisock\nScriptAlias /cgi-bin/ @ROOT@/cgi-bin/\n";
}

}  // namespace modssl::it
