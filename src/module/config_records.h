#pragma once
// httpd's config-record callbacks and the command table (implemented in config_records.cpp and
// commands.cpp). The module record in mod_ssl.cpp points at these.
#include "httpd.h"
#include "http_config.h"

extern "C" {
void* modssl_create_server_config(apr_pool_t* p, server_rec* s);
void* modssl_merge_server_config(apr_pool_t* p, void* base, void* add);
void* modssl_create_dir_config(apr_pool_t* p, char* dir);
void* modssl_merge_dir_config(apr_pool_t* p, void* base, void* add);
extern const command_rec modssl_commands[];
}
