#include "io/client_hello.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "adapter/records.h"
#include "apr_fnmatch.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_vhost.h"
#include "io/challenge.h"
#include "io/handshake.h"
#include "io/tls_connection.h"
#include "tls/server_name.h"

namespace modssl::io {
namespace {

int g_keylog_fd = -1;

TlsConnection* from_ssl(const SSL* ssl) {
  return static_cast<TlsConnection*>(SSL_get_app_data(ssl));
}

bool server_answers_to(const server_rec* s, const char* name) {
  if (s->server_hostname && strcasecmp(s->server_hostname, name) == 0) return true;
  if (s->names) {
    auto** names = reinterpret_cast<char**>(s->names->elts);
    for (int i = 0; i < s->names->nelts; ++i) {
      if (names[i] && strcasecmp(names[i], name) == 0) return true;
    }
  }
  if (s->wild_names) {
    auto** names = reinterpret_cast<char**>(s->wild_names->elts);
    for (int i = 0; i < s->wild_names->nelts; ++i) {
      if (names[i] && apr_fnmatch(names[i], name, APR_FNM_CASE_BLIND) == APR_SUCCESS) return true;
    }
  }
  return false;
}

struct VhostSearch {
  const char* name;
  server_rec* found;
};

int match_vhost(void* baton, conn_rec* /*c*/, server_rec* s) {
  auto* search = static_cast<VhostSearch*>(baton);
  ServerRecord* rec = server_record(s);
  if (!rec || !rec->context) return 0;  // a plain-HTTP vhost on the same address: not ours
  if (!server_answers_to(s, search->name)) return 0;
  search->found = s;
  return 1;
}

// Runs before version negotiation, so the chosen vhost's protocol range and ciphers apply.
int on_client_hello(SSL* ssl, int* alert, void* /*arg*/) {
  TlsConnection* t = from_ssl(ssl);
  if (!t) return SSL_CLIENT_HELLO_SUCCESS;
  conn_rec* c = t->c;
  const unsigned char* ext = nullptr;
  std::size_t ext_len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &ext_len)) {
    return SSL_CLIENT_HELLO_SUCCESS;  // no SNI: the address's default vhost serves
  }
  auto name = tls::parse_server_name_extension(ext, ext_len);
  if (!name) {
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c,
                  "client %s sent a malformed server_name extension; using the default vhost",
                  client_label(c));
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  const char* host = apr_pstrmemdup(c->pool, name->data(), name->size());
  VhostSearch search{host, nullptr};
  ap_vhost_iterate_given_conn(c, match_vhost, &search);
  if (!search.found) {
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c,
                  "no TLS vhost answers to SNI name '%s'; using the default vhost %s", host,
                  t->handshake_server->server_hostname);
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  t->sni_matched = true;
  if (search.found != t->handshake_server) {
    const auto& ctx = server_record(search.found)->context;
    if (!ctx->adopt(ssl)) {
      ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c,
                    "cannot switch client %s to the TLS settings of vhost %s (SNI '%s')",
                    client_label(c), ctx->id().c_str(), host);
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
    t->handshake_server = search.found;
  }
  ap_log_cerror(APLOG_MARK, APLOG_TRACE1, 0, c, "SNI name '%s' selects vhost %s", host,
                search.found->server_hostname);
  return SSL_CLIENT_HELLO_SUCCESS;
}

// Acknowledges the server_name extension only when a vhost answers to it.
int on_servername(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  TlsConnection* t = from_ssl(ssl);
  return t && t->sni_matched ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
            unsigned int inlen, void* /*arg*/) {
  TlsConnection* t = from_ssl(ssl);
  if (!t) return SSL_TLSEXT_ERR_NOACK;
  conn_rec* c = t->c;
  apr_array_header_t* offered = apr_array_make(c->pool, 4, sizeof(const char*));
  for (unsigned i = 0; i < inlen;) {
    unsigned len = in[i];
    if (len == 0 || i + 1 + len > inlen) return SSL_TLSEXT_ERR_ALERT_FATAL;  // malformed list
    APR_ARRAY_PUSH(offered, const char*) =
        apr_pstrmemdup(c->pool, reinterpret_cast<const char*>(in + i + 1), len);
    i += 1 + len;
  }
  const char* chosen = ap_select_protocol(c, nullptr, t->handshake_server, offered);
  if (!chosen) chosen = ap_get_protocol(c);
  const std::size_t chosen_len = std::strlen(chosen);
  for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
    if (in[i] == chosen_len && std::memcmp(in + i + 1, chosen, chosen_len) == 0) {
      *out = in + i + 1;
      *outlen = in[i];
      if (std::strcmp(chosen, ap_get_protocol(c)) == 0) return SSL_TLSEXT_ERR_OK;
      if (ap_switch_protocol(c, nullptr, t->handshake_server, chosen) != APR_SUCCESS) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, "switching client %s to protocol %s failed",
                      client_label(c), chosen);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
      }
      // A protocol other than h2 may be a challenge protocol (ACME "acme-tls/1").
      if (std::strcmp(chosen, "h2") != 0 && !present_challenge_certificate(t, ssl)) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
      }
      return SSL_TLSEXT_ERR_OK;
    }
  }
  // None of the client's protocols is ours: carry on without ALPN (the client decides).
  ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c,
                "client %s offered no protocol this vhost speaks via ALPN", client_label(c));
  return SSL_TLSEXT_ERR_NOACK;
}

void on_keylog(const SSL* /*ssl*/, const char* line) {
  if (g_keylog_fd < 0) return;
  std::string out(line);
  out += '\n';
  // One write() per line on an O_APPEND descriptor keeps lines whole across processes.
  ssize_t ignored = ::write(g_keylog_fd, out.data(), out.size());
  (void)ignored;
}

void on_info(const SSL* ssl, int where, int ret) {
  TlsConnection* t = from_ssl(ssl);
  if (!t || !APLOG_C_IS_LEVEL(t->c, APLOG_TRACE3)) return;
  conn_rec* c = t->c;
  if (where & SSL_CB_HANDSHAKE_START) {
    ap_log_cerror(APLOG_MARK, APLOG_TRACE3, 0, c, "TLS handshake start with %s",
                  client_label(c));
  } else if (where & SSL_CB_HANDSHAKE_DONE) {
    ap_log_cerror(APLOG_MARK, APLOG_TRACE3, 0, c, "TLS handshake done with %s",
                  client_label(c));
  } else if (where & SSL_CB_LOOP) {
    ap_log_cerror(APLOG_MARK, APLOG_TRACE3, 0, c, "TLS state: %s", SSL_state_string_long(ssl));
  } else if (where & SSL_CB_ALERT) {
    ap_log_cerror(APLOG_MARK, APLOG_TRACE3, 0, c, "TLS alert %s: %s %s",
                  (where & SSL_CB_READ) ? "received" : "sent", SSL_alert_type_string_long(ret),
                  SSL_alert_desc_string_long(ret));
  } else if ((where & SSL_CB_EXIT) && ret <= 0) {
    ap_log_cerror(APLOG_MARK, APLOG_TRACE3, 0, c, "TLS state (waiting or failed): %s",
                  SSL_state_string_long(ssl));
  }
}

}  // namespace

tls::ContextCallbacks handshake_callbacks(bool keylog_enabled) {
  tls::ContextCallbacks cb;
  cb.client_hello = on_client_hello;
  cb.servername = on_servername;
  cb.alpn = on_alpn;
  cb.info = on_info;
  if (keylog_enabled) cb.keylog = on_keylog;
  return cb;
}

bool open_keylog_file(const char* path, std::string* error) {
  if (g_keylog_fd >= 0) return true;
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = std::string("cannot open SSLKEYLOGFILE '") + path + "': " + std::strerror(errno);
    return false;
  }
  g_keylog_fd = fd;
  return true;
}

}  // namespace modssl::io
