#include "io/brigade_bio.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "adapter/records.h"
#include "http_log.h"

namespace modssl::io {
namespace {


// Is this the first byte of a TLS record (or an SSLv2-style hello) rather than an HTTP method?
bool looks_like_plain_http(unsigned char first) { return first >= 'A' && first <= 'Z'; }

// Ciphertext waits in heap buckets whose memory comes from malloc, not from the connection's
// bucket allocator. Under the event MPM each connection has its own APR allocator, and that
// allocator keeps the blocks given back to it (up to MaxMemFree, 2 MiB by default) for the
// connection's life: an 8 KiB staging block, used once for the handshake flight, would stay
// with every idle keep-alive connection (measured: 4 KiB of touched pages per connection;
// docs/PERFORMANCE.md). malloc'd blocks go back to the process as soon as the core sent them.
constexpr apr_size_t kStageBlock = 4096;  // small records share a block, as with apr_brigade_write

// Appends to the last staged block when it is one of ours with room left; else starts a block.
bool stage(TlsConnection* t, const char* data, apr_size_t len) {
  apr_bucket_brigade* bb = t->cipher_out;
  if (!APR_BRIGADE_EMPTY(bb) && APR_BUCKET_IS_HEAP(APR_BRIGADE_LAST(bb))) {
    apr_bucket* last = APR_BRIGADE_LAST(bb);
    auto* h = static_cast<apr_bucket_heap*>(last->data);
    const apr_size_t end = static_cast<apr_size_t>(last->start) + last->length;
    if (h->free_func == std::free && h->refcount.refcount == 1 && h->alloc_len - end >= len) {
      std::memcpy(h->base + end, data, len);
      last->length += len;
      return true;
    }
  }
  const apr_size_t size = std::max(len, kStageBlock);
  char* mem = static_cast<char*>(std::malloc(size));
  if (!mem) return false;
  std::memcpy(mem, data, len);
  apr_bucket* b = apr_bucket_heap_create(mem, size, std::free, t->c->bucket_alloc);
  if (!b) {
    std::free(mem);
    return false;
  }
  b->length = len;  // the rest of the block is room for the next records
  APR_BRIGADE_INSERT_TAIL(bb, b);
  return true;
}

int bio_write(BIO* bio, const char* data, int len) {
  auto* t = static_cast<TlsConnection*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (t->write_status != APR_SUCCESS) return -1;
  // Copying lets us hand many records to the core in one pass; OpenSSL reuses its own write
  // buffer as soon as we return.
  if (!stage(t, data, static_cast<apr_size_t>(len))) {
    t->write_status = APR_ENOMEM;
    return -1;
  }
  t->cipher_out_bytes += static_cast<apr_size_t>(len);
  return len;
}

// Moves up to `len` bytes from the front of cipher_in into `out`.
int take_from_brigade(TlsConnection* t, char* out, int len) {
  int copied = 0;
  while (copied < len && !APR_BRIGADE_EMPTY(t->cipher_in)) {
    apr_bucket* b = APR_BRIGADE_FIRST(t->cipher_in);
    if (APR_BUCKET_IS_METADATA(b)) {
      if (APR_BUCKET_IS_EOS(b)) t->read_eof = true;
      apr_bucket_delete(b);
      continue;
    }
    const char* data = nullptr;
    apr_size_t avail = 0;
    apr_status_t rv = apr_bucket_read(b, &data, &avail, APR_BLOCK_READ);
    if (rv != APR_SUCCESS) {
      t->read_status = rv;
      break;
    }
    if (avail == 0) {
      apr_bucket_delete(b);
      continue;
    }
    apr_size_t n = std::min<apr_size_t>(avail, static_cast<apr_size_t>(len - copied));
    std::memcpy(out + copied, data, n);
    copied += static_cast<int>(n);
    if (n < avail) apr_bucket_split(b, n);
    apr_bucket_delete(b);
  }
  return copied;
}

int bio_read(BIO* bio, char* out, int len) {
  auto* t = static_cast<TlsConnection*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (!out || len <= 0) return 0;

  // Before waiting for the peer, give it everything we owe it (e.g. a handshake flight). A
  // handshake the MPM drives asynchronously sends it without blocking after this read.
  if (t->cipher_out_bytes > 0 && !t->async_handshake && pass_cipher_out(t, true) != APR_SUCCESS) {
    return -1;
  }

  if (APR_BRIGADE_EMPTY(t->cipher_in)) {
    if (t->read_eof) return 0;
    // Ask for exactly what OpenSSL wants (a record header, then its body). The core input
    // filter keeps the rest of what one socket read gave it and hands it out on the next call;
    // asking for more than it holds makes it try one more (non-blocking) read() to fill the
    // request, which costs a system call per record for nothing.
    t->read_status = ap_get_brigade(t->input_filter->next, t->cipher_in, AP_MODE_READBYTES,
                                    t->read_block, len);
    if (t->read_status == APR_EAGAIN || (t->read_status == APR_SUCCESS &&
                                         APR_BRIGADE_EMPTY(t->cipher_in) &&
                                         t->read_block == APR_NONBLOCK_READ)) {
      t->read_status = APR_EAGAIN;
      BIO_set_retry_read(bio);
      return -1;
    }
    if (APR_STATUS_IS_EOF(t->read_status) ||
        (t->read_status == APR_SUCCESS && APR_BRIGADE_EMPTY(t->cipher_in))) {
      t->read_eof = true;
      t->read_status = APR_EOF;
      return 0;
    }
    if (t->read_status != APR_SUCCESS) return -1;
  }

  if (!t->first_bytes_checked && t->phase == Phase::Handshake) {
    // Peek at the very first byte: a TLS record starts with a content type (0x16) or an SSLv2
    // length byte; an HTTP request starts with an upper-case method name.
    apr_bucket* b = APR_BRIGADE_FIRST(t->cipher_in);
    const char* data = nullptr;
    apr_size_t n = 0;
    if (!APR_BUCKET_IS_METADATA(b) && apr_bucket_read(b, &data, &n, APR_BLOCK_READ) ==
                                          APR_SUCCESS && n > 0) {
      t->first_bytes_checked = true;
      if (looks_like_plain_http(static_cast<unsigned char>(data[0]))) {
        t->phase = Phase::PlainHttp;  // keep the bytes: httpd will read them as a request
        return -1;
      }
    }
  }

  int n = take_from_brigade(t, out, len);
  if (n == 0) {
    if (t->read_eof) return 0;
    if (t->read_status != APR_SUCCESS) return -1;
    BIO_set_retry_read(bio);
    return -1;
  }
  return n;
}

long bio_ctrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  auto* t = static_cast<TlsConnection*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      if (t->async_handshake) return 1;  // sent without blocking by io/async_handshake
      return pass_cipher_out(t, true) == APR_SUCCESS ? 1 : 0;
    case BIO_CTRL_WPENDING:
      return static_cast<long>(t->cipher_out_bytes);
    case BIO_CTRL_PENDING:
      return 0;  // what is buffered below us is not ours to count
    case BIO_CTRL_EOF:
      return t->read_eof ? 1 : 0;
    case BIO_CTRL_DUP:
      return 1;
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int bio_destroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* brigade_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "httpd brigade");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

}  // namespace

BIO* new_brigade_bio(TlsConnection* t) {
  BIO* bio = BIO_new(brigade_method());
  if (bio) BIO_set_data(bio, t);
  return bio;
}

apr_status_t pass_cipher_out(TlsConnection* t, bool flush) {
  if (t->write_status != APR_SUCCESS) return t->write_status;
  if (APR_BRIGADE_EMPTY(t->cipher_out) && !flush) return APR_SUCCESS;
  if (flush) {
    APR_BRIGADE_INSERT_TAIL(t->cipher_out, apr_bucket_flush_create(t->c->bucket_alloc));
  }
  t->cipher_out_bytes = 0;
  apr_status_t rv = ap_pass_brigade(t->output_filter->next, t->cipher_out);
  apr_brigade_cleanup(t->cipher_out);
  if (rv != APR_SUCCESS) {
    t->write_status = rv;
    t->c->aborted = 1;
  }
  return rv;
}

}  // namespace modssl::io
