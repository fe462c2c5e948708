// Signature V1 against the vendor's documented example (vendor-apis.md A.3.2).
#include "server/gateway/ice_signature_v1.h"

#include "gtest/gtest.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {
namespace {

ParamList DocumentedExampleParams() {
  return {
      {"Version", "2014-06-18"},
      {"AccessKeyId", "testId"},
      {"Action", "SearchTemplate"},
      {"Format", "XML"},
      {"PageSize", "2"},
      {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureNonce", "4902260a-516a-4b6a-a455-45b653cf6150"},
      {"SignatureVersion", "1.0"},
      {"Timestamp", "2015-05-14T09:03:45Z"},
  };
}

TEST(IceSignatureV1Test, DocumentedStringToSign) {
  EXPECT_EQ(
      IceV1StringToSign("GET", DocumentedExampleParams()),
      "GET&%2F&AccessKeyId%3DtestId%26Action%3DSearchTemplate%26Format%3DXML%"
      "26PageSize%3D2%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%"
      "3D4902260a-"
      "516a-4b6a-a455-45b653cf6150%26SignatureVersion%3D1.0%26Timestamp%3D2015-"
      "05-14T09%253A03%253A45Z%26Version%3D2014-06-18");
}

TEST(IceSignatureV1Test, DocumentedSignature) {
  const std::string signature = IceV1Signature(
      "testKeySecret", IceV1StringToSign("GET", DocumentedExampleParams()));
  EXPECT_EQ(signature, "kmDv4mWo806GWPjQMy2z4VhBBDQ=");
  EXPECT_EQ(AcsPercentEncode(signature), "kmDv4mWo806GWPjQMy2z4VhBBDQ%3D");
}

TEST(IceSignatureV1Test, SignatureParameterIsNotSigned) {
  ParamList with_signature = DocumentedExampleParams();
  with_signature.emplace_back("Signature", "kmDv4mWo806GWPjQMy2z4VhBBDQ=");
  EXPECT_EQ(IceV1StringToSign("GET", with_signature),
            IceV1StringToSign("GET", DocumentedExampleParams()));
}

TEST(IceSignatureV1Test, MethodIsPartOfTheStringToSign) {
  EXPECT_NE(IceV1StringToSign("POST", DocumentedExampleParams()),
            IceV1StringToSign("GET", DocumentedExampleParams()));
}

TEST(IceSignatureV1Test, ValuesAreEncodedTheVendorsWay) {
  // Space is %20 (not '+'), '*' is %2A, '~' stays; JSON is fully escaped.
  EXPECT_EQ(
      IceV1CanonicalizedQuery(
          {{"b", "x y*~"}, {"a", "{\"k\":\"v\"}"}, {"c", "\xE4\xB8\xAD"}}),
      "a=%7B%22k%22%3A%22v%22%7D&b=x%20y%2A~&c=%E4%B8%AD");
}

TEST(IceSignatureV1Test, SortsByEncodedNameInByteOrder) {
  EXPECT_EQ(IceV1CanonicalizedQuery({{"a", "1"}, {"B", "2"}, {"_", "3"}}),
            "B=2&_=3&a=1");
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
