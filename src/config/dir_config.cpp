#include "config/dir_config.h"

namespace modssl::config {

std::uint32_t effective_options(const OptionSet& s) {
  if (!s.set) return kOptNone;
  if (!s.relative) return s.options;
  return s.add & ~s.remove;
}

DirConfig merge(const DirConfig& base, const DirConfig& add) {
  DirConfig m;
  if (!add.options.set) {
    m.options = base.options;
  } else if (!add.options.relative) {
    m.options = add.options;
  } else {
    // Relative options adjust whatever the enclosing context ended up with.
    OptionSet combined;
    combined.set = true;
    combined.relative = base.options.set ? base.options.relative : true;
    combined.options = base.options.relative ? 0 : base.options.options;
    combined.add = base.options.relative ? base.options.add : 0;
    combined.remove = base.options.relative ? base.options.remove : 0;
    if (combined.relative) {
      combined.add = (combined.add & ~add.options.remove) | add.options.add;
      combined.remove = (combined.remove & ~add.options.add) | add.options.remove;
    } else {
      combined.options = (combined.options & ~add.options.remove) | add.options.add;
    }
    m.options = combined;
  }
  m.require_ssl = base.require_ssl || add.require_ssl;
  m.cipher_suite = add.cipher_suite ? add.cipher_suite : base.cipher_suite;
  m.verify_client = add.verify_client != VerifyClient::Unset ? add.verify_client
                                                             : base.verify_client;
  m.verify_depth = add.verify_depth ? add.verify_depth : base.verify_depth;
  return m;
}

}  // namespace modssl::config
