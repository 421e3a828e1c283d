#include "io/filters.h"

#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <cstring>

#include <unistd.h>

#include <openssl/err.h>

#include "adapter/records.h"
#include "apr_portable.h"
#include "http_connection.h"
#include "http_log.h"
#include "io/brigade_bio.h"
#include "io/handshake.h"
#include "io/tls_connection.h"
#include "tls/openssl_error.h"

namespace modssl::io {
namespace {

// The largest TLS record payload, and the most one read asks OpenSSL for.
constexpr std::size_t kMaxRecord = kFullRecord;
// Above this much staged ciphertext we pass it down even in the middle of a brigade, so memory
// stays bounded while a large file streams.
constexpr apr_size_t kPassThreshold = 64 * 1024;
// While records are small they are passed down every few (httpd's core writes once it holds
// 4 KiB), so the first ones leave at once instead of after 64 KiB of encryption.
constexpr apr_size_t kSmallPassThreshold = 4 * 1024;
// The most plaintext one SSL_write takes once records are full-size: a few records at a time,
// so that ciphertext is passed down (and memory released) while a large bucket streams.
constexpr std::size_t kWriteChunk = 64 * 1024;
// GETLINE gives up looking for a newline after this much (httpd's own request line limit is
// enforced above us; this only bounds our read-ahead).
constexpr std::size_t kMaxLineReadAhead = HUGE_STRING_LEN;

// ---- input -------------------------------------------------------------------------------

// Maps a failed SSL_read to an APR status, logging what the log should say.
apr_status_t read_failure(TlsConnection* t, int rc) {
  conn_rec* c = t->c;
  int err = SSL_get_error(t->ssl.get(), rc);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      if (t->read_status == APR_EAGAIN) {
        ERR_clear_error();
        return APR_EAGAIN;
      }
      break;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return APR_EOF;  // close_notify
    case SSL_ERROR_SYSCALL:
      if (t->read_eof) {
        ERR_clear_error();
        return APR_EOF;  // the peer closed without close_notify; nothing we can do about it
      }
      break;
    default:
      break;
  }
  if (t->read_status != APR_SUCCESS && t->read_status != APR_EAGAIN) {
    ERR_clear_error();
    return t->read_status;  // e.g. a timeout from the core, returned as it was
  }
  std::string why = tls::drain_openssl_errors("unexpected TLS read failure");
  ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, "TLS read from client %s failed: %s",
                client_label(c), why.c_str());
  t->phase = Phase::Failed;
  c->aborted = 1;
  return APR_ECONNABORTED;
}

// Decrypts up to `len` bytes into `buf`. Returns bytes read (> 0) or sets *status.
int decrypt(TlsConnection* t, char* buf, std::size_t len, apr_status_t* status) {
  ERR_clear_error();
  t->read_status = APR_SUCCESS;
  int rc = SSL_read(t->ssl.get(), buf, static_cast<int>(std::min<std::size_t>(len, INT32_MAX)));
  if (rc > 0) return rc;
  *status = read_failure(t, rc);
  return 0;
}

std::size_t pending_size(const TlsConnection* t) {
  return t->plain_pending.size() - t->plain_pending_off;
}

// Hands up to `len` pending bytes to `bb`, consuming them unless `peek`.
void deliver_pending(TlsConnection* t, apr_bucket_brigade* bb, std::size_t len, bool peek) {
  std::size_t n = std::min(len, pending_size(t));
  if (n == 0) return;
  apr_brigade_write(bb, nullptr, nullptr, t->plain_pending.data() + t->plain_pending_off, n);
  if (peek) return;
  t->plain_pending_off += n;
  if (t->plain_pending_off == t->plain_pending.size()) {
    t->plain_pending.clear();
    t->plain_pending_off = 0;
  }
}

// Appends freshly decrypted bytes to the pending buffer. Returns APR_SUCCESS if any arrived.
apr_status_t read_more_pending(TlsConnection* t) {
  char buf[kMaxRecord];
  apr_status_t status = APR_SUCCESS;
  int n = decrypt(t, buf, sizeof buf, &status);
  if (n <= 0) return status;
  if (t->plain_pending_off > 0) {
    t->plain_pending.erase(0, t->plain_pending_off);
    t->plain_pending_off = 0;
  }
  t->plain_pending.append(buf, static_cast<std::size_t>(n));
  return APR_SUCCESS;
}

apr_status_t read_bytes(TlsConnection* t, apr_bucket_brigade* bb, apr_off_t readbytes) {
  std::size_t want = readbytes > 0 ? static_cast<std::size_t>(readbytes) : kMaxRecord;
  want = std::min(want, kMaxRecord);
  if (pending_size(t) > 0) {
    deliver_pending(t, bb, want, false);
    return APR_SUCCESS;
  }
  // Decrypt straight into a bucket's memory: no copy on the common path. The memory comes from
  // malloc, not the connection's bucket allocator: that allocator keeps every block it ever
  // handed out until the connection ends, so a 16 KiB read (a request body, HTTP/2 frames)
  // would stay with the connection while it idles.
  conn_rec* c = t->c;
  char* mem = static_cast<char*>(std::malloc(want));
  if (!mem) return APR_ENOMEM;
  apr_status_t status = APR_SUCCESS;
  int n = decrypt(t, mem, want, &status);
  if (n <= 0) {
    std::free(mem);
    return status;
  }
  APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(mem, static_cast<apr_size_t>(n),
                                                      std::free, c->bucket_alloc));
  return APR_SUCCESS;
}

apr_status_t read_line(TlsConnection* t, apr_bucket_brigade* bb) {
  for (;;) {
    const char* start = t->plain_pending.data() + t->plain_pending_off;
    std::size_t avail = pending_size(t);
    if (const void* nl = std::memchr(start, '\n', avail)) {
      std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - start) + 1;
      deliver_pending(t, bb, len, false);
      return APR_SUCCESS;
    }
    if (avail >= kMaxLineReadAhead) {
      deliver_pending(t, bb, avail, false);  // let the protocol layer judge the long line
      return APR_SUCCESS;
    }
    apr_status_t rv = read_more_pending(t);
    if (rv != APR_SUCCESS) {
      if (avail > 0 && rv == APR_EOF) {
        deliver_pending(t, bb, avail, false);
        return APR_SUCCESS;
      }
      return rv;
    }
  }
}

apr_status_t read_speculative(TlsConnection* t, apr_bucket_brigade* bb, apr_off_t readbytes) {
  if (pending_size(t) == 0) {
    apr_status_t rv = read_more_pending(t);
    if (rv != APR_SUCCESS) return rv;
  }
  std::size_t want = readbytes > 0 ? static_cast<std::size_t>(readbytes) : kMaxRecord;
  deliver_pending(t, bb, want, true);
  return APR_SUCCESS;
}

// After plain HTTP was detected: first the bytes we already took from the socket, then
// whatever the filter below has.
apr_status_t read_plain(TlsConnection* t, ap_filter_t* f, apr_bucket_brigade* bb,
                        ap_input_mode_t mode, apr_read_type_e block, apr_off_t readbytes) {
  if (APR_BRIGADE_EMPTY(t->cipher_in)) {
    return ap_get_brigade(f->next, bb, mode, block, readbytes);
  }
  switch (mode) {
    case AP_MODE_GETLINE:
      return apr_brigade_split_line(bb, t->cipher_in, block, HUGE_STRING_LEN);
    case AP_MODE_SPECULATIVE: {
      for (apr_bucket* b = APR_BRIGADE_FIRST(t->cipher_in); b != APR_BRIGADE_SENTINEL(t->cipher_in);
           b = APR_BUCKET_NEXT(b)) {
        apr_bucket* copy = nullptr;
        if (apr_bucket_copy(b, &copy) == APR_SUCCESS) APR_BRIGADE_INSERT_TAIL(bb, copy);
      }
      return APR_SUCCESS;
    }
    default: {
      apr_bucket* after = nullptr;
      apr_off_t n = readbytes > 0 ? readbytes : static_cast<apr_off_t>(kMaxRecord);
      apr_status_t rv = apr_brigade_partition(t->cipher_in, n, &after);
      if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) return rv;
      apr_bucket_brigade* rest = apr_brigade_split(t->cipher_in, after);
      APR_BRIGADE_CONCAT(bb, t->cipher_in);
      APR_BRIGADE_CONCAT(t->cipher_in, rest);
      apr_brigade_destroy(rest);
      return APR_SUCCESS;
    }
  }
}

// ---- output ------------------------------------------------------------------------------

apr_status_t write_failure(TlsConnection* t, int rc) {
  conn_rec* c = t->c;
  if (t->write_status != APR_SUCCESS) {
    ERR_clear_error();
    return t->write_status;
  }
  std::string why = tls::drain_openssl_errors("unexpected TLS write failure");
  ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, "TLS write to client %s failed (%d): %s",
                client_label(c), SSL_get_error(t->ssl.get(), rc), why.c_str());
  t->phase = Phase::Failed;
  c->aborted = 1;
  return APR_ECONNABORTED;
}

using Clock = RecordSizer::Clock;

// Passes cipher_out down (ciphertext and any metadata buckets staged with it, in order; with a
// FLUSH when `flush`). Time spent there, blocked on a slow reader, is not a pause in our output.
apr_status_t hand_on(TlsConnection* t, bool flush) {
  const bool data = t->cipher_out_bytes > 0;
  apr_status_t rv = pass_cipher_out(t, flush);
  if (data) t->record_sizer.handed_on(Clock::now());
  return rv;
}

// Encrypts `data` into records of the size the record sizer allows at the moment.
apr_status_t encrypt(TlsConnection* t, const char* data, std::size_t len) {
  while (len > 0) {
    const Clock::time_point now = Clock::now();
    const std::size_t record = t->record_sizer.max_record(now);
    // OpenSSL cuts one SSL_write into records of up to 16 KiB, so a small record needs an
    // SSL_write of its own.
    const std::size_t chunk = std::min(len, record < kFullRecord ? record : kWriteChunk);
    ERR_clear_error();
    int rc = SSL_write(t->ssl.get(), data, static_cast<int>(chunk));
    if (rc <= 0) return write_failure(t, rc);
    t->record_sizer.sent(static_cast<std::size_t>(rc), now);
    data += rc;
    len -= static_cast<std::size_t>(rc);
    if (t->cipher_out_bytes >= (record < kFullRecord ? kSmallPassThreshold : kPassThreshold)) {
      apr_status_t rv = hand_on(t, false);
      if (rv != APR_SUCCESS) return rv;
    }
  }
  return APR_SUCCESS;
}

// Gathers small writes into one full record on the stack (no per-connection memory); encrypt()
// cuts it into smaller records while the sizer asks for them. Large writes are encrypted from
// where they are, without a copy.
struct Coalescer {
  char buf[kFullRecord];
  std::size_t used = 0;

  apr_status_t flush(TlsConnection* t) {
    if (used == 0) return APR_SUCCESS;
    apr_status_t rv = encrypt(t, buf, used);
    used = 0;
    return rv;
  }

  // Where the record that is started ends, for the record size the sizer asks for now (or, with
  // nothing started, where the last whole record that fits ends); filling up to there and no
  // further keeps the records whole.
  std::size_t record_end(TlsConnection* t) const {
    const std::size_t record = std::min(t->record_sizer.max_record(Clock::now()), sizeof buf);
    if (used == 0) return sizeof buf / record * record;
    return std::min(sizeof buf, (used + record - 1) / record * record);
  }

  apr_status_t write(TlsConnection* t, const char* data, std::size_t len) {
    if (used == 0 && len >= sizeof buf) return encrypt(t, data, len);
    if (used + len <= sizeof buf) {
      std::memcpy(buf + used, data, len);
      used += len;
      return APR_SUCCESS;
    }
    // Complete the record that is started (typically the response headers) from this write, so
    // the first record of a response carries the start of its body too.
    const std::size_t take = record_end(t) - used;  // < len: used + len does not fit in buf
    std::memcpy(buf + used, data, take);
    used += take;
    apr_status_t rv = flush(t);
    if (rv != APR_SUCCESS) return rv;
    return write(t, data + take, len - take);
  }

  // A file bucket that is not memory-mapped (EnableMMAP off) would be read ReadBufferSize bytes
  // at a time (8,000 unless configured) into a heap bucket, then copied into buf; read it
  // straight into buf instead, a record at a time.
  apr_status_t write_file(TlsConnection* t, apr_bucket* b) {
    auto* file = static_cast<apr_bucket_file*>(b->data);
    apr_os_file_t fd = -1;
    if (apr_os_file_get(&fd, file->fd) != APR_SUCCESS) return APR_EBADF;
    off_t offset = static_cast<off_t>(b->start);
    std::size_t left = b->length;
    while (left > 0) {
      const std::size_t end = record_end(t);
      if (used >= end) {
        apr_status_t rv = flush(t);
        if (rv != APR_SUCCESS) return rv;
        continue;
      }
      const ssize_t n = ::pread(fd, buf + used, std::min(left, end - used), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return APR_FROM_OS_ERROR(errno);
      if (n == 0) return APR_EOF;  // the file shrank while it was being served
      used += static_cast<std::size_t>(n);
      offset += n;
      left -= static_cast<std::size_t>(n);
    }
    return APR_SUCCESS;
  }
};

// Whether write_file() takes this bucket: a file that is read, not memory-mapped.
bool read_into_record_buffer(const apr_bucket* b) {
  if (!APR_BUCKET_IS_FILE(b)) return false;
  const auto* file = static_cast<const apr_bucket_file*>(b->data);
  return !file->can_mmap;
}

void send_close_notify(TlsConnection* t) {
  SSL* ssl = t->ssl.get();
  if (t->shutdown == ShutdownType::Unclean) {
    // Some old clients fail on close_notify; SetEnvIf ... ssl-unclean-shutdown skips it.
    SSL_set_quiet_shutdown(ssl, 1);
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    return;
  }
  ERR_clear_error();
  int rc = SSL_shutdown(ssl);
  if (rc == 0 && t->shutdown == ShutdownType::Accurate) {
    // ssl-accurate-shutdown: wait for the client's close_notify too, as the RFC allows.
    t->read_block = APR_BLOCK_READ;
    SSL_shutdown(ssl);
  }
  ERR_clear_error();
}

}  // namespace

apr_status_t tls_input_filter(ap_filter_t* f, apr_bucket_brigade* bb, ap_input_mode_t mode,
                              apr_read_type_e block, apr_off_t readbytes) {
  auto* t = static_cast<TlsConnection*>(f->ctx);
  if (!t) return ap_get_brigade(f->next, bb, mode, block, readbytes);

  apr_status_t rv = drive_handshake(t, block);
  if (rv != APR_SUCCESS) return rv;
  if (mode == AP_MODE_INIT) return APR_SUCCESS;
  if (t->phase == Phase::PlainHttp) return read_plain(t, f, bb, mode, block, readbytes);
  if (t->phase != Phase::Open) return t->phase == Phase::Closed ? APR_EOF : APR_ECONNABORTED;

  t->read_block = block;
  switch (mode) {
    case AP_MODE_READBYTES:
      return read_bytes(t, bb, readbytes);
    case AP_MODE_GETLINE:
      return read_line(t, bb);
    case AP_MODE_SPECULATIVE:
      return read_speculative(t, bb, readbytes);
    case AP_MODE_EATCRLF:
    case AP_MODE_EXHAUSTIVE:
    default:
      return APR_ENOTIMPL;
  }
}

apr_status_t tls_output_filter(ap_filter_t* f, apr_bucket_brigade* bb) {
  auto* t = static_cast<TlsConnection*>(f->ctx);
  if (!t || t->phase == Phase::PlainHttp) return ap_pass_brigade(f->next, bb);
  conn_rec* c = t->c;
  if (t->phase == Phase::Failed || c->aborted) {
    apr_brigade_cleanup(bb);
    return APR_ECONNABORTED;
  }
  if (t->phase == Phase::Handshake) {
    // Output before any input (a protocol that speaks first): finish the handshake first.
    apr_status_t rv = drive_handshake(t, APR_BLOCK_READ);
    if (rv != APR_SUCCESS) {
      apr_brigade_cleanup(bb);
      return rv;
    }
    if (t->phase == Phase::PlainHttp) return ap_pass_brigade(f->next, bb);
  }

  Coalescer pending;
  apr_status_t rv = APR_SUCCESS;
  while (!APR_BRIGADE_EMPTY(bb) && rv == APR_SUCCESS) {
    apr_bucket* b = APR_BRIGADE_FIRST(bb);
    if (APR_BUCKET_IS_METADATA(b)) {
      if ((rv = pending.flush(t)) != APR_SUCCESS) break;
      if (AP_BUCKET_IS_EOC(b) && t->phase == Phase::Open) {
        send_close_notify(t);
        t->phase = Phase::Closed;
      }
      const bool flush = APR_BUCKET_IS_FLUSH(b);
      APR_BUCKET_REMOVE(b);
      APR_BRIGADE_INSERT_TAIL(t->cipher_out, b);
      if (flush) rv = hand_on(t, false);  // the FLUSH bucket is in cipher_out
      continue;
    }
    if (t->phase != Phase::Open) {  // data after close_notify has nowhere to go
      apr_bucket_delete(b);
      continue;
    }
    if (read_into_record_buffer(b)) {
      rv = pending.write_file(t, b);
      apr_bucket_delete(b);
      continue;
    }
    const char* data = nullptr;
    apr_size_t len = 0;
    rv = apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ);
    if (APR_STATUS_IS_EAGAIN(rv)) {
      // A pipe or socket bucket with nothing yet (e.g. a slow CGI): send what we have before
      // blocking, so the client is not kept waiting for data we already hold.
      if ((rv = pending.flush(t)) != APR_SUCCESS) break;
      if ((rv = hand_on(t, true)) != APR_SUCCESS) break;
      rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
    }
    if (rv != APR_SUCCESS) break;
    if (len > 0) rv = pending.write(t, data, len);
    apr_bucket_delete(b);
  }
  if (rv == APR_SUCCESS) rv = pending.flush(t);
  if (rv != APR_SUCCESS) {
    apr_brigade_cleanup(bb);
    return rv;
  }
  // What is left: ciphertext and the metadata that came with the brigade (EOS, EOR, EOC).
  if (!APR_BRIGADE_EMPTY(t->cipher_out)) rv = hand_on(t, false);
  return rv;
}

}  // namespace modssl::io
