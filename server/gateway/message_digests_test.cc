// The digests against published vectors (RFC 2202, RFC 4231), and the reuse
// of each thread's HMAC context: one key never leaks into the next call.
#include "server/gateway/message_digests.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kJefeMessage[] = "what do ya want for nothing?";

TEST(MessageDigestsTest, HmacSha1MatchesRfc2202) {
  EXPECT_EQ(LowerHex(HmacSha1("Jefe", kJefeMessage)),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(MessageDigestsTest, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(LowerHex(HmacSha256("Jefe", kJefeMessage)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the hash's block is hashed first (RFC 4231 case 6).
  EXPECT_EQ(
      LowerHex(HmacSha256(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key "
                          "First")),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(MessageDigestsTest, EmptyKeyAfterAnotherKeyIsTheEmptyKey) {
  // OpenSSL reads a null key as "keep the previous one"; the contexts are
  // reused, so an empty key must not sign with the last caller's secret.
  ASSERT_FALSE(HmacSha256("secret-of-someone-else", "x").empty());
  ASSERT_FALSE(HmacSha1("secret-of-someone-else", "x").empty());
  // A default string_view has no data at all (a null pointer).
  EXPECT_EQ(LowerHex(HmacSha256(absl::string_view(), "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(LowerHex(HmacSha1(absl::string_view(), "")),
            "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

TEST(MessageDigestsTest, ThreadsSigningAtOnceEachGetTheirOwnAnswer) {
  const std::string expected_jefe = LowerHex(HmacSha256("Jefe", kJefeMessage));
  const std::string expected_other = LowerHex(HmacSha256("other", "message"));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const bool jefe = (i + t) % 2 == 0;
        const std::string got = jefe
                                    ? LowerHex(HmacSha256("Jefe", kJefeMessage))
                                    : LowerHex(HmacSha256("other", "message"));
        if (got != (jefe ? expected_jefe : expected_other)) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(MessageDigestsTest, Sha256OfEmptyInput) {
  EXPECT_EQ(LowerHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
