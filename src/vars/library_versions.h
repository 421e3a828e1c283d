#pragma once
// SSL_VERSION_INTERFACE, SSL_VERSION_LIBRARY, SSL_VERSION_LIBRARY_INTERFACE: fixed per process.
#include <string_view>

namespace modssl::vars {

std::string_view version_interface();          // "mod_ssl/2.4.71": httpd's headers we build with
std::string_view version_library();            // "OpenSSL/3.0.19": the library loaded at run time
std::string_view version_library_interface();  // the OpenSSL headers we were compiled against

}  // namespace modssl::vars
