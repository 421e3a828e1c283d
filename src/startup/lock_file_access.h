#pragma once
// Can the server's unprivileged user reach a lock file the root parent created? A flock-based
// `Mutex ssl-cache` lock file is reopened by every child after it has dropped to `User`, so each
// directory above the file must let that user through (search, the x bit). Checked in the
// parent, where the answer still stops start-up with a clear message instead of leaving every
// child without its lock.
#include <optional>
#include <string>
#include <sys/types.h>

namespace modssl::startup {

struct BlockedDirectory {
  std::string directory;
  unsigned mode = 0;  // st_mode & 07777
  uid_t owner = 0;
  gid_t group = 0;
};

// The first directory on the way to `file` that `user_name` (uid/gid) may not search, if any.
std::optional<BlockedDirectory> first_unsearchable_directory(const std::string& file,
                                                             const char* user_name, uid_t uid,
                                                             gid_t gid);

}  // namespace modssl::startup
