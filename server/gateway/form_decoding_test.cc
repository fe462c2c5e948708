#include "server/gateway/form_decoding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(FormDecodingTest, DecodesPairsInOrder) {
  auto params = DecodeForm("Action=SubmitDNAJob&Input=%7B%22a%22%3A1%7D&x=a+b");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params,
              ElementsAre(Pair("Action", "SubmitDNAJob"),
                          Pair("Input", "{\"a\":1}"), Pair("x", "a b")));
}

TEST(FormDecodingTest, EmptyPartsAreSkippedAndBareNamesHaveEmptyValues) {
  auto params = DecodeForm("&a=1&&flag&b=&");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params,
              ElementsAre(Pair("a", "1"), Pair("flag", ""), Pair("b", "")));
}

TEST(FormDecodingTest, KeepsRepeatedNames) {
  auto params = DecodeForm("a=1&a=2");
  ASSERT_TRUE(params.ok());
  EXPECT_THAT(*params, ElementsAre(Pair("a", "1"), Pair("a", "2")));
}

TEST(FormDecodingTest, ValueMayContainEquals) {
  auto params = DecodeForm("Signature=abc%3D&x=a=b");
  ASSERT_TRUE(params.ok());
  EXPECT_THAT(*params,
              ElementsAre(Pair("Signature", "abc="), Pair("x", "a=b")));
}

TEST(FormDecodingTest, MalformedPercentEncodingIsRejectedNamingTheParameter) {
  for (const char* bad : {"JobId=%zz", "JobId=%4", "JobId=abc%"}) {
    auto params = DecodeForm(bad);
    EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(params.status().message(), HasSubstr("\"JobId\"")) << bad;
    EXPECT_THAT(params.status().message(), HasSubstr("percent-encoding"));
  }
  EXPECT_EQ(DecodeForm("%g1=1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FormDecodingTest, InvalidUtf8IsRejected) {
  EXPECT_THAT(DecodeForm("UserData=%FF%FE").status().message(),
              HasSubstr("\"UserData\" is not valid UTF-8"));
  EXPECT_EQ(DecodeForm("%C0%80=1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FormDecodingTest, EmptyNameIsRejected) {
  EXPECT_EQ(DecodeForm("=1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PercentEncodingTest, EncodesAllButUnreserved) {
  EXPECT_EQ(AcsPercentEncode("aZ09-_.~ !*'()/+"),
            "aZ09-_.~%20%21%2A%27%28%29%2F%2B");
}

TEST(PercentEncodingTest, RoundTrips) {
  const std::string raw = "\x01\xff{\"Media\":\"oss://b/a b.mp4\"}";
  auto decoded = PercentDecode(AcsPercentEncode(raw), false);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, raw);
}

TEST(Utf8Test, AcceptsWellFormedAndRejectsTheRest) {
  EXPECT_TRUE(IsValidUtf8("plain \xE4\xB8\xAD \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
