// The BIO between OpenSSL and httpd's filter chain, driven without a server: the filters below
// ours are two fakes (ap_get_brigade serves scripted ciphertext, ap_pass_brigade records what
// reaches the network).
#include "io/brigade_bio.h"

#include "http_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "apr_buckets.h"

namespace {

// What the fake filters below the TLS filters hold and saw.
struct FakeNetwork {
  std::string to_read;             // ciphertext the client "sent"
  bool eof_after = false;          // the client closed after sending to_read
  std::string sent;                // ciphertext that reached the network, in order
  std::vector<apr_size_t> passed;  // data bucket sizes per pass, 0 marking a FLUSH bucket
};

FakeNetwork* g_net = nullptr;

}  // namespace

// The module record the log macros of the httpd-facing headers refer to (an unoptimised build
// keeps that reference even where nothing is logged).
extern "C" {
struct module_struct AP_MODULE_DECLARE_DATA ssl_module = {};
}

// The two httpd functions the BIO calls, standing in for the core filters.
extern "C" apr_status_t ap_get_brigade(ap_filter_t* /*f*/, apr_bucket_brigade* bb,
                                       ap_input_mode_t /*mode*/, apr_read_type_e /*block*/,
                                       apr_off_t readbytes) {
  if (g_net->to_read.empty()) return g_net->eof_after ? APR_EOF : APR_EAGAIN;
  std::string chunk = g_net->to_read.substr(0, static_cast<std::size_t>(readbytes));
  g_net->to_read.erase(0, chunk.size());
  APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(chunk.data(), chunk.size(), nullptr,
                                                     bb->bucket_alloc));
  return APR_SUCCESS;
}

extern "C" apr_status_t ap_pass_brigade(ap_filter_t* /*f*/, apr_bucket_brigade* bb) {
  for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
       b = APR_BUCKET_NEXT(b)) {
    if (APR_BUCKET_IS_FLUSH(b)) {
      g_net->passed.push_back(0);
      continue;
    }
    const char* data = nullptr;
    apr_size_t len = 0;
    if (apr_bucket_read(b, &data, &len, APR_BLOCK_READ) != APR_SUCCESS) return APR_EGENERAL;
    g_net->sent.append(data, len);
    g_net->passed.push_back(len);
  }
  apr_brigade_cleanup(bb);
  return APR_SUCCESS;
}

namespace modssl::io {
namespace {

class BrigadeBio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { apr_initialize(); }

  void SetUp() override {
    g_net = &net_;
    apr_pool_create(&pool_, nullptr);
    conn_.pool = pool_;
    conn_.bucket_alloc = apr_bucket_alloc_create(pool_);
    below_in_ = ap_filter_t{};
    below_out_ = ap_filter_t{};
    in_.next = &below_in_;
    out_.next = &below_out_;
    t_.c = &conn_;
    t_.input_filter = &in_;
    t_.output_filter = &out_;
    t_.cipher_in = apr_brigade_create(pool_, conn_.bucket_alloc);
    t_.cipher_out = apr_brigade_create(pool_, conn_.bucket_alloc);
    bio_ = new_brigade_bio(&t_);
    ASSERT_NE(bio_, nullptr);
  }

  void TearDown() override {
    BIO_free(bio_);
    apr_pool_destroy(pool_);
    g_net = nullptr;
  }

  int write(const std::string& s) { return BIO_write(bio_, s.data(), static_cast<int>(s.size())); }

  std::vector<apr_bucket*> staged() const {
    std::vector<apr_bucket*> out;
    for (apr_bucket* b = APR_BRIGADE_FIRST(t_.cipher_out); b != APR_BRIGADE_SENTINEL(t_.cipher_out);
         b = APR_BUCKET_NEXT(b)) {
      out.push_back(b);
    }
    return out;
  }

  static std::string record(std::size_t n, char fill) { return std::string(n, fill); }

  FakeNetwork net_;
  apr_pool_t* pool_ = nullptr;
  conn_rec conn_{};
  ap_filter_t in_{}, out_{}, below_in_{}, below_out_{};
  TlsConnection t_;
  BIO* bio_ = nullptr;
};

TEST_F(BrigadeBio, SmallRecordsShareOneMallocBlock) {
  EXPECT_EQ(write(record(100, 'a')), 100);
  EXPECT_EQ(write(record(200, 'b')), 200);
  EXPECT_EQ(write(record(300, 'c')), 300);
  auto buckets = staged();
  ASSERT_EQ(buckets.size(), 1u);
  ASSERT_TRUE(APR_BUCKET_IS_HEAP(buckets[0]));
  EXPECT_EQ(buckets[0]->length, 600u);
  // The block is malloc'd, so it goes back to the process once sent instead of staying with the
  // connection's APR allocator for the connection's lifetime.
  EXPECT_TRUE(static_cast<apr_bucket_heap*>(buckets[0]->data)->free_func == std::free);
  EXPECT_EQ(BIO_wpending(bio_), 600);
  EXPECT_TRUE(net_.sent.empty());  // nothing leaves before a flush
}

TEST_F(BrigadeBio, FlushSendsEverythingInOrderThenAFlushBucket) {
  const std::string first = record(100, 'a'), big = record(16401, 'b'), last = record(50, 'c');
  write(first);
  write(big);
  write(last);
  // The big record does not fit the first block and gets one of its own; the next small one
  // does not fit that exactly-sized block either.
  EXPECT_EQ(staged().size(), 3u);
  EXPECT_EQ(BIO_flush(bio_), 1);
  EXPECT_EQ(net_.sent, first + big + last);
  EXPECT_EQ(net_.passed, (std::vector<apr_size_t>{100, 16401, 50, 0}));
  EXPECT_TRUE(APR_BRIGADE_EMPTY(t_.cipher_out));
  EXPECT_EQ(BIO_wpending(bio_), 0);
}

TEST_F(BrigadeBio, AfterAFullBlockANewOneStarts) {
  write(record(4000, 'a'));
  write(record(96, 'b'));   // fills the 4 KiB block exactly
  write(record(1, 'c'));    // needs a new block
  auto buckets = staged();
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0]->length, 4096u);
  EXPECT_EQ(buckets[1]->length, 1u);
}

TEST_F(BrigadeBio, NeverWritesIntoBucketsItDidNotMake) {
  // A heap bucket owned by APR (copied data) sits last: ours must not write into its memory.
  const std::string theirs = "bytes staged by someone else";
  APR_BRIGADE_INSERT_TAIL(t_.cipher_out, apr_bucket_heap_create(theirs.data(), theirs.size(),
                                                                nullptr, conn_.bucket_alloc));
  write(record(10, 'x'));
  EXPECT_EQ(staged().size(), 2u);

  // Nor into one of its own blocks once that block is shared with another bucket.
  apr_bucket* ours = staged()[1];
  apr_bucket_split(ours, 5);
  write(record(10, 'y'));
  EXPECT_EQ(staged().size(), 4u);
  BIO_flush(bio_);
  EXPECT_EQ(net_.sent, theirs + record(10, 'x') + record(10, 'y'));
}

TEST_F(BrigadeBio, WriteFailsOnceTheNetworkFailed) {
  t_.write_status = APR_ECONNRESET;
  EXPECT_EQ(write("abc"), -1);
  EXPECT_TRUE(APR_BRIGADE_EMPTY(t_.cipher_out));
}

TEST_F(BrigadeBio, ReadsHandOverExactlyWhatArrivedAndAskForRetryWhenDry) {
  t_.phase = Phase::Open;
  t_.read_block = APR_NONBLOCK_READ;
  net_.to_read = std::string("\x17\x03\x03\x00\x03xyz", 8);
  char buf[16];
  EXPECT_EQ(BIO_read(bio_, buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), std::string("\x17\x03\x03\x00\x03", 5));
  EXPECT_EQ(BIO_read(bio_, buf, 3), 3);
  EXPECT_EQ(std::string(buf, 3), "xyz");
  EXPECT_EQ(BIO_read(bio_, buf, 5), -1);
  EXPECT_TRUE(BIO_should_retry(bio_));
  net_.eof_after = true;
  EXPECT_EQ(BIO_read(bio_, buf, 5), 0);
  EXPECT_TRUE(t_.read_eof);
}

TEST_F(BrigadeBio, ReadFlushesPendingOutputFirst) {
  t_.phase = Phase::Open;
  write(record(20, 'f'));
  net_.to_read = "\x17";
  char c = 0;
  EXPECT_EQ(BIO_read(bio_, &c, 1), 1);
  EXPECT_EQ(net_.sent, record(20, 'f'));  // the client gets our flight before we wait for it
}

TEST_F(BrigadeBio, PlainHttpOnATlsPortIsSpottedByItsFirstByte) {
  net_.to_read = "GET / HTTP/1.1\r\n";
  char buf[5];
  EXPECT_EQ(BIO_read(bio_, buf, 5), -1);
  EXPECT_EQ(t_.phase, Phase::PlainHttp);
  EXPECT_FALSE(APR_BRIGADE_EMPTY(t_.cipher_in));  // kept, for httpd to read as a request
}

}  // namespace
}  // namespace modssl::io
