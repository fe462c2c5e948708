// Signature V3 against a vector computed by Alibaba's own signer
// (@alicloud/openapi-util getAuthorization, npm) for the same request.
#include "server/gateway/ice_signature_v3.h"

#include "gtest/gtest.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/signed_authorization.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kEmptyBodySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::vector<std::pair<std::string, std::string>> VectorHeaders() {
  return {
      {"host", "ice.cn-shanghai.aliyuncs.com"},
      {"x-acs-action", "SubmitDNAJob"},
      {"x-acs-version", "2020-11-09"},
      {"x-acs-date", "2024-01-02T03:04:05Z"},
      {"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
      {"x-acs-content-sha256", kEmptyBodySha256},
      {"user-agent", "ua"},
      {"accept", "application/json"},
  };
}

ParamList VectorQuery() {
  return {{"PrimaryKey", "k~*"},
          {"DBId", "db 1"},
          {"Input", "{\"Media\":\"oss://b/a.mp4\",\"Type\":\"OSS\"}"}};
}

TEST(IceSignatureV3Test, MatchesTheVendorSigner) {
  std::string why;
  auto authorization = ParseSignedAuthorization(
      "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
      "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
      "x-acs-version,Signature="
      "379fb0c39615b4021e50f39d8bec8b00c3e0e12e391271079ac9a3ed292e4cdf",
      kIceV3AccessKeyPart, &why);
  ASSERT_TRUE(authorization.has_value()) << why;
  EXPECT_EQ(authorization->access_key_id, "YourAccessKeyId");
  const std::string canonical = IceV3CanonicalRequest(
      "POST", "/", VectorQuery(), VectorHeaders(),
      authorization->signed_headers, LowerHex(Sha256("")));
  EXPECT_EQ(canonical,
            "POST\n/\nDBId=db%201&Input=%7B%22Media%22%3A%22oss%3A%2F%2Fb%2Fa."
            "mp4%22%2C%22Type%22%3A%22OSS%22%7D&PrimaryKey=k~%2A\n"
            "host:ice.cn-shanghai.aliyuncs.com\nx-acs-action:SubmitDNAJob\n"
            "x-acs-content-sha256:" +
                std::string(kEmptyBodySha256) +
                "\nx-acs-date:2024-01-02T03:04:05Z\n"
                "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
                "x-acs-version:2020-11-09\n\n"
                "host;x-acs-action;x-acs-content-sha256;x-acs-date;"
                "x-acs-signature-nonce;x-acs-version\n" +
                kEmptyBodySha256);
  EXPECT_EQ(IceV3Signature("YourAccessKeySecret", IceV3StringToSign(canonical)),
            authorization->signature);
}

TEST(IceSignatureV3Test, OnlySignedHeadersCount) {
  auto headers = VectorHeaders();
  const std::vector<std::string> signed_headers = {"host", "x-acs-date"};
  const std::string before = IceV3CanonicalRequest(
      "POST", "/", {}, headers, signed_headers, kEmptyBodySha256);
  headers.emplace_back("user-agent", "another");
  headers[0].second = "  ice.cn-shanghai.aliyuncs.com ";  // trimmed
  EXPECT_EQ(IceV3CanonicalRequest("POST", "/", {}, headers, signed_headers,
                                  kEmptyBodySha256),
            before);
}

TEST(IceSignatureV3Test, RepeatedHeaderValuesAreSortedAndJoined) {
  const std::string canonical = IceV3CanonicalRequest(
      "GET", "/", {}, {{"x-acs-b", "2"}, {"x-acs-b", "1"}}, {"x-acs-b"}, "h");
  EXPECT_EQ(canonical, "GET\n/\n\nx-acs-b:1,2\n\nx-acs-b\nh");
}

TEST(IceSignatureV3Test, IncompleteAuthorizationsAreRejected) {
  std::string why;
  for (const char* bad :
       {"", "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256 SignedHeaders=host,Signature=a",
        "ACS3-HMAC-SHA256 Credential=id,Signature=a",
        "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=,Signature=a",
        "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host"}) {
    EXPECT_FALSE(
        ParseSignedAuthorization(bad, kIceV3AccessKeyPart, &why).has_value())
        << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
