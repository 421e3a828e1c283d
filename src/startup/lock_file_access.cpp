#include "startup/lock_file_access.h"

#include <grp.h>
#include <sys/stat.h>

#include <vector>

namespace modssl::startup {
namespace {

std::vector<gid_t> groups_of(const char* user_name, gid_t gid) {
  std::vector<gid_t> groups(32);
  int n = static_cast<int>(groups.size());
  if (user_name && getgrouplist(user_name, gid, groups.data(), &n) == -1) {
    groups.resize(static_cast<std::size_t>(n));
    if (getgrouplist(user_name, gid, groups.data(), &n) == -1) n = 0;
  }
  if (!user_name) n = 0;
  groups.resize(static_cast<std::size_t>(n));
  groups.push_back(gid);
  return groups;
}

bool may_search(const struct stat& st, uid_t uid, const std::vector<gid_t>& groups) {
  if (uid == 0) return true;
  if (st.st_uid == uid) return (st.st_mode & S_IXUSR) != 0;
  for (gid_t g : groups) {
    if (st.st_gid == g) return (st.st_mode & S_IXGRP) != 0;
  }
  return (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

std::optional<BlockedDirectory> first_unsearchable_directory(const std::string& file,
                                                             const char* user_name, uid_t uid,
                                                             gid_t gid) {
  if (file.empty() || file[0] != '/') return std::nullopt;
  const std::vector<gid_t> groups = groups_of(user_name, gid);
  // "/", "/a", "/a/b" ... up to the file's own directory.
  std::size_t end = 0;
  const std::size_t last_slash = file.rfind('/');
  while (true) {
    const std::string dir = end == 0 ? "/" : file.substr(0, end);
    struct stat st {};
    if (stat(dir.c_str(), &st) == 0 && !may_search(st, uid, groups)) {
      return BlockedDirectory{dir, static_cast<unsigned>(st.st_mode & 07777), st.st_uid,
                              st.st_gid};
    }
    if (end >= last_slash) break;
    end = file.find('/', end + 1);
    if (end == std::string::npos || end > last_slash) end = last_slash;
  }
  return std::nullopt;
}

}  // namespace modssl::startup
