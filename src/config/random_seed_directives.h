#pragma once
// SSLRandomSeed startup|connect builtin|file:/path [bytes]|exec:/path [bytes]|egd:/path and
// SSLCryptoDevice (owned by the random-seed work: parser and spec).
#include <string>
#include <string_view>

#include "config/result.h"

namespace modssl::config {

struct RandomSeedSpec {
  enum class When { Startup, Connect };
  enum class Source { Builtin, File, Exec, Egd };
  When when = When::Startup;
  Source source = Source::Builtin;
  std::string path;
  long bytes = 0;  // 0: the source's default
};

}  // namespace modssl::config
