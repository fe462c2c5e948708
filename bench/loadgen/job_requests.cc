#include "bench/loadgen/job_requests.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "grpcpp/support/slice.h"

namespace jobcontrol {
namespace bench {

grpc::ByteBuffer SerializeToByteBuffer(
    const google::protobuf::MessageLite& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

v1::SubmitJobRequest BenchSubmitJobRequest(int variant) {
  v1::SubmitJobRequest request;
  v1::DnaAnalysisSpec* dna = request.mutable_job()->mutable_dna_analysis();
  dna->set_db_id("bench-dna-db-0001");
  dna->set_primary_key(absl::StrFormat("bench-video-%08d", variant));
  dna->mutable_input()->set_uri(absl::StrFormat(
      "oss://bench-media-bucket/uploads/2024/06/video-%08d.mp4", variant));
  dna->mutable_input()->set_region("cn-shanghai");
  dna->set_config_json(R"({"SaveType":"save","MediaType":"video"})");
  request.mutable_job()->set_user_data(
      absl::StrFormat(R"({"NotifyAddress":"https://example.com/cb","n":%d})",
                      variant));
  return request;
}

v1::SubmitJobRequest BenchEditingSubmitJobRequest(int variant) {
  v1::SubmitJobRequest request;
  v1::EditingSpec* editing = request.mutable_job()->mutable_editing();
  for (int clip = 0; clip < 2; ++clip) {
    v1::EditingInput* input = editing->add_inputs();
    input->mutable_media()->set_uri(absl::StrFormat(
        "obs://bench-media-bucket/uploads/2024/06/clip-%08d-%d.mp4", variant,
        clip));
    input->mutable_media()->set_region("cn-north-4");
    input->mutable_timeline_start()->set_seconds(10 * clip);
    input->mutable_timeline_end()->set_seconds(10 * clip + 5);
  }
  editing->mutable_output()->set_uri("obs://bench-media-bucket/edited/");
  editing->mutable_output()->set_region("cn-north-4");
  editing->mutable_output()->set_file_name(
      absl::StrFormat("edited-%08d.mp4", variant));
  (*editing->mutable_settings())["resolution_adaptation"] = "OPEN";
  (*editing->mutable_settings())["format"] = "MP4";
  (*editing->mutable_settings())["editing_type"] = "0";
  request.mutable_job()->set_user_data(
      absl::StrFormat(R"({"order":"bench-%08d"})", variant));
  return request;
}

std::vector<grpc::ByteBuffer> SubmitJobRequests(int count) {
  std::vector<grpc::ByteBuffer> requests;
  for (int i = 0; i < count; ++i) {
    requests.push_back(SerializeToByteBuffer(BenchSubmitJobRequest(i)));
  }
  return requests;
}

std::vector<grpc::ByteBuffer> GetJobRequests(
    const std::vector<std::string>& job_ids) {
  std::vector<grpc::ByteBuffer> requests;
  requests.reserve(job_ids.size());
  v1::GetJobRequest request;
  for (const std::string& id : job_ids) {
    request.set_job_id(id);
    requests.push_back(SerializeToByteBuffer(request));
  }
  return requests;
}

std::vector<grpc::ByteBuffer> CancelJobRequests(
    const std::vector<std::string>& job_ids) {
  std::vector<grpc::ByteBuffer> requests;
  requests.reserve(job_ids.size());
  v1::CancelJobRequest request;
  for (const std::string& id : job_ids) {
    request.set_job_id(id);
    requests.push_back(SerializeToByteBuffer(request));
  }
  return requests;
}

std::vector<grpc::ByteBuffer> ListJobsRequests(int page_size) {
  v1::ListJobsRequest request;
  request.set_page_size(page_size);
  return {SerializeToByteBuffer(request)};
}

absl::StatusOr<std::vector<std::string>> ReadJobIds(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view id = absl::StripAsciiWhitespace(line);
    if (!id.empty()) ids.emplace_back(id);
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no job id"));
  }
  return ids;
}

}  // namespace bench
}  // namespace jobcontrol
