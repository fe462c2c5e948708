// The MPC editing-job bodies: CreateEditingJobsReq into the one Job model and
// back as a QueryEditingJob item, and the exact error of each refused body.
#include "server/gateway/mpc_json.h"

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kVendorExample[] = R"({
  "inputs": [{"input": {"bucket": "b", "location": "cn-north-4", "object": "in/a.mp4"},
              "timeline_start": "10", "timeline_end": "20.25"}],
  "output": {"bucket": "b", "location": "cn-north-4", "object": "out/",
             "file_name": "clip.mp4"},
  "editing_settings": {"resolution_adaptation": "OPEN", "resolution_upsample": "OFF",
                       "format": "MP4", "width": 0, "height": 720, "reference": "NONE"},
  "metadata": [{"key": "ignored"}],
  "user_data": "u",
  "editing_type": 1})";

TEST(MpcJsonTest, VendorExampleBecomesAnEditingJob) {
  v1::Job job;
  ASSERT_FALSE(ParseMpcCreateEditingJob(kVendorExample, &job).has_value());
  const v1::EditingSpec& spec = job.editing();
  ASSERT_EQ(spec.inputs_size(), 1);
  EXPECT_EQ(spec.inputs(0).media().uri(), "obs://b/in/a.mp4");
  EXPECT_EQ(spec.inputs(0).media().region(), "cn-north-4");
  EXPECT_EQ(spec.inputs(0).timeline_start().seconds(), 10);
  EXPECT_EQ(spec.inputs(0).timeline_end().seconds(), 20);
  EXPECT_EQ(spec.inputs(0).timeline_end().nanos(), 250000000);
  EXPECT_EQ(spec.output().uri(), "obs://b/out/");
  EXPECT_EQ(spec.output().region(), "cn-north-4");
  EXPECT_EQ(spec.output().file_name(), "clip.mp4");
  EXPECT_EQ(spec.settings().at("resolution_adaptation"), "OPEN");
  EXPECT_EQ(spec.settings().at("resolution_upsample"), "OFF");
  EXPECT_EQ(spec.settings().at("format"), "MP4");
  EXPECT_EQ(spec.settings().at("reference"), "NONE");
  EXPECT_EQ(spec.settings().at("width"), "0");
  EXPECT_EQ(spec.settings().at("height"), "720");
  EXPECT_EQ(spec.settings().at("editing_type"), "1");
  EXPECT_EQ(job.user_data(), "u");
}

TEST(MpcJsonTest, RefusedBodiesNameTheirMember) {
  const std::string input =
      R"({"bucket": "b", "location": "l", "object": "o"})";
  const std::string output =
      R"("output": {"bucket": "b", "location": "l", "object": "o"})";
  auto with_input = [&](const std::string& members) {
    return R"({"inputs": [{"input": )" + input + members + "}], " + output +
           "}";
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "The request body must be a JSON object."},
      {"[]", "The request body must be a JSON object."},
      {"{" + output + "}", "inputs is required."},
      {R"({"inputs": {}, )" + output + "}", "inputs must be an array."},
      {R"({"inputs": [], )" + output + "}", "inputs must not be empty."},
      {R"({"inputs": [1], )" + output + "}", "inputs[0] must be an object."},
      {R"({"inputs": [{}], )" + output + "}", "inputs[0].input is required."},
      {R"({"inputs": [{"input": {"bucket": 1}}], )" + output + "}",
       "inputs[0].input.bucket must be a string."},
      {R"({"inputs": [{"input": {"bucket": "a/b"}}], )" + output + "}",
       "inputs[0].input.bucket must not contain '/'."},
      {R"({"inputs": [{"input": {"bucket": "b", "location": "l"}}], )" +
           output + "}",
       "inputs[0].input.object is required."},
      {R"({"inputs": [{"input": )" + input + "}]}", "output is required."},
      {R"({"inputs": [{"input": )" + input + R"(}], "output": "o"})",
       "output must be an object."},
      {R"({"inputs": [{"input": )" + input +
           R"(}], "output": {"bucket": "b", "location": "l", "object": ""}})",
       "output.object must not be empty."},
      {with_input(R"(, "timeline_start": 10)"),
       "inputs[0].timeline_start must be a string."},
      {with_input(R"(, "timeline_start": "")"),
       "inputs[0].timeline_start must not be empty."},
      {with_input(R"(, "timeline_end": "-1")"),
       "inputs[0].timeline_end must be a non-negative decimal number of "
       "seconds, e.g. \"12.5\"."},
      {with_input(R"(, "timeline_end": "1e3")"),
       "inputs[0].timeline_end must be a non-negative decimal number of "
       "seconds, e.g. \"12.5\"."},
      {with_input(R"(, "timeline_end": "5.")"),
       "inputs[0].timeline_end must be a non-negative decimal number of "
       "seconds, e.g. \"12.5\"."},
      {with_input(R"(, "timeline_start": "5", "timeline_end": "5.0")"),
       "inputs[0].timeline_end must be after inputs[0].timeline_start."},
      {R"({"inputs": [{"input": )" + input + "}], " + output +
           R"(, "editing_settings": {"format": "AVI"}})",
       "editing_settings.format must be one of MP4, HLS."},
      {R"({"inputs": [{"input": )" + input + "}], " + output +
           R"(, "editing_settings": {"width": "1"}})",
       "editing_settings.width must be an integer from 0 to 8192."},
      {R"({"inputs": [{"input": )" + input + "}], " + output +
           R"(, "editing_settings": 3})",
       "editing_settings must be an object."},
      {R"({"inputs": [{"input": )" + input + "}], " + output +
           R"(, "editing_type": 2})",
       "editing_type must be an integer from 0 to 1."},
      {R"({"inputs": [{"input": )" + input + "}], " + output +
           R"(, "user_data": 5})",
       "user_data must be a string."},
  };
  for (const auto& [body, why] : cases) {
    v1::Job job;
    auto error = ParseMpcCreateEditingJob(body, &job);
    ASSERT_TRUE(error.has_value()) << body;
    EXPECT_EQ(error->http_status, 400) << body;
    EXPECT_EQ(error->code, "MPC.10202") << body;
    EXPECT_EQ(error->message, "Invalid request parameter. " + why) << body;
  }
}

TEST(MpcJsonTest, JobReadsBackAsQueryEditingJob) {
  v1::Job job;
  ASSERT_FALSE(ParseMpcCreateEditingJob(kVendorExample, &job).has_value());
  job.set_id("0123456789abcdef0123456789abcdef");
  job.set_state(v1::Job::QUEUED);
  job.mutable_create_time()->set_seconds(
      1605781012);  // 2020-11-19 10:16:52 UTC
  EXPECT_EQ(
      MpcEditingJobJson(job).Serialize(),
      R"({"job_id":"0123456789abcdef0123456789abcdef","status":"WAITING",)"
      R"("progress":0,"create_time":"20201119101652","user_data":"u",)"
      R"("output":{"bucket":"b","location":"cn-north-4","object":"out/",)"
      R"("file_name":"clip.mp4"}})");
  job.set_state(v1::Job::FAILED);
  job.mutable_error()->set_message("input missing");
  google::rpc::ErrorInfo info;
  info.set_reason("MPC.10053");
  job.mutable_error()->add_details()->PackFrom(info);
  const std::string failed = MpcEditingJobJson(job).Serialize();
  EXPECT_NE(failed.find(R"("status":"FAILED","error_code":"MPC.10053",)"
                        R"("description":"input missing")"),
            std::string::npos)
      << failed;
}

TEST(MpcJsonTest, StatusesFollowDesignTable) {
  EXPECT_STREQ(MpcEditingJobStatus(v1::Job::QUEUED), "WAITING");
  EXPECT_STREQ(MpcEditingJobStatus(v1::Job::RUNNING), "PROCESSING");
  EXPECT_STREQ(MpcEditingJobStatus(v1::Job::CANCELING), "PROCESSING");
  EXPECT_STREQ(MpcEditingJobStatus(v1::Job::SUCCEEDED), "SUCCEEDED");
  EXPECT_STREQ(MpcEditingJobStatus(v1::Job::FAILED), "FAILED");
  EXPECT_STREQ(MpcEditingJobStatus(v1::Job::CANCELED), "CANCELED");
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
