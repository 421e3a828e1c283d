#pragma once
// Sets an environment variable of the test process until it goes, then puts the old value back
// (e.g. MODSSL_UNDER_TEST for one instance of a mixed fleet).
#include <cstdlib>
#include <optional>
#include <string>

namespace modssl::it {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace modssl::it
