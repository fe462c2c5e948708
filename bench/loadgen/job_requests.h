// The requests of the jobcontrol.v1 RPCs the benchmarks drive, serialized
// once up front so the load generator spends no time building them.
//
// To benchmark another RPC (WorkerService.LeaseJob once it exists), add its
// method name and a builder here and a --rpc case in grpc_loadgen_main.cc.
#ifndef JOBCONTROL_BENCH_LOADGEN_JOB_REQUESTS_H_
#define JOBCONTROL_BENCH_LOADGEN_JOB_REQUESTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/support/byte_buffer.h"
#include "jobcontrol/v1/job_service.pb.h"

namespace jobcontrol {
namespace bench {

inline constexpr char kSubmitJobMethod[] =
    "/jobcontrol.v1.JobService/SubmitJob";
inline constexpr char kGetJobMethod[] = "/jobcontrol.v1.JobService/GetJob";
inline constexpr char kListJobsMethod[] = "/jobcontrol.v1.JobService/ListJobs";
inline constexpr char kCancelJobMethod[] =
    "/jobcontrol.v1.JobService/CancelJob";

grpc::ByteBuffer SerializeToByteBuffer(
    const google::protobuf::MessageLite& message);

// A DNA analysis job the way a vendor client submits one (input URI, config
// JSON, user data), made distinct by `variant`; no request_id. The bulk
// loader stores exactly these, so preloaded rows have the size of real ones.
v1::SubmitJobRequest BenchSubmitJobRequest(int variant);

// An editing job the way Huawei Cloud MPC's CreateEditingJobs makes one (two
// OBS inputs cut to a time range, an OBS output, MPC editing_settings, user
// data), made distinct by `variant`; no request_id. The bulk loader stores
// these for the MPC gateway benchmark (the MPC API sees only editing jobs).
v1::SubmitJobRequest BenchEditingSubmitJobRequest(int variant);

// `count` (>= 1) distinct BenchSubmitJobRequests.
std::vector<grpc::ByteBuffer> SubmitJobRequests(int count);
// One request per id, in order.
std::vector<grpc::ByteBuffer> GetJobRequests(
    const std::vector<std::string>& job_ids);
std::vector<grpc::ByteBuffer> CancelJobRequests(
    const std::vector<std::string>& job_ids);
// The first page (newest jobs first) of the caller's jobs, no filter.
std::vector<grpc::ByteBuffer> ListJobsRequests(int page_size);

// Job ids from a file, one per line (what bench_bulk_load --ids_out writes).
// NOT_FOUND if unreadable, INVALID_ARGUMENT if it holds no id.
absl::StatusOr<std::vector<std::string>> ReadJobIds(const std::string& path);

}  // namespace bench
}  // namespace jobcontrol

#endif  // JOBCONTROL_BENCH_LOADGEN_JOB_REQUESTS_H_
