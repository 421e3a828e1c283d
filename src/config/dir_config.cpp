#include "config/dir_config.h"

namespace modssl::config {

std::uint32_t effective_options(const OptionSet& s) {
  return s.options & ~kOptRelativeSet;
}

// mod_ssl's rule: an absolute set replaces what is inherited; a relative one applies its
// adjustments on top of the parent's options (and keeps the parent's own adjustments for the
// next level down).
OptionSet merge(const OptionSet& base, const OptionSet& add) {
  if (!(add.options & kOptRelativeSet)) return add;
  OptionSet m;
  m.add = (base.add & ~add.remove) | add.add;
  m.remove = (base.remove & ~add.add) | add.remove;
  m.options = (base.options & ~m.remove) | m.add;
  return m;
}

DirConfig merge(const DirConfig& base, const DirConfig& add) {
  DirConfig m;
  m.options = merge(base.options, add.options);
  m.require_ssl = base.require_ssl || add.require_ssl;
  m.cipher_suite = add.cipher_suite ? add.cipher_suite : base.cipher_suite;
  m.verify_client =
      add.verify_client != VerifyClient::Unset ? add.verify_client : base.verify_client;
  m.verify_depth = add.verify_depth ? add.verify_depth : base.verify_depth;
  m.user_name = add.user_name ? add.user_name : base.user_name;
  m.reneg_buffer_size = add.reneg_buffer_size ? add.reneg_buffer_size : base.reneg_buffer_size;
  return m;
}

}  // namespace modssl::config
