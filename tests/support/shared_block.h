#pragma once
// Memory as the module has it for its shared caches: one anonymous shared mapping, made before
// forking and visible to every forked child. For tests of the caches across processes.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace modssl::testing {

class SharedBlock {
 public:
  explicit SharedBlock(std::size_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) data_ = p;
  }
  ~SharedBlock() {
    if (data_ != nullptr) munmap(data_, size_);
  }
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;

  void* data() const { return data_; }
  std::uint8_t* bytes() const { return static_cast<std::uint8_t*>(data_); }
  std::size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  std::size_t size_;
};

}  // namespace modssl::testing
