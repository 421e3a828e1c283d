#include "request/variable_lookup.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include "adapter/records.h"
#include "apr_strings.h"
#include "apr_time.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "io/tls_connection.h"

namespace modssl::request {
namespace {

using Name = std::string_view;

// Headers stock mod_ssl names by their CGI spelling.
const char* request_header_variable(request_rec* r, Name name) {
  static constexpr struct {
    Name variable;
    const char* header;
  } kHeaders[] = {{"HTTP_USER_AGENT", "User-Agent"},
                  {"HTTP_REFERER", "Referer"},
                  {"HTTP_COOKIE", "Cookie"},
                  {"HTTP_FORWARDED", "Forwarded"},
                  {"HTTP_HOST", "Host"},
                  {"HTTP_PROXY_CONNECTION", "Proxy-Connection"},
                  {"HTTP_ACCEPT", "Accept"}};
  for (const auto& h : kHeaders) {
    if (name == h.variable) return apr_table_get(r->headers_in, h.header);
  }
  if (name.size() > 5 && name.substr(0, 5) == "HTTP:") {
    return apr_table_get(r->headers_in, name.data() + 5);
  }
  return nullptr;
}

const char* request_variable(apr_pool_t* p, request_rec* r, Name name) {
  if (const char* v = request_header_variable(r, name)) return v;
  if (name == "REQUEST_METHOD") return r->method;
  if (name == "REQUEST_SCHEME") return ap_http_scheme(r);
  if (name == "REQUEST_URI") return r->uri;
  if (name == "REQUEST_FILENAME" || name == "SCRIPT_FILENAME") return r->filename;
  if (name == "REMOTE_ADDR") return r->useragent_ip;
  if (name == "REMOTE_HOST") {
    return ap_get_useragent_host(r, REMOTE_NAME, nullptr);
  }
  if (name == "REMOTE_IDENT") return ap_get_remote_logname(r);
  if (name == "REMOTE_USER") return r->user;
  if (name == "SERVER_ADMIN") return r->server->server_admin;
  if (name == "SERVER_NAME") return ap_get_server_name_for_url(r);
  if (name == "SERVER_PORT") return apr_psprintf(p, "%u", ap_get_server_port(r));
  if (name == "SERVER_PROTOCOL") return r->protocol;
  if (name == "PATH_INFO") return r->path_info;
  if (name == "QUERY_STRING") return r->args;
  if (name == "IS_SUBREQ") return r->main ? "true" : "false";
  if (name == "DOCUMENT_ROOT") return ap_document_root(r);
  if (name == "AUTH_TYPE") return r->ap_auth_type;
  if (name == "THE_REQUEST") return r->the_request;
  if (name.size() > 4 && name.substr(0, 4) == "ENV:") {
    const char* v = apr_table_get(r->notes, name.data() + 4);
    return v ? v : apr_table_get(r->subprocess_env, name.data() + 4);
  }
  return nullptr;
}

const char* time_variable(apr_pool_t* p, Name name) {
  if (name.substr(0, 4) != "TIME") return nullptr;
  apr_time_exp_t tm;
  apr_time_exp_lt(&tm, apr_time_now());
  const int year = tm.tm_year + 1900;
  if (name == "TIME") {
    return apr_psprintf(p, "%04d%02d%02d%02d%02d%02d", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                        tm.tm_min, tm.tm_sec);
  }
  if (name == "TIME_YEAR") return apr_psprintf(p, "%04d", year);
  if (name == "TIME_MON") return apr_psprintf(p, "%02d", tm.tm_mon + 1);
  if (name == "TIME_DAY") return apr_psprintf(p, "%02d", tm.tm_mday);
  if (name == "TIME_HOUR") return apr_psprintf(p, "%02d", tm.tm_hour);
  if (name == "TIME_MIN") return apr_psprintf(p, "%02d", tm.tm_min);
  if (name == "TIME_SEC") return apr_psprintf(p, "%02d", tm.tm_sec);
  if (name == "TIME_WDAY") return apr_psprintf(p, "%d", tm.tm_wday);
  return nullptr;
}

const char* process_variable(apr_pool_t* p, Name name) {
  if (const char* v = time_variable(p, name)) return v;
  if (name == "SERVER_SOFTWARE") return ap_get_server_banner();
  if (name == "API_VERSION") return apr_itoa(p, MODULE_MAGIC_NUMBER_MAJOR);
  if (name.size() > 4 && name.substr(0, 4) == "ENV:") return std::getenv(name.data() + 4);
  return nullptr;
}

}  // namespace

vars::Source variable_source(conn_rec* c, request_rec* r) {
  vars::Source src;
  if (!c && r) c = r->connection;
  if (!c) return src;
  io::TlsConnection* t = io::tls_connection(c);
  if (t && t->phase == io::Phase::Open) src.ssl = t->ssl.get();
  if (r) {
    if (const DirRecord* dir = dir_record(r->per_dir_config)) {
      src.legacy_dn_format =
          config::effective_options(dir->config.options) & config::kOptLegacyDnFormat;
    }
  }
  return src;
}

const char* lookup_variable(apr_pool_t* p, conn_rec* c, request_rec* r, const char* name) {
  if (!name || !p) return nullptr;
  if (!c && r) c = r->connection;
  try {
    const Name n(name);
    const char* plain = nullptr;
    // Request variables first, then the connection's SSL_* and HTTPS, then process-wide ones,
    // the order stock mod_ssl answers in.
    if (r && n.substr(0, 3) != "SSL") plain = request_variable(p, r, n);
    if (!plain) {
      auto value = vars::lookup(n, variable_source(c, r));
      if (value) return apr_pstrmemdup(p, value->data(), value->size());
      plain = process_variable(p, n);
    }
    return plain ? apr_pstrdup(p, plain) : nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace modssl::request
