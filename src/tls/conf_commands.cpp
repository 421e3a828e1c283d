#include "tls/conf_commands.h"

#include "tls/handles.h"

namespace modssl::tls {

bool is_known_conf_command(const std::string& name) {
  SslConfCtxPtr cctx(SSL_CONF_CTX_new());
  if (!cctx) return false;
  SSL_CONF_CTX_set_flags(cctx.get(),
                         SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE);
  return SSL_CONF_cmd_value_type(cctx.get(), name.c_str()) != SSL_CONF_TYPE_UNKNOWN;
}

}  // namespace modssl::tls
