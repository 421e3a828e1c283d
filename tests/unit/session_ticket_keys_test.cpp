// Session-ticket keys: derivation, rotation and the OpenSSL callback, down to real resumptions
// over in-memory TLS 1.2 and 1.3 handshakes with a fake clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "handshake_step.h"
#include "pki.h"
#include "session/ticket_key_callback.h"
#include "session/ticket_key_derivation.h"
#include "session/ticket_key_file.h"
#include "session/ticket_keys.h"
#include "tls/handles.h"

namespace modssl::session {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using Name = std::span<const unsigned char, kTicketKeyNameSize>;

constexpr std::int64_t kHour = 3600;
// A time on a period boundary for a one-hour interval.
constexpr std::int64_t kT0 = 472222 * kHour;

std::vector<unsigned char> secret_of(unsigned char fill) {
  return std::vector<unsigned char>(kTicketMasterSecretSize, fill);
}

TicketKeyRing ring_from(const std::vector<unsigned char>& secret, seconds interval = hours(1),
                        seconds lifetime = hours(2)) {
  auto ring = TicketKeyRing::rotating(secret, interval, lifetime);
  if (!ring) ADD_FAILURE() << ring.error();
  return std::move(ring).value();
}

bool same_key(const TicketKey& a, const TicketKey& b) {
  return a.name == b.name && a.hmac_key == b.hmac_key && a.cipher_key == b.cipher_key &&
         a.hmac_key_size == b.hmac_key_size && a.cipher_key_size == b.cipher_key_size;
}

TEST(TicketKeyDerivation, SameSecretGivesSameKeys) {
  const auto secret = secret_of(7);
  auto a = ring_from(secret);
  auto b = ring_from(secret);
  auto ka = a.encrypt_key(kT0);
  auto kb = b.encrypt_key(kT0);
  ASSERT_TRUE(ka && kb);
  EXPECT_TRUE(same_key(*ka, *kb));
  EXPECT_EQ(ka->hmac_key_size, 32u);
  EXPECT_EQ(ka->cipher_key_size, 32u);
}

TEST(TicketKeyDerivation, DifferentSecretsGiveDifferentKeys) {
  auto a = ring_from(secret_of(7)).encrypt_key(kT0);
  auto b = ring_from(secret_of(8)).encrypt_key(kT0);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->name, b->name);
  EXPECT_NE(a->hmac_key, b->hmac_key);
  EXPECT_NE(a->cipher_key, b->cipher_key);
  // A ticket of the other secret is not ours, even from the same period.
  EXPECT_FALSE(ring_from(secret_of(7)).decrypt_key(Name(b->name), kT0));
}

TEST(TicketKeyDerivation, GeneratedSecretsAreRandomAndUsable) {
  auto s1 = generate_ticket_master_secret();
  auto s2 = generate_ticket_master_secret();
  ASSERT_TRUE(s1 && s2);
  ASSERT_EQ(s1->size(), kTicketMasterSecretSize);
  EXPECT_FALSE(std::equal(s1->view().begin(), s1->view().end(), s2->view().begin()));
  EXPECT_TRUE(TicketKeyRing::rotating(s1->view(), hours(12), seconds(300)));
}

TEST(TicketKeyDerivation, RefusesShortSecretAndBadIntervals) {
  std::vector<unsigned char> short_secret(kTicketMasterSecretSize - 1, 1);
  auto r = TicketKeyRing::rotating(short_secret, hours(1), hours(1));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("at least 32"), std::string::npos) << r.error();
  EXPECT_FALSE(TicketKeyRing::rotating(secret_of(1), seconds(0), hours(1)));
  EXPECT_FALSE(TicketKeyRing::rotating(secret_of(1), hours(1), seconds(-1)));
}

TEST(TicketKeyRotation, KeyChangesExactlyAtPeriodBoundaries) {
  auto ring = ring_from(secret_of(3));
  auto before = ring.encrypt_key(kT0 - 1);
  auto start = ring.encrypt_key(kT0);
  auto end = ring.encrypt_key(kT0 + kHour - 1);
  auto next = ring.encrypt_key(kT0 + kHour);
  ASSERT_TRUE(before && start && end && next);
  EXPECT_FALSE(same_key(*before, *start));
  EXPECT_TRUE(same_key(*start, *end));
  EXPECT_FALSE(same_key(*end, *next));
  EXPECT_NE(start->name, next->name);
  EXPECT_EQ(ring.period_at(kT0), 472222);
  EXPECT_EQ(ring.period_at(-1), -1);
}

TEST(TicketKeyRotation, OldKeysDecryptForOneLifetimeThenNot) {
  // interval 1 h, lifetime 2 h: a ticket made in the last second of its period must still
  // decrypt 2 h later, so two old periods are accepted, and no more.
  auto ring = ring_from(secret_of(4));
  auto made = ring.encrypt_key(kT0 + kHour - 1);
  ASSERT_TRUE(made);
  const Name name(made->name);
  EXPECT_TRUE(ring.decrypt_key(name, kT0 + kHour - 1));
  EXPECT_TRUE(ring.decrypt_key(name, kT0 + kHour - 1 + 2 * kHour));  // its lifetime's end
  EXPECT_TRUE(ring.decrypt_key(name, kT0 + 3 * kHour - 1));
  EXPECT_FALSE(ring.decrypt_key(name, kT0 + 3 * kHour));
  // Not before it was made: a period from the future is not one of ours.
  EXPECT_FALSE(ring.decrypt_key(name, kT0 - 1));
}

TEST(TicketKeyRotation, LifetimeShorterThanIntervalKeepsOnePreviousKey) {
  auto ring = ring_from(secret_of(4), hours(12), seconds(300));
  // A ticket made in the last second of its 12 h period lives on into the next period only.
  const std::int64_t next_start = (ring.period_at(kT0) + 1) * 12 * kHour;
  auto made = ring.encrypt_key(next_start - 1);
  ASSERT_TRUE(made);
  EXPECT_TRUE(ring.decrypt_key(Name(made->name), next_start + 299));
  EXPECT_TRUE(ring.decrypt_key(Name(made->name), next_start + 12 * kHour - 1));
  EXPECT_FALSE(ring.decrypt_key(Name(made->name), next_start + 12 * kHour));
  EXPECT_EQ(ring.status(kT0).decrypting_keys, 2);
}

TEST(TicketKeyRotation, OlderKeyAsksForRenewalCurrentDoesNot) {
  auto ring = ring_from(secret_of(5));
  auto made = ring.encrypt_key(kT0);
  ASSERT_TRUE(made);
  auto same_period = ring.decrypt_key(Name(made->name), kT0 + 10);
  ASSERT_TRUE(same_period);
  EXPECT_FALSE(same_period->renew);
  EXPECT_TRUE(same_key(same_period->key, *made));
  auto later = ring.decrypt_key(Name(made->name), kT0 + kHour);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->renew);
  EXPECT_TRUE(same_key(later->key, *made));
}

TEST(TicketKeyRotation, ForgedNamesAreRejectedWithoutOverflow) {
  auto ring = ring_from(secret_of(6));
  auto made = ring.encrypt_key(kT0);
  ASSERT_TRUE(made);
  TicketKey::Name forged = made->name;
  std::fill(forged.begin() + 8, forged.end(), 0x80);  // the most negative period
  EXPECT_FALSE(ring.decrypt_key(Name(forged), kT0));
  std::fill(forged.begin() + 8, forged.end(), 0x7f);  // far in the future
  EXPECT_FALSE(ring.decrypt_key(Name(forged), kT0));
}

TEST(TicketKeyRotation, StatusReportsAgeAndNextRotation) {
  auto ring = ring_from(secret_of(6), hours(1), hours(1));
  auto s = ring.status(kT0 + 600);
  EXPECT_TRUE(s.rotating);
  EXPECT_EQ(s.current_key_age_s, 600);
  EXPECT_EQ(s.next_rotation_in_s, kHour - 600);
  EXPECT_EQ(s.decrypting_keys, 2);
}

std::vector<unsigned char> file_bytes(std::size_t n) {
  std::vector<unsigned char> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(i);
  return b;
}

TEST(TicketKeyFile, ParsesExactly48Bytes) {
  auto key = parse_ticket_key_file(file_bytes(48), "/etc/keys/t.key");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(key->name[0], 0);
  EXPECT_EQ(key->name[15], 15);
  EXPECT_EQ(key->hmac_key_size, 16u);
  EXPECT_EQ(key->hmac_key[0], 16);
  EXPECT_EQ(key->cipher_key_size, 16u);
  EXPECT_EQ(key->cipher_key[0], 32);
  EXPECT_EQ(key->cipher_key[15], 47);
}

TEST(TicketKeyFile, UsesTheFirst48BytesAsStockDoes) {
  auto exact = parse_ticket_key_file(file_bytes(48), "t.key");
  auto longer = parse_ticket_key_file(file_bytes(49), "t.key");
  ASSERT_TRUE(exact);
  ASSERT_TRUE(longer);
  EXPECT_EQ(exact->name, longer->name);
  EXPECT_EQ(exact->cipher_key, longer->cipher_key);
}

TEST(TicketKeyFile, RejectsShorterFilesNamingTheExpectedSize) {
  for (std::size_t n : {0u, 1u, 47u}) {
    auto key = parse_ticket_key_file(file_bytes(n), "/etc/keys/t.key");
    ASSERT_FALSE(key) << n;
    EXPECT_NE(key.error().find("expected at least 48"), std::string::npos) << key.error();
    EXPECT_NE(key.error().find("/etc/keys/t.key"), std::string::npos) << key.error();
    EXPECT_NE(key.error().find(std::to_string(n) + " bytes"), std::string::npos) << key.error();
  }
}

TEST(TicketKeyFile, ReadsFromDiskAndReportsProblems) {
  const std::string dir = testing::make_temp_dir("ticketkeys");
  auto write = [&](const std::string& name, std::size_t n) {
    const std::string path = dir + "/" + name;
    auto bytes = file_bytes(n);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    return path;
  };
  EXPECT_TRUE(read_ticket_key_file(write("ok.key", 48)));
  auto short_file = read_ticket_key_file(write("short.key", 47));
  ASSERT_FALSE(short_file);
  EXPECT_NE(short_file.error().find("47 bytes"), std::string::npos) << short_file.error();
  auto long_file = read_ticket_key_file(write("long.key", 100));
  ASSERT_TRUE(long_file);
  EXPECT_EQ(long_file->name, read_ticket_key_file(write("ok.key", 48))->name);
  auto missing = read_ticket_key_file(dir + "/missing.key");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("cannot open"), std::string::npos) << missing.error();
  std::remove((dir + "/ok.key").c_str());
  std::remove((dir + "/short.key").c_str());
  std::remove((dir + "/long.key").c_str());
  std::remove(dir.c_str());
}

TEST(TicketKeyFile, FixedRingUsesTheOneKeyWithoutRotation) {
  auto key = parse_ticket_key_file(file_bytes(48), "t.key");
  ASSERT_TRUE(key);
  auto ring = TicketKeyRing::fixed(*key, kT0);
  auto enc_now = ring.encrypt_key(kT0);
  auto enc_later = ring.encrypt_key(kT0 + 1000 * kHour);
  ASSERT_TRUE(enc_now && enc_later);
  EXPECT_TRUE(same_key(*enc_now, *key));
  EXPECT_TRUE(same_key(*enc_later, *key));
  auto dec = ring.decrypt_key(Name(key->name), kT0 + 1000 * kHour);
  ASSERT_TRUE(dec);
  EXPECT_FALSE(dec->renew);
  TicketKey::Name other = key->name;
  other[0] ^= 1;
  EXPECT_FALSE(ring.decrypt_key(Name(other), kT0));
  auto s = ring.status(kT0 + 42);
  EXPECT_FALSE(s.rotating);
  EXPECT_EQ(s.current_key_age_s, 42);
  EXPECT_EQ(s.next_rotation_in_s, -1);
}

// ---- End to end: real handshakes over a BIO pair, the callback reading a fake clock. ----

using tls::SslCtxPtr;
using tls::SslPtr;
using SessionPtr = tls::SslSessionPtr;

// What one "server process" holds: its ring and the clock its callback reads.
struct TicketServer {
  const TicketKeyRing* ring = nullptr;
  std::int64_t now = 0;
  SslCtxPtr ctx;
};

int ticket_callback(SSL* ssl, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                    EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx, int enc) {
  auto* server = static_cast<TicketServer*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  return handle_ticket_key_request(*server->ring, server->now, key_name, iv, cipher_ctx, mac_ctx,
                                   enc);
}

class TicketResumption : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    testing::CertOptions opts;
    pki_ = new testing::KeyPair(testing::make_self_signed(opts));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  std::unique_ptr<TicketServer> make_server(const TicketKeyRing& ring, std::int64_t now) {
    auto server = std::make_unique<TicketServer>();
    server->ring = &ring;
    server->now = now;
    server->ctx.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = server->ctx.get();
    EXPECT_EQ(SSL_CTX_use_certificate(ctx, pki_->cert), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx, pki_->key), 1);
    // Tickets only: with the server-side cache off, a resumption can only come from a ticket.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char kSidCtx[] = "ticket-test";
    SSL_CTX_set_session_id_context(ctx, kSidCtx, sizeof kSidCtx - 1);
    SSL_CTX_set_min_proto_version(ctx, GetParam());
    SSL_CTX_set_max_proto_version(ctx, GetParam());
    SSL_CTX_set_app_data(ctx, server.get());
    EXPECT_EQ(SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_callback), 1);
    return server;
  }

  struct Outcome {
    bool reused = false;
    SessionPtr session;  // the client's latest session (its ticket) after the connection
  };

  // One connection: handshake, let the client read the server's post-handshake tickets (TLS 1.3),
  // and return whether the offered session was resumed.
  Outcome connect(TicketServer& server, SSL_SESSION* offer) {
    Outcome out;
    SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(client_ctx.get(), GetParam());
    SSL_CTX_set_max_proto_version(client_ctx.get(), GetParam());
    SslPtr client(SSL_new(client_ctx.get()));
    SslPtr srv(SSL_new(server.ctx.get()));
    testing::MemoryHandshake hs = testing::run_memory_handshake(client.get(), srv.get(), offer);
    out.reused = hs.reused;
    out.session.reset(hs.session);
    return out;
  }


  static std::vector<unsigned char> ticket_of(SSL_SESSION* session) {
    if (!session) return {};
    const unsigned char* ticket = nullptr;
    std::size_t len = 0;
    SSL_SESSION_get0_ticket(session, &ticket, &len);
    return {ticket, ticket + len};
  }

  // RFC 5077's layout, which OpenSSL follows: the ticket starts with the key name.
  static bool ticket_named(SSL_SESSION* session, const TicketKey& key) {
    const auto t = ticket_of(session);
    return t.size() > kTicketKeyNameSize && std::equal(key.name.begin(), key.name.end(), t.begin());
  }

  Outcome first_ticket(TicketServer& server, const TicketKey& expected_key) {
    Outcome first = connect(server, nullptr);
    EXPECT_FALSE(first.reused);
    EXPECT_TRUE(first.session && SSL_SESSION_is_resumable(first.session.get()));
    if (first.session) {
      EXPECT_TRUE(ticket_named(first.session.get(), expected_key));
    }
    return first;
  }

  static testing::KeyPair* pki_;
};

testing::KeyPair* TicketResumption::pki_ = nullptr;

TEST_P(TicketResumption, SameRingResumesWithoutRenewal) {
  auto ring = ring_from(secret_of(9));
  auto server = make_server(ring, kT0 + 10);
  auto first = first_ticket(*server, *ring.encrypt_key(kT0));
  server->now = kT0 + 20;
  auto again = connect(*server, first.session.get());
  EXPECT_TRUE(again.reused);
  if (GetParam() == TLS1_2_VERSION) {
    // Same period: the callback returned 1, so TLS 1.2 sends no new ticket.
    EXPECT_EQ(ticket_of(again.session.get()), ticket_of(first.session.get()));
  }
}

TEST_P(TicketResumption, AnotherProcessWithTheSameSecretResumes) {
  auto ring_a = ring_from(secret_of(9));
  auto ring_b = ring_from(secret_of(9));
  auto a = make_server(ring_a, kT0 + 10);
  auto b = make_server(ring_b, kT0 + 30);
  auto first = first_ticket(*a, *ring_a.encrypt_key(kT0));
  EXPECT_TRUE(connect(*b, first.session.get()).reused);
}

TEST_P(TicketResumption, AnotherSecretMeansFullHandshake) {
  auto ring_a = ring_from(secret_of(9));
  auto ring_b = ring_from(secret_of(10));
  auto a = make_server(ring_a, kT0 + 10);
  auto b = make_server(ring_b, kT0 + 10);
  auto first = first_ticket(*a, *ring_a.encrypt_key(kT0));
  EXPECT_FALSE(connect(*b, first.session.get()).reused);
}

TEST_P(TicketResumption, AfterRotationWithinLifetimeResumesAndRenews) {
  auto ring = ring_from(secret_of(11));
  auto server = make_server(ring, kT0 + 10);
  auto first = first_ticket(*server, *ring.encrypt_key(kT0));
  server->now = kT0 + kHour + 10;  // next period, within the 2 h lifetime
  auto again = connect(*server, first.session.get());
  EXPECT_TRUE(again.reused);
  ASSERT_TRUE(again.session);
  // The new ticket is under the new period's key.
  EXPECT_TRUE(ticket_named(again.session.get(), *ring.encrypt_key(kT0 + kHour)));
  EXPECT_NE(ticket_of(again.session.get()), ticket_of(first.session.get()));
}

TEST_P(TicketResumption, AfterLifetimeFullHandshake) {
  auto ring = ring_from(secret_of(12));
  auto server = make_server(ring, kT0 + 10);
  auto first = first_ticket(*server, *ring.encrypt_key(kT0));
  server->now = kT0 + 3 * kHour;  // period + 3: beyond the 2 h lifetime's two old periods
  auto again = connect(*server, first.session.get());
  EXPECT_FALSE(again.reused);
  ASSERT_TRUE(again.session);
  EXPECT_TRUE(ticket_named(again.session.get(), *ring.encrypt_key(kT0 + 3 * kHour)));
}

TEST_P(TicketResumption, KeyFileFormResumesWithAes128) {
  auto key = parse_ticket_key_file(file_bytes(48), "t.key");
  ASSERT_TRUE(key);
  auto ring_a = TicketKeyRing::fixed(*key, kT0);
  auto ring_b = TicketKeyRing::fixed(*key, kT0);
  auto a = make_server(ring_a, kT0);
  auto b = make_server(ring_b, kT0 + 1000 * kHour);
  auto first = first_ticket(*a, *key);
  EXPECT_TRUE(connect(*b, first.session.get()).reused);
}

INSTANTIATE_TEST_SUITE_P(TicketTls, TicketResumption,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         testing::tls_version_param_name);

}  // namespace
}  // namespace modssl::session
