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

std::map<std::string, std::string> parse_environment(const std::string& body) {
  std::map<std::string, std::string> env;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    const std::string line = body.substr(pos, end - pos);
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    pos = end + 1;
  }
  return env;
}

}  // namespace modssl::it
