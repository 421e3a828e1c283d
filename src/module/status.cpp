// mod_status (/server-status): the session cache and the ticket keys. "?auto" gets "Name: value"
// lines (machine-readable, names prefixed "TLSSessionCache"/"TLSTicketKey"); the HTML page a
// small table.
#include <cinttypes>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "apr_optional.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "mod_status.h"
#include "module/hooks.h"
#include "session/socache_store.h"
#include "startup/session_setup.h"

namespace modssl::module {
namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;

// "dead entries awaiting purge" -> "DeadEntriesAwaitingPurge", for "Name: value" keys.
std::string camel_case(const std::string& words) {
  std::string out;
  bool upper = true;
  for (char ch : words) {
    if (ch == ' ' || ch == '_' || ch == '-') {
      upper = true;
      continue;
    }
    out += upper && ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch;
    upper = false;
  }
  return out;
}

std::string num(std::uint64_t v) { return std::to_string(v); }
std::string opt(const std::optional<std::uint64_t>& v) { return v ? num(*v) : "n/a"; }

Lines cache_lines(std::int64_t now) {
  Lines out;
  session::SessionCache* cache = startup::shared_session_cache();
  if (!cache) {
    out.emplace_back("CacheType", "none");
    return out;
  }
  const session::CacheStatus st = cache->status(now);
  out.emplace_back("CacheType", st.store.type);
  if (!st.store.where.empty()) out.emplace_back("CacheLocation", st.store.where);
  out.emplace_back("CacheSizeBytes", opt(st.store.size_bytes));
  out.emplace_back("CacheEntries", opt(st.store.entries));
  out.emplace_back("CacheHits", num(st.hits));
  out.emplace_back("CacheMisses", num(st.misses));
  out.emplace_back("CacheStores", num(st.stores));
  out.emplace_back("CacheStoreFailures", num(st.store_failures));
  out.emplace_back("CacheRemoves", num(st.removes));
  out.emplace_back("CacheExpired", opt(st.store.expired));
  out.emplace_back("CacheEvicted", opt(st.store.evicted));
  out.emplace_back("CacheErrors", num(st.errors));
  out.emplace_back("CacheLock", st.locked ? "Mutex ssl-cache" : "none needed");
  for (const auto& [k, v] : st.store.extra) out.emplace_back("Cache" + camel_case(k), v);
  return out;
}

Lines ticket_lines(std::int64_t now) {
  Lines out;
  auto ring = startup::main_ticket_keys();
  if (!ring) {
    out.emplace_back("TicketKeys", "off");
    return out;
  }
  const session::TicketKeyStatus ts = ring->status(now);
  out.emplace_back("TicketKeys", ts.rotating ? "generated, rotating" : "SSLSessionTicketKeyFile");
  out.emplace_back("TicketKeyAgeSeconds", std::to_string(ts.current_key_age_s));
  out.emplace_back("TicketKeyNextRotationSeconds",
                   ts.next_rotation_in_s < 0 ? "never" : std::to_string(ts.next_rotation_in_s));
  out.emplace_back("TicketKeysAccepted", std::to_string(ts.decrypting_keys));
  return out;
}

int on_status(request_rec* r, int flags) {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  Lines lines = cache_lines(now);
  Lines tickets = ticket_lines(now);
  lines.insert(lines.end(), tickets.begin(), tickets.end());
  if (flags & AP_STATUS_SHORT) {
    for (const auto& [k, v] : lines) {
      ap_rprintf(r, "TLSSession%s: %s\n", k.c_str(), v.c_str());
    }
    return OK;
  }
  ap_rputs("<hr />\n<h2>TLS session cache and ticket keys</h2>\n<table>\n", r);
  for (const auto& [k, v] : lines) {
    ap_rprintf(r, "<tr><th align=\"left\">%s</th><td>%s</td></tr>\n",
               ap_escape_html(r->pool, k.c_str()), ap_escape_html(r->pool, v.c_str()));
  }
  ap_rputs("</table>\n", r);
  if (session::SessionCache* cache = startup::shared_session_cache()) {
    if (auto* socache = dynamic_cast<session::SocacheStore*>(&cache->backend())) {
      socache->write_provider_status(r, flags);
    }
  }
  return OK;
}

}  // namespace

void register_status_hook() {
  APR_OPTIONAL_HOOK(ap, status_hook, on_status, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace modssl::module
