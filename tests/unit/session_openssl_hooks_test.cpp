// install_session_hooks end to end: real TLS 1.2 and 1.3 handshakes over a BIO pair against
// server contexts wired to a SessionCache (a ShmcbStore in an anonymous shared mapping) and to a
// ticket key ring. Resumption through the cache, across contexts (as across processes), the
// session id context, TLS 1.3 stateful and stateless tickets, damaged cache bytes, expiry, and the
// "none"/"nonenotnull" modes.
#include "session/openssl_session_hooks.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "handshake_step.h"
#include "pki.h"
#include "shared_block.h"
#include "session/shmcb_store.h"
#include "session/ticket_key_derivation.h"
#include "session/ticket_keys.h"
#include "tls/handles.h"

namespace modssl::session {
namespace {

using tls::SslCtxPtr;
using tls::SslPtr;
using SessionPtr = tls::SslSessionPtr;
using Mode = ContextSessionSettings::CacheMode;

using modssl::testing::SharedBlock;

// Passes through to a ShmcbStore; can damage what it returns and shift the clock it is given.
// Single process here, so it asks for no lock.
class TestStore final : public SessionStore {
 public:
  enum class Damage { kNone, kTag, kTruncate, kTrailing, kGarbage, kEmpty, kFlipEverywhere };

  explicit TestStore(std::shared_ptr<SessionStore> inner) : inner_(std::move(inner)) {}

  Damage damage = Damage::kNone;
  std::int64_t clock_shift = 0;  // added to `now` on fetch: time passing for the cache only
  std::int64_t last_expiry = 0, last_store_now = 0;

  bool needs_global_lock() const override { return false; }
  bool store(std::span<const std::uint8_t> id, std::span<const std::uint8_t> der,
             std::int64_t expiry, std::int64_t now) override {
    last_expiry = expiry;
    last_store_now = now;
    return inner_->store(id, der, expiry, now);
  }
  FetchOutcome fetch(std::span<const std::uint8_t> id, std::vector<std::uint8_t>& out,
                     std::int64_t now) override {
    const FetchOutcome r = inner_->fetch(id, out, now + clock_shift);
    if (r != FetchOutcome::kHit) return r;
    switch (damage) {
      case Damage::kNone:
        break;
      case Damage::kTag:
        out[0] ^= 0xff;
        break;  // not a SEQUENCE any more
      case Damage::kTruncate:
        out.resize(out.size() / 2);
        break;
      case Damage::kTrailing:
        out.insert(out.end(), {0x30, 0x00});
        break;
      case Damage::kGarbage:
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = static_cast<std::uint8_t>(i * 37 + 11);
        break;
      case Damage::kEmpty:
        out.clear();
        break;
      case Damage::kFlipEverywhere:
        for (std::size_t i = 0; i < out.size(); i += 7) out[i] ^= 0x5a;
        break;
    }
    return r;
  }
  void remove(std::span<const std::uint8_t> id, std::int64_t now) override {
    inner_->remove(id, now);
  }
  StoreStatus status(std::int64_t now) override { return inner_->status(now); }

 private:
  std::shared_ptr<SessionStore> inner_;
};

// The server side's shared cache, as the parent would build it.
struct SharedCache {
  SharedCache() : block(128 * 1024), counters_block(sizeof(SharedCacheCounters)) {
    auto shmcb = ShmcbStore::over(block.data(), block.size(), true, "test");
    if (!shmcb) {
      ADD_FAILURE() << shmcb.error();
      return;
    }
    store = std::make_shared<TestStore>(std::shared_ptr<ShmcbStore>(std::move(shmcb).value()));
    counters = new (counters_block.data()) SharedCacheCounters{};
    cache = std::make_unique<SessionCache>(store, nullptr, counters);
  }
  std::uint64_t entries() { return cache->status(std::time(nullptr)).store.entries.value_or(0); }

  SharedBlock block;
  SharedBlock counters_block;
  std::shared_ptr<TestStore> store;
  SharedCacheCounters* counters = nullptr;
  std::unique_ptr<SessionCache> cache;
};

std::shared_ptr<const TicketKeyRing> ring_of(const SecretBytes& secret, std::int64_t lifetime) {
  auto ring =
      TicketKeyRing::rotating(secret.view(), std::chrono::hours(1), std::chrono::seconds(lifetime));
  if (!ring) {
    ADD_FAILURE() << ring.error();
    return nullptr;
  }
  return std::make_shared<const TicketKeyRing>(std::move(ring).value());
}

SecretBytes random_secret() {
  auto s = generate_ticket_master_secret();
  if (!s) {
    ADD_FAILURE() << s.error();
    return SecretBytes(kTicketMasterSecretSize);
  }
  return std::move(s).value();
}

struct Outcome {
  bool reused = false;
  SessionPtr session;                    // the client's latest session after the connection
  std::vector<unsigned char> server_id;  // the server's session id for this connection
};

class SessionHooks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::CertOptions opts;
    pki_ = new testing::KeyPair(testing::make_self_signed(opts));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static SslCtxPtr server_ctx(int version, bool no_ticket, ContextSessionSettings settings,
                              const std::string& sid_ctx = "vhost-a") {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), pki_->cert), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), pki_->key), 1);
    SSL_CTX_set_min_proto_version(ctx.get(), version);
    SSL_CTX_set_max_proto_version(ctx.get(), version);
    if (no_ticket) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_id_context(ctx.get(),
                                   reinterpret_cast<const unsigned char*>(sid_ctx.data()),
                                   static_cast<unsigned int>(sid_ctx.size()));
    EXPECT_TRUE(install_session_hooks(ctx.get(), std::move(settings)));
    return ctx;
  }

  static ContextSessionSettings shared(SharedCache& c, std::int64_t timeout_s = 300) {
    ContextSessionSettings s;
    s.mode = Mode::kSharedCache;
    s.cache = c.cache.get();
    s.timeout_s = timeout_s;
    return s;
  }

  // One connection: handshake, let the client read post-handshake tickets (TLS 1.3), shut down
  // cleanly (an unclean end marks the session unresumable).
  static Outcome connect(SSL_CTX* server, int version, SSL_SESSION* offer) {
    Outcome out;
    SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(client_ctx.get(), version);
    SSL_CTX_set_max_proto_version(client_ctx.get(), version);
    SslPtr client(SSL_new(client_ctx.get()));
    SslPtr srv(SSL_new(server));
    testing::MemoryHandshake hs = testing::run_memory_handshake(client.get(), srv.get(), offer);
    out.reused = hs.reused;
    out.session.reset(hs.session);
    out.server_id = std::move(hs.server_id);
    return out;
  }


  // A first connection that must be full and leave a resumable session with the client.
  static Outcome first(SSL_CTX* server, int version) {
    Outcome o = connect(server, version, nullptr);
    EXPECT_FALSE(o.reused);
    EXPECT_TRUE(o.session && SSL_SESSION_is_resumable(o.session.get()));
    return o;
  }

  static testing::KeyPair* pki_;
};

testing::KeyPair* SessionHooks::pki_ = nullptr;

// ---- kSharedCache ----

TEST_F(SessionHooks, Tls12SessionIdResumesThroughTheCache) {
  SharedCache c;
  auto ctx = server_ctx(TLS1_2_VERSION, true, shared(c));
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx.get()),
            SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  EXPECT_NE(SSL_CTX_sess_get_new_cb(ctx.get()), nullptr);
  EXPECT_NE(SSL_CTX_sess_get_get_cb(ctx.get()), nullptr);
  EXPECT_NE(SSL_CTX_sess_get_remove_cb(ctx.get()), nullptr);
  ASSERT_NE(session_settings(ctx.get()), nullptr);
  EXPECT_EQ(session_settings(ctx.get())->cache, c.cache.get());

  Outcome a = first(ctx.get(), TLS1_2_VERSION);
  EXPECT_EQ(a.server_id.size(), 32u);
  EXPECT_EQ(c.counters->stores.load(), 1u);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.counters->hits.load(), 0u);

  Outcome b = connect(ctx.get(), TLS1_2_VERSION, a.session.get());
  EXPECT_TRUE(b.reused);
  EXPECT_EQ(b.server_id, a.server_id);
  EXPECT_EQ(c.counters->hits.load(), 1u);
  EXPECT_EQ(c.counters->stores.load(), 1u);  // a resumption stores nothing new

  // And again: the entry stays usable.
  EXPECT_TRUE(connect(ctx.get(), TLS1_2_VERSION, a.session.get()).reused);
  EXPECT_EQ(c.counters->hits.load(), 2u);
}

TEST_F(SessionHooks, Tls12ResumesOnAnotherContextWithTheSameIdContext) {
  SharedCache c;
  auto ctx_a = server_ctx(TLS1_2_VERSION, true, shared(c), "vhost-a");
  auto ctx_b = server_ctx(TLS1_2_VERSION, true, shared(c), "vhost-a");
  Outcome a = first(ctx_a.get(), TLS1_2_VERSION);
  EXPECT_TRUE(connect(ctx_b.get(), TLS1_2_VERSION, a.session.get()).reused);
  EXPECT_EQ(c.counters->hits.load(), 1u);
}

TEST_F(SessionHooks, Tls12DoesNotResumeUnderAnotherIdContext) {
  SharedCache c;
  auto ctx_a = server_ctx(TLS1_2_VERSION, true, shared(c), "vhost-a");
  auto ctx_b = server_ctx(TLS1_2_VERSION, true, shared(c), "vhost-b");
  Outcome a = first(ctx_a.get(), TLS1_2_VERSION);
  Outcome b = connect(ctx_b.get(), TLS1_2_VERSION, a.session.get());
  EXPECT_FALSE(b.reused);
  EXPECT_EQ(c.counters->hits.load(), 1u);  // found in the cache, refused by OpenSSL
  EXPECT_NE(b.server_id, a.server_id);
  // The original context still resumes it.
  EXPECT_TRUE(connect(ctx_a.get(), TLS1_2_VERSION, a.session.get()).reused);
}

TEST_F(SessionHooks, Tls13StatefulTicketsResumeThroughTheCache) {
  SharedCache c;
  auto ctx = server_ctx(TLS1_3_VERSION, true, shared(c));
  Outcome a = first(ctx.get(), TLS1_3_VERSION);
  EXPECT_GE(c.counters->stores.load(), 1u);
  EXPECT_GE(c.entries(), 1u);
  Outcome b = connect(ctx.get(), TLS1_3_VERSION, a.session.get());
  EXPECT_TRUE(b.reused);
  EXPECT_GE(c.counters->hits.load(), 1u);
}

TEST_F(SessionHooks, Tls13StatelessTicketsSkipTheCacheAndResumeByTicket) {
  SharedCache c;
  const SecretBytes secret = random_secret();
  ContextSessionSettings s = shared(c);
  s.ticket_keys = ring_of(secret, s.timeout_s);
  auto ctx = server_ctx(TLS1_3_VERSION, false, s);
  Outcome a = first(ctx.get(), TLS1_3_VERSION);
  EXPECT_EQ(c.counters->stores.load(), 0u);
  EXPECT_EQ(c.counters->store_failures.load(), 0u);
  EXPECT_EQ(c.entries(), 0u);
  Outcome b = connect(ctx.get(), TLS1_3_VERSION, a.session.get());
  EXPECT_TRUE(b.reused);
  EXPECT_EQ(c.counters->stores.load(), 0u);
  EXPECT_EQ(c.counters->hits.load(), 0u);
  EXPECT_EQ(c.entries(), 0u);
}

// ---- Damaged cache content: a full handshake, never a crash or a failed handshake ----

class SessionHooksDamage : public SessionHooks,
                           public ::testing::WithParamInterface<TestStore::Damage> {};

TEST_P(SessionHooksDamage, DamagedEntryMeansFullHandshake) {
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
    SharedCache c;
    auto ctx = server_ctx(version, true, shared(c));
    Outcome a = first(ctx.get(), version);
    ASSERT_GE(c.counters->stores.load(), 1u);
    c.store->damage = GetParam();
    Outcome b = connect(ctx.get(), version, a.session.get());
    EXPECT_FALSE(b.reused);
    EXPECT_GE(c.counters->hits.load(), 1u);  // the bytes were found, then refused
    EXPECT_EQ(ERR_peek_error(), 0u) << "the callback left errors on the queue";
    // Undamaged again, a fresh session resumes: nothing was left broken.
    c.store->damage = TestStore::Damage::kNone;
    EXPECT_TRUE(connect(ctx.get(), version, b.session.get()).reused);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, SessionHooksDamage,
                         ::testing::Values(TestStore::Damage::kTag, TestStore::Damage::kTruncate,
                                           TestStore::Damage::kTrailing,
                                           TestStore::Damage::kGarbage, TestStore::Damage::kEmpty,
                                           TestStore::Damage::kFlipEverywhere),
                         [](const ::testing::TestParamInfo<TestStore::Damage>& info) {
                           switch (info.param) {
                             case TestStore::Damage::kTag:
                               return std::string("Tag");
                             case TestStore::Damage::kTruncate:
                               return std::string("Truncated");
                             case TestStore::Damage::kTrailing:
                               return std::string("TrailingBytes");
                             case TestStore::Damage::kGarbage:
                               return std::string("Garbage");
                             case TestStore::Damage::kEmpty:
                               return std::string("Empty");
                             case TestStore::Damage::kFlipEverywhere:
                               return std::string("FlippedBytes");
                             default:
                               return std::string("None");
                           }
                         });

// ---- Session lifetime ----

TEST_F(SessionHooks, TimeoutSetsContextSessionAndCacheExpiry) {
  SharedCache c;
  auto ctx = server_ctx(TLS1_2_VERSION, true, shared(c, 1234));
  EXPECT_EQ(SSL_CTX_get_timeout(ctx.get()), 1234);
  Outcome a = first(ctx.get(), TLS1_2_VERSION);
  ASSERT_EQ(c.counters->stores.load(), 1u);
  // The cache entry expires when the session does.
  EXPECT_GE(c.store->last_expiry, c.store->last_store_now + 1234 - 1);
  EXPECT_LE(c.store->last_expiry, c.store->last_store_now + 1234);

  // Shortly before expiry (for the cache's clock) the session resumes; at expiry it does not.
  c.store->clock_shift = 1234 - 10;
  EXPECT_TRUE(connect(ctx.get(), TLS1_2_VERSION, a.session.get()).reused);
  c.store->clock_shift = 1234 + 1;
  EXPECT_FALSE(connect(ctx.get(), TLS1_2_VERSION, a.session.get()).reused);
}

TEST_F(SessionHooks, ExpiredSessionIsNotResumed) {
  SharedCache c;
  auto ctx = server_ctx(TLS1_2_VERSION, true, shared(c, 1));
  const std::time_t before = std::time(nullptr);
  Outcome a = first(ctx.get(), TLS1_2_VERSION);
  ASSERT_EQ(c.counters->stores.load(), 1u);
  // The entry lives while now < time + 1; wait until its second and the next are over.
  while (std::time(nullptr) < before + 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(connect(ctx.get(), TLS1_2_VERSION, a.session.get()).reused);
}

// ---- kOff and kIdsOnly ----

TEST_F(SessionHooks, OffInstallsNoCallbacksStoresNothingAndDoesNotResume) {
  SharedCache c;
  ContextSessionSettings s;
  s.mode = Mode::kOff;
  s.cache = c.cache.get();  // even if one is given
  auto ctx = server_ctx(TLS1_2_VERSION, true, s);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx.get()), SSL_SESS_CACHE_OFF);
  EXPECT_EQ(SSL_CTX_sess_get_new_cb(ctx.get()), nullptr);
  EXPECT_EQ(SSL_CTX_sess_get_get_cb(ctx.get()), nullptr);
  EXPECT_EQ(SSL_CTX_sess_get_remove_cb(ctx.get()), nullptr);
  Outcome a = connect(ctx.get(), TLS1_2_VERSION, nullptr);
  EXPECT_FALSE(a.reused);
  EXPECT_TRUE(a.server_id.empty()) << "no cache: OpenSSL sends an empty session id";
  Outcome b = connect(ctx.get(), TLS1_2_VERSION, a.session.get());
  EXPECT_FALSE(b.reused);
  const CacheStatus st = c.cache->status(std::time(nullptr));
  EXPECT_EQ(st.stores + st.store_failures + st.hits + st.misses + st.removes + st.errors, 0u);
  EXPECT_EQ(st.store.entries.value_or(0), 0u);
}

TEST_F(SessionHooks, IdsOnlySendsSessionIdsButKeepsNothing) {
  SharedCache c;
  ContextSessionSettings s;
  s.mode = Mode::kIdsOnly;
  s.cache = c.cache.get();
  auto ctx = server_ctx(TLS1_2_VERSION, true, s);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx.get()),
            SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  EXPECT_EQ(SSL_CTX_sess_get_new_cb(ctx.get()), nullptr);
  EXPECT_EQ(SSL_CTX_sess_get_get_cb(ctx.get()), nullptr);
  Outcome a = connect(ctx.get(), TLS1_2_VERSION, nullptr);
  EXPECT_FALSE(a.reused);
  EXPECT_FALSE(a.server_id.empty());
  Outcome b = connect(ctx.get(), TLS1_2_VERSION, a.session.get());
  EXPECT_FALSE(b.reused);
  const CacheStatus st = c.cache->status(std::time(nullptr));
  EXPECT_EQ(st.stores + st.store_failures + st.hits + st.misses + st.removes + st.errors, 0u);
  EXPECT_EQ(st.store.entries.value_or(0), 0u);
}

// ---- Ticket ring across contexts (as across processes) ----

class SessionHooksTickets : public SessionHooks, public ::testing::WithParamInterface<int> {
 protected:
  // TLS 1.2: the cache off, so only a ticket can resume. TLS 1.3: the shared cache on, which
  // stateless tickets never touch.
  SslCtxPtr ticket_ctx(SharedCache& c, const SecretBytes& secret) {
    ContextSessionSettings s;
    if (GetParam() == TLS1_3_VERSION) s = shared(c);
    s.ticket_keys = ring_of(secret, s.timeout_s);
    return server_ctx(GetParam(), false, s);
  }
};

TEST_P(SessionHooksTickets, SameMasterSecretResumesAcrossContexts) {
  SharedCache c;
  const SecretBytes secret = random_secret();
  auto ctx_a = ticket_ctx(c, secret);
  auto ctx_b = ticket_ctx(c, secret);
  Outcome a = first(ctx_a.get(), GetParam());
  EXPECT_TRUE(connect(ctx_b.get(), GetParam(), a.session.get()).reused);
  EXPECT_EQ(c.counters->stores.load(), 0u);
  EXPECT_EQ(c.counters->hits.load(), 0u);
}

TEST_P(SessionHooksTickets, DifferentMasterSecretsDoNotResume) {
  SharedCache c;
  const SecretBytes secret_a = random_secret();
  const SecretBytes secret_b = random_secret();
  auto ctx_a = ticket_ctx(c, secret_a);
  auto ctx_b = ticket_ctx(c, secret_b);
  Outcome a = first(ctx_a.get(), GetParam());
  EXPECT_FALSE(connect(ctx_b.get(), GetParam(), a.session.get()).reused);
  // The first context still resumes its own ticket.
  EXPECT_TRUE(connect(ctx_a.get(), GetParam(), a.session.get()).reused);
}

INSTANTIATE_TEST_SUITE_P(Versions, SessionHooksTickets,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         testing::tls_version_param_name);

}  // namespace
}  // namespace modssl::session
