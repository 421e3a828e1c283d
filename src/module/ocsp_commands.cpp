// Handlers of the SSLOCSP* directives (client-certificate OCSP checking): parse with
// config/ocsp_directives.h and store in the server config.
#include <optional>
#include <string>

#include "config/directives.h"
#include "config/ocsp_directives.h"
#include "module/command_support.h"
#include "module/revocation_commands.h"

namespace modssl::module {
namespace {

config::OcspClientSettings& ocsp(cmd_parms* cmd) {
  return server_config(cmd).ocsp;
}

using ToggleField = config::Toggle config::OcspClientSettings::*;
using SecondsField = std::optional<long> config::OcspClientSettings::*;

template <ToggleField field>
const char* set_toggle(cmd_parms* cmd, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_flag(cmd->directive->directive, arg);
    if (!v) return error_text(cmd, v.error());
    ocsp(cmd).*field = *v ? config::Toggle::On : config::Toggle::Off;
    return nullptr;
  });
}

template <SecondsField field>
const char* set_seconds(cmd_parms* cmd, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_ocsp_seconds(cmd->directive->directive, arg);
    if (!v) return error_text(cmd, v.error());
    ocsp(cmd).*field = *v;
    return nullptr;
  });
}

}  // namespace

const char* set_ocsp_enable(cmd_parms* cmd, void*, const char* args) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_ocsp_enable(split_words(cmd, args));
    if (!v) return error_text(cmd, v.error());
    config::OcspClientSettings& s = ocsp(cmd);
    s.enable = v->enable;
    s.leaf_only = v->leaf_only;
    s.no_ocsp_for_cert_ok = v->no_ocsp_for_cert_ok;
    return nullptr;
  });
}

const char* set_ocsp_default_responder(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_ocsp_responder_uri(arg);
    if (!v) return error_text(cmd, v.error());
    ocsp(cmd).default_responder = *v;
    return nullptr;
  });
}

const char* set_ocsp_override_responder(cmd_parms* cmd, void*, const char* arg) {
  return set_toggle<&config::OcspClientSettings::override_responder>(cmd, arg);
}
const char* set_ocsp_response_time_skew(cmd_parms* cmd, void*, const char* arg) {
  return set_seconds<&config::OcspClientSettings::response_time_skew>(cmd, arg);
}
const char* set_ocsp_response_max_age(cmd_parms* cmd, void*, const char* arg) {
  return set_seconds<&config::OcspClientSettings::response_max_age>(cmd, arg);
}
const char* set_ocsp_responder_timeout(cmd_parms* cmd, void*, const char* arg) {
  return set_seconds<&config::OcspClientSettings::responder_timeout>(cmd, arg);
}
const char* set_ocsp_use_request_nonce(cmd_parms* cmd, void*, const char* arg) {
  return set_toggle<&config::OcspClientSettings::use_request_nonce>(cmd, arg);
}

const char* set_ocsp_proxy_url(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    auto v = config::parse_ocsp_proxy_url(arg);
    if (!v) return error_text(cmd, v.error());
    ocsp(cmd).proxy_url = *v;
    return nullptr;
  });
}

const char* set_ocsp_no_verify(cmd_parms* cmd, void*, const char* arg) {
  return set_toggle<&config::OcspClientSettings::no_verify>(cmd, arg);
}

const char* set_ocsp_responder_certificate_file(cmd_parms* cmd, void*, const char* arg) {
  return guarded(cmd, [&]() -> const char* {
    std::string path;
    if (const char* err = existing_file(cmd, arg, &path)) return err;
    ocsp(cmd).responder_certificate_file = path;
    return nullptr;
  });
}

}  // namespace modssl::module
