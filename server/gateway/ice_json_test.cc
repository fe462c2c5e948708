#include "server/gateway/ice_json.h"

#include "gtest/gtest.h"

namespace jobcontrol {
namespace gateway {
namespace {

TEST(IceJsonTest, EveryJobStateHasItsIceStatus) {
  EXPECT_STREQ(IceDnaJobStatus(v1::Job::QUEUED), "Queuing");
  EXPECT_STREQ(IceDnaJobStatus(v1::Job::RUNNING), "Analysing");
  EXPECT_STREQ(IceDnaJobStatus(v1::Job::CANCELING), "Analysing");
  EXPECT_STREQ(IceDnaJobStatus(v1::Job::SUCCEEDED), "Success");
  EXPECT_STREQ(IceDnaJobStatus(v1::Job::FAILED), "Fail");
  EXPECT_STREQ(IceDnaJobStatus(v1::Job::CANCELED), "Canceled");
}

TEST(IceJsonTest, TimesAreIsoUtcSeconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(1672197697);  // 2022-12-28T03:21:37Z
  t.set_nanos(999000000);
  EXPECT_EQ(IceTime(t), "2022-12-28T03:21:37Z");
}

TEST(IceJsonTest, DnaJobShape) {
  v1::Job job;
  job.set_id("88c6ca184c0e47098a5b665e2a126797");
  job.set_state(v1::Job::FAILED);
  job.mutable_dna_analysis()->set_db_id("db");
  job.mutable_dna_analysis()->set_primary_key("pk");
  job.mutable_dna_analysis()->mutable_input()->set_media_id("m1");
  job.mutable_create_time()->set_seconds(1672197697);
  job.mutable_end_time()->set_seconds(1672197704);
  job.mutable_error()->set_message("broken \"input\"");
  job.set_user_data("u");
  EXPECT_EQ(IceDnaJobJson(job).Serialize(),
            "{\"Id\":\"88c6ca184c0e47098a5b665e2a126797\",\"DBId\":\"db\","
            "\"PrimaryKey\":\"pk\",\"Status\":\"Fail\",\"Code\":"
            "\"InternalError\",\"Message\":\"broken \\\"input\\\"\","
            "\"CreationTime\":\"2022-12-28T03:21:37Z\",\"FinishTime\":"
            "\"2022-12-28T03:21:44Z\",\"Input\":{\"Media\":\"m1\",\"Type\":"
            "\"Media\"},\"UserData\":\"u\"}");
}

TEST(IceJsonTest, InputOfBothTypes) {
  v1::MediaReference media;
  EXPECT_FALSE(
      ParseIceInput(R"({"Media":"oss://b/a.mp4","Type":"OSS"})", &media));
  EXPECT_EQ(media.uri(), "oss://b/a.mp4");
  EXPECT_FALSE(ParseIceInput(R"({"Type":"Media","Media":"id-1"})", &media));
  EXPECT_EQ(media.media_id(), "id-1");
}

TEST(IceJsonTest, BadInputsAreTheVendorsErrors) {
  v1::MediaReference media;
  EXPECT_EQ(ParseIceInput("{\"Media\":", &media)->code,
            "InvalidParameter.JsonFormatInvalid");
  EXPECT_EQ(ParseIceInput("[1]", &media)->code,
            "InvalidParameter.JsonFormatInvalid");
  EXPECT_EQ(ParseIceInput(R"({"Type":"OSS"})", &media)->code,
            "MissingParameter");
  EXPECT_EQ(ParseIceInput(R"({"Media":"m"})", &media)->code,
            "MissingParameter");
  EXPECT_EQ(ParseIceInput(R"({"Media":1,"Type":"OSS"})", &media)->code,
            "InvalidParameter");
  EXPECT_EQ(ParseIceInput(R"({"Media":"m","Type":"S3"})", &media)->code,
            "InvalidParameter");
}

TEST(IceErrorsTest, CancelRefusalByState) {
  EXPECT_EQ(IceCancelRefused("j", v1::Job::RUNNING).code,
            "PermissionDenied.JobInRunning");
  EXPECT_EQ(IceCancelRefused("j", v1::Job::CANCELING).code,
            "PermissionDenied.JobInRunning");
  EXPECT_EQ(IceCancelRefused("j", v1::Job::SUCCEEDED).code,
            "PermissionDenied.JobInComplete");
  EXPECT_EQ(IceCancelRefused("j", v1::Job::FAILED).code,
            "PermissionDenied.JobInFailure");
  EXPECT_EQ(IceCancelRefused("j", v1::Job::FAILED).http_status, 403);
}

TEST(IceErrorsTest, ErrorBodyHasEveryVendorField) {
  const HttpResponse response =
      RenderIceError(IceMissingParameter("DBId"), "RID", "ice.test");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(
      response.body,
      "{\"RequestId\":\"RID\",\"HostId\":\"ice.test\",\"Code\":"
      "\"MissingParameter\",\"Message\":\"The input parameter \\\"DBId\\\" "
      "that is mandatory for processing this request is not supplied.\","
      "\"Recommend\":\"See docs/gateway.md of jobcontrol, error code "
      "MissingParameter, request id RID\"}");
}

TEST(JsonWriterTest, EscapesControlCharacters) {
  EXPECT_EQ(JsonQuote("a\x01\n\"\\"), "\"a\\u0001\\n\\\"\\\\\"");
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
