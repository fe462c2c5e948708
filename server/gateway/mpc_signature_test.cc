// SDK-HMAC-SHA256 against the vendor's documented vector (vendor-apis.md B.4,
// first vector: huaweicloud-sdk-go-v3 core/auth/signer/signer_test.go).
#include "server/gateway/mpc_signature.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/gateway/signed_authorization.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kEmptyBodySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(MpcSignatureTest, MatchesTheDocumentedVector) {
  std::string why;
  auto authorization = ParseSignedAuthorization(
      "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
      "Signature="
      "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
      kMpcAccessKeyPart, &why);
  ASSERT_TRUE(authorization.has_value()) << why;
  EXPECT_EQ(authorization->algorithm, "SDK-HMAC-SHA256");
  EXPECT_EQ(authorization->access_key_id, "AccessKey");
  ASSERT_EQ(authorization->signed_headers,
            std::vector<std::string>{"x-sdk-date"});

  const std::vector<std::pair<std::string, std::string>> headers = {
      {"x-sdk-date", "20060102T150405Z"}, {"test_underscore", "value"}};
  const std::string canonical =
      MpcCanonicalRequest("GET", "/path", {{"limit", "1"}}, headers,
                          authorization->signed_headers, kEmptyBodySha256);
  EXPECT_EQ(canonical, std::string("GET\n/path/\nlimit=1\n"
                                   "x-sdk-date:20060102T150405Z\n\n"
                                   "x-sdk-date\n") +
                           kEmptyBodySha256);
  EXPECT_EQ(
      MpcSignature("SecretKey", MpcStringToSign("20060102T150405Z", canonical)),
      authorization->signature);
}

TEST(MpcSignatureTest, CanonicalUriEscapesSegmentsAndEndsInSlash) {
  EXPECT_EQ(MpcCanonicalUri("/v2/p1/editing/jobs/j1"),
            "/v2/p1/editing/jobs/j1/");
  EXPECT_EQ(MpcCanonicalUri("/v2/p1/editing/jobs/"), "/v2/p1/editing/jobs/");
  EXPECT_EQ(MpcCanonicalUri("/a b/c%2Fd"), "/a%20b/c%252Fd/");
  EXPECT_EQ(MpcCanonicalUri(""), "/");
}

TEST(MpcSignatureTest, CanonicalQuerySortsNamesAndRepeatedValues) {
  EXPECT_EQ(MpcCanonicalQuery({{"path", "/tmp/123"},
                               {"multi", "3"},
                               {"limit", "1"},
                               {"multi", "1"},
                               {"enable", "true"},
                               {"multi", "2"}}),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123");
  EXPECT_EQ(MpcCanonicalQuery({{"a b", "c*d"}}), "a%20b=c%2Ad");
}

TEST(MpcSignatureTest, CanonicalHeadersTrimAndFollowSignedOrder) {
  const std::string canonical = MpcCanonicalRequest(
      "POST", "/", {}, {{"host", " h:1 "}, {"x-sdk-date", "d"}},
      {"host", "x-missing", "x-sdk-date"}, "hash");
  EXPECT_EQ(canonical,
            "POST\n/\n\nhost:h:1\nx-missing:\nx-sdk-date:d\n\n"
            "host;x-missing;x-sdk-date\nhash");
}

TEST(MpcSignatureTest, AuthorizationPartsAreRequired) {
  std::string why;
  EXPECT_FALSE(
      ParseSignedAuthorization("SDK-HMAC-SHA256", kMpcAccessKeyPart, &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(ParseSignedAuthorization(
      "SDK-HMAC-SHA256 SignedHeaders=a, Signature=b", kMpcAccessKeyPart, &why));
  EXPECT_EQ(why, "Authorization has no Access.");
  EXPECT_FALSE(ParseSignedAuthorization("SDK-HMAC-SHA256 Access=a, Signature=b",
                                        kMpcAccessKeyPart, &why));
  EXPECT_EQ(why, "Authorization has no SignedHeaders.");
  EXPECT_FALSE(ParseSignedAuthorization(
      "SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date", kMpcAccessKeyPart,
      &why));
  EXPECT_EQ(why, "Authorization has no Signature.");
  // The Go SDK's ", " separator and a bare ',' both parse.
  EXPECT_TRUE(ParseSignedAuthorization(
      "SDK-HMAC-SHA256 Access=a,SignedHeaders=Host;X-Sdk-Date,Signature=b",
      kMpcAccessKeyPart, &why));
}

TEST(MpcSignatureTest, SdkDateHasExactlyTheVendorShape) {
  absl::Time time;
  ASSERT_TRUE(ParseMpcSdkDate("20060102T150405Z", &time));
  EXPECT_EQ(time, absl::FromCivil(absl::CivilSecond(2006, 1, 2, 15, 4, 5),
                                  absl::UTCTimeZone()));
  EXPECT_FALSE(ParseMpcSdkDate("2006-01-02T15:04:05Z", &time));
  EXPECT_FALSE(ParseMpcSdkDate("20060102T150405", &time));
  EXPECT_FALSE(ParseMpcSdkDate("20061302T150405Z", &time));
  EXPECT_FALSE(ParseMpcSdkDate("2006010xT150405Z", &time));
  EXPECT_FALSE(ParseMpcSdkDate("", &time));
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
