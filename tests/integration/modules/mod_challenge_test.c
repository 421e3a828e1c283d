/*
 * Test-only httpd module: plays mod_md's part in an ACME tls-alpn-01 challenge so the
 * integration tests can check that the TLS module presents a challenge certificate.
 * - claims the ALPN protocol "acme-tls/1" when a client offers it;
 * - answers httpd's ssl_answer_challenge hook for the name in ChallengeTestName with the PEM
 *   files named by ChallengeTestCert / ChallengeTestKey.
 * Never loaded outside the tests.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_protocol.h"
#include "http_ssl.h"
#include "apr_strings.h"
#include "apr_file_io.h"

#define CHALLENGE_PROTOCOL "acme-tls/1"

typedef struct {
    const char *name;
    const char *cert_file;
    const char *key_file;
} challenge_config;

module AP_MODULE_DECLARE_DATA challenge_test_module;

static void *create_server_config(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(challenge_config));
}

static void *merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    challenge_config *base = basev, *add = addv;
    challenge_config *conf = apr_pcalloc(p, sizeof(*conf));
    conf->name = add->name ? add->name : base->name;
    conf->cert_file = add->cert_file ? add->cert_file : base->cert_file;
    conf->key_file = add->key_file ? add->key_file : base->key_file;
    return conf;
}

static const char *set_name(cmd_parms *cmd, void *dc, const char *arg)
{
    challenge_config *conf = ap_get_module_config(cmd->server->module_config,
                                                  &challenge_test_module);
    (void)dc;
    conf->name = arg;
    return NULL;
}

static const char *set_cert(cmd_parms *cmd, void *dc, const char *arg)
{
    challenge_config *conf = ap_get_module_config(cmd->server->module_config,
                                                  &challenge_test_module);
    (void)dc;
    conf->cert_file = arg;
    return NULL;
}

static const char *set_key(cmd_parms *cmd, void *dc, const char *arg)
{
    challenge_config *conf = ap_get_module_config(cmd->server->module_config,
                                                  &challenge_test_module);
    (void)dc;
    conf->key_file = arg;
    return NULL;
}

static challenge_config *main_config(conn_rec *c)
{
    return ap_get_module_config(c->base_server->module_config, &challenge_test_module);
}

static int propose(conn_rec *c, request_rec *r, server_rec *s,
                   const apr_array_header_t *offers, apr_array_header_t *proposals)
{
    (void)r;
    (void)s;
    if (offers && ap_array_str_contains(offers, CHALLENGE_PROTOCOL) && main_config(c)->name) {
        APR_ARRAY_PUSH(proposals, const char *) = CHALLENGE_PROTOCOL;
    }
    return DECLINED;
}

static int do_switch(conn_rec *c, request_rec *r, server_rec *s, const char *protocol)
{
    (void)c;
    (void)r;
    (void)s;
    return strcmp(protocol, CHALLENGE_PROTOCOL) == 0 ? OK : DECLINED;
}

static const char *read_all(apr_pool_t *p, const char *path)
{
    char *data = NULL;
    apr_file_t *f;
    apr_finfo_t info;
    apr_size_t len;
    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS) return NULL;
    if (apr_file_info_get(&info, APR_FINFO_SIZE, f) == APR_SUCCESS) {
        len = (apr_size_t)info.size;
        data = apr_pcalloc(p, len + 1);
        if (apr_file_read_full(f, data, len, NULL) != APR_SUCCESS) data = NULL;
    }
    apr_file_close(f);
    return data;
}

static int answer(conn_rec *c, const char *server_name, const char **pcert_pem,
                  const char **pkey_pem)
{
    challenge_config *conf = main_config(c);
    if (!conf->name || strcasecmp(conf->name, server_name) != 0) return DECLINED;
    *pcert_pem = read_all(c->pool, conf->cert_file);
    *pkey_pem = read_all(c->pool, conf->key_file);
    return (*pcert_pem && *pkey_pem) ? OK : DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_protocol_propose(propose, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_protocol_switch(do_switch, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_ssl_answer_challenge(answer, NULL, NULL, APR_HOOK_MIDDLE);
}

static const command_rec commands[] = {
    AP_INIT_TAKE1("ChallengeTestName", set_name, NULL, RSRC_CONF, "SNI name to answer"),
    AP_INIT_TAKE1("ChallengeTestCert", set_cert, NULL, RSRC_CONF, "challenge certificate PEM"),
    AP_INIT_TAKE1("ChallengeTestKey", set_key, NULL, RSRC_CONF, "challenge key PEM"),
    {NULL}
};

AP_DECLARE_MODULE(challenge_test) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, create_server_config, merge_server_config, commands, register_hooks
};
