#pragma once
// SSLOptions +FakeBasicAuth: the client certificate's subject DN (OpenSSL's one-line form)
// becomes an HTTP Basic user with the fixed password "password", so
// that AuthUserFile lines "/C=DE/O=Example/CN=alice:xxj31ZMTZzkVA" grant access with standard
// authn/authz modules. Requests that bring such a header themselves are refused.
#include "adapter/records.h"
#include "httpd.h"

namespace modssl::request {

// check_authn (first): refuses forged DN users; with FakeBasicAuth and a client certificate,
// writes the Authorization header the basic authn provider then checks. DECLINED otherwise.
int fake_basic_auth(request_rec* r, const DirRecord* dir);

}  // namespace modssl::request
