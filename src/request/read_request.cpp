#include "request/read_request.h"

#include "adapter/records.h"
#include "apr_strings.h"
#include "config/sni_policy.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "io/handshake.h"
#include "io/tls_connection.h"

namespace modssl::request {
namespace {

using io::Phase;
using io::TlsConnection;

int answer_plain_http(request_rec* r) {
  // The canned 400 page shows "error-notes" only when verbose errors are allowed for it.
  const char* port =
      apr_psprintf(r->pool, "%u", static_cast<unsigned>(r->connection->local_addr->port));
  const char* host = r->hostname ? r->hostname : r->server->server_hostname;
  apr_table_setn(r->notes, "error-notes",
                 apr_pstrcat(r->pool,
                             "Reason: this port speaks HTTPS (HTTP over TLS), but the request "
                             "came as plain HTTP.<br />\nUse the https scheme instead, e.g. "
                             "<code>https://",
                             ap_escape_html(r->pool, host ? host : "host"), ":", port,
                             "/</code><br />\n", nullptr));
  apr_table_setn(r->notes, "verbose-error-to", "*");
  r->connection->keepalive = AP_CONN_CLOSE;
  return HTTP_BAD_REQUEST;
}

int refuse_without_sni(request_rec* r) {
  ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                "client %s sent no SNI, but SSLStrictSNIVHostCheck is on for %s; refused",
                io::client_label(r->connection), r->server->server_hostname);
  apr_table_setn(r->notes, "error-notes",
                 "Reason: this server needs the client to name the host it wants during the TLS "
                 "handshake (SNI), and this client did not.<br />\n");
  apr_table_setn(r->notes, "verbose-error-to", "*");
  return HTTP_FORBIDDEN;
}

// The handshake's vhost (SNI's choice, or the address's default without SNI) and the Host's
// vhost must agree as far as SSLVHostSNIPolicy demands; otherwise the request was sent on a
// connection whose TLS settings were not meant for it.
int check_sni_and_host(request_rec* r, TlsConnection* t) {
  const char* sni = SSL_get_servername(t->ssl.get(), TLSEXT_NAMETYPE_host_name);
  ServerRecord* target = server_record(r->server);
  ServerRecord* handshake = server_record(t->handshake_server);
  if (!sni && r->connection->vhost_lookup_data &&
      (config::is_on(target->config.strict_sni_vhost_check, false) ||
       config::is_on(handshake->config.strict_sni_vhost_check, false))) {
    return refuse_without_sni(r);  // a name-based address, and one of the two vhosts insists
  }
  if (sni && !r->hostname) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "client %s named '%s' via SNI but sent no Host in its HTTP request; refused",
                  io::client_label(r->connection), sni);
    return HTTP_BAD_REQUEST;
  }
  if (r->server == t->handshake_server) return DECLINED;
  config::SniPolicy policy = server_record(ap_server_conf)->global.sni_policy;
  if (!config::request_may_cross_vhosts(policy, handshake->config, target->config)) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "request for host '%s' reached vhost %s, but the TLS handshake used vhost %s "
                  "(%s%s) whose TLS settings differ under SSLVHostSNIPolicy; answering 421",
                  r->hostname ? r->hostname : "", r->server->server_hostname,
                  t->handshake_server->server_hostname, sni ? "SNI " : "no SNI, the default",
                  sni ? sni : "");
    return HTTP_MISDIRECTED_REQUEST;
  }
  return DECLINED;
}

// The first ssl-*-shutdown variable SetEnvIf/BrowserMatch set, in table order, decides.
io::ShutdownType shutdown_type_for(request_rec* r) {
  const apr_array_header_t* env = apr_table_elts(r->subprocess_env);
  const auto* entries = reinterpret_cast<const apr_table_entry_t*>(env->elts);
  for (int i = 0; i < env->nelts; ++i) {
    const char* key = entries[i].key;
    if (!key || strncasecmp(key, "ssl-", 4) != 0) continue;
    if (strcasecmp(key, "ssl-unclean-shutdown") == 0) return io::ShutdownType::Unclean;
    if (strcasecmp(key, "ssl-accurate-shutdown") == 0) return io::ShutdownType::Accurate;
  }
  return io::ShutdownType::Standard;
}

}  // namespace

int on_post_read_request(request_rec* r) {
  TlsConnection* t = io::tls_connection(r->connection);
  if (!t) return DECLINED;
  if (t->phase == Phase::PlainHttp) return answer_plain_http(r);
  if (t->shutdown == io::ShutdownType::Unset) t->shutdown = shutdown_type_for(r);
  if (r->proxyreq == PROXYREQ_PROXY || !ap_is_initial_req(r)) return DECLINED;
  return check_sni_and_host(r, t);
}

}  // namespace modssl::request
