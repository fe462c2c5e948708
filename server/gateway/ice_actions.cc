#include "server/gateway/ice_actions.h"

#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/gateway/ice_json.h"
#include "server/gateway/service_call.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr int kMaxQueryJobIds = 100;

std::unique_ptr<grpc::ClientContext> RpcContext(
    const IceActionContext& context) {
  return NewServiceCallContext(context.bearer_token);
}

// A lookup by a caller-supplied id: an unknown (or malformed, hence unknown)
// id is ResourceNotFound naming it.
IceError LookupError(const grpc::Status& status, absl::string_view id) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return IceResourceNotFound(id);
  }
  return IceErrorFromRpc(status);
}

const std::string* Required(const IceActionContext& context,
                            absl::string_view name,
                            std::optional<IceError>* error) {
  const std::string* value = context.params->Find(name);
  if (value == nullptr || value->empty()) {
    *error = IceMissingParameter(name);
    return nullptr;
  }
  return value;
}

std::optional<IceError> ParsePriority(const std::string& text, int* out) {
  if (!absl::SimpleAtoi(text, out) || *out < 1 || *out > 10) {
    return IceInvalidParameter("Priority", "It must be an integer 1 to 10.");
  }
  return std::nullopt;
}

bool IsIceSpeed(absl::string_view speed) {
  return speed == "Standard" || speed == "Boost" || speed == "NarrowBandHDV2";
}

// Reads the job `id` of the caller; DNA jobs only (others are unknown here).
std::optional<IceError> GetDnaJob(const IceActionContext& context,
                                  const std::string& id, v1::Job* job) {
  v1::GetJobRequest request;
  request.set_job_id(id);
  const grpc::Status status =
      context.jobs->GetJob(RpcContext(context).get(), request, job);
  if (!status.ok()) return LookupError(status, id);
  if (job->kind() != v1::JOB_KIND_DNA_ANALYSIS) return IceResourceNotFound(id);
  return std::nullopt;
}

std::optional<IceError> SubmitDnaJob(const IceActionContext& context,
                                     JsonObject* response) {
  std::optional<IceError> error;
  const std::string* db_id = Required(context, "DBId", &error);
  if (error) return error;
  const std::string* input = Required(context, "Input", &error);
  if (error) return error;
  const std::string* primary_key = Required(context, "PrimaryKey", &error);
  if (error) return error;

  v1::SubmitJobRequest request;
  v1::Job* job = request.mutable_job();
  v1::DnaAnalysisSpec* dna = job->mutable_dna_analysis();
  dna->set_db_id(*db_id);
  dna->set_primary_key(*primary_key);
  if (auto input_error = ParseIceInput(*input, dna->mutable_input())) {
    return input_error;
  }
  if (const std::string* config = context.params->Find("Config")) {
    if (!config->empty() && !IsJsonObject(*config)) {
      return IceJsonFormatInvalid("Config");
    }
    dna->set_config_json(*config);
  }
  if (const std::string* template_id = context.params->Find("TemplateId")) {
    dna->set_template_id(*template_id);
  }
  if (const std::string* pipeline_id = context.params->Find("PipelineId")) {
    job->set_pipeline_id(*pipeline_id);
  }
  if (const std::string* user_data = context.params->Find("UserData")) {
    job->set_user_data(*user_data);
  }
  v1::Job submitted;
  const grpc::Status status =
      context.jobs->SubmitJob(RpcContext(context).get(), request, &submitted);
  if (!status.ok()) {
    if (ErrorReasonOf(status) == "PIPELINE_NOT_FOUND") {
      return IceResourceNotFound(job->pipeline_id());
    }
    return IceErrorFromRpc(status);
  }
  response->Add("JobId", submitted.id());
  return std::nullopt;
}

std::optional<IceError> QueryDnaJobList(const IceActionContext& context,
                                        JsonObject* response) {
  std::optional<IceError> error;
  const std::string* job_ids = Required(context, "JobIds", &error);
  if (error) return error;
  std::vector<std::string> ids;
  for (absl::string_view id : absl::StrSplit(*job_ids, ',')) {
    id = absl::StripAsciiWhitespace(id);
    if (!id.empty()) ids.emplace_back(id);
  }
  if (ids.size() > kMaxQueryJobIds) {
    return IceInvalidParameter(
        "JobIds", absl::StrCat("At most ", kMaxQueryJobIds, " ids per call."));
  }
  std::vector<JsonObject> list;
  for (const std::string& id : ids) {
    v1::Job job;
    if (auto lookup = GetDnaJob(context, id, &job)) {
      // Unknown ids (also other tenants' and non-DNA jobs) are left out.
      if (lookup->code == "InvalidParameter.ResourceNotFound") continue;
      return lookup;
    }
    list.push_back(IceDnaJobJson(job));
  }
  response->AddArray("JobList", list);
  return std::nullopt;
}

std::optional<IceError> CancelDnaJob(const IceActionContext& context,
                                     JsonObject* response) {
  std::optional<IceError> error;
  const std::string* job_id = Required(context, "JobId", &error);
  if (error) return error;
  v1::CancelJobRequest request;
  request.set_job_id(*job_id);
  // Other kinds of jobs are unknown here: NOT_FOUND, and left as they are.
  request.set_kind(v1::JOB_KIND_DNA_ANALYSIS);
  v1::Job canceled;
  const grpc::Status status =
      context.jobs->CancelJob(RpcContext(context).get(), request, &canceled);
  if (!status.ok()) {
    if (ErrorReasonOf(status) == "JOB_NOT_QUEUED") {
      // The state that refused the cancel decides the vendor's code.
      v1::Job current;
      if (auto lookup = GetDnaJob(context, *job_id, &current)) return lookup;
      return IceCancelRefused(*job_id, current.state());
    }
    return LookupError(status, *job_id);
  }
  response->Add("JobId", canceled.id());
  return std::nullopt;
}

std::optional<IceError> CreatePipeline(const IceActionContext& context,
                                       JsonObject* response) {
  std::optional<IceError> error;
  const std::string* name = Required(context, "Name", &error);
  if (error) return error;
  const std::string* speed = Required(context, "Speed", &error);
  if (error) return error;
  if (!IsIceSpeed(*speed)) {
    return IceInvalidParameter("Speed",
                               "It must be Standard, Boost or NarrowBandHDV2.");
  }
  v1::CreatePipelineRequest request;
  request.mutable_pipeline()->set_name(*name);
  if (const std::string* priority = context.params->Find("Priority")) {
    int value = 0;
    if (auto priority_error = ParsePriority(*priority, &value)) {
      return priority_error;
    }
    request.mutable_pipeline()->set_priority(value);
  }
  v1::Pipeline created;
  const grpc::Status status = context.pipelines->CreatePipeline(
      RpcContext(context).get(), request, &created);
  if (!status.ok()) return IceErrorFromRpc(status);
  response->AddObject("Pipeline", IcePipelineJson(created));
  return std::nullopt;
}

std::optional<IceError> GetPipeline(const IceActionContext& context,
                                    JsonObject* response) {
  std::optional<IceError> error;
  const std::string* id = Required(context, "PipelineId", &error);
  if (error) return error;
  v1::GetPipelineRequest request;
  request.set_pipeline_id(*id);
  v1::Pipeline pipeline;
  const grpc::Status status = context.pipelines->GetPipeline(
      RpcContext(context).get(), request, &pipeline);
  if (!status.ok()) return LookupError(status, *id);
  response->AddObject("Pipeline", IcePipelineJson(pipeline));
  return std::nullopt;
}

std::optional<IceError> ListPipelines(const IceActionContext& context,
                                      JsonObject* response) {
  const std::string* speed = context.params->Find("Speed");
  if (speed != nullptr && !speed->empty() && !IsIceSpeed(*speed)) {
    return IceInvalidParameter("Speed",
                               "It must be Standard, Boost or NarrowBandHDV2.");
  }
  std::vector<JsonObject> list;
  // Every pipeline is Standard (Speed is not stored).
  const bool matches =
      speed == nullptr || speed->empty() || *speed == "Standard";
  v1::ListPipelinesRequest request;
  request.set_page_size(1000);
  while (matches) {
    v1::ListPipelinesResponse page;
    const grpc::Status status = context.pipelines->ListPipelines(
        RpcContext(context).get(), request, &page);
    if (!status.ok()) return IceErrorFromRpc(status);
    for (const v1::Pipeline& pipeline : page.pipelines()) {
      list.push_back(IcePipelineJson(pipeline));
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  response->AddArray("PipelineList", list);
  return std::nullopt;
}

std::optional<IceError> UpdatePipeline(const IceActionContext& context,
                                       JsonObject* response) {
  std::optional<IceError> error;
  const std::string* id = Required(context, "PipelineId", &error);
  if (error) return error;
  v1::UpdatePipelineRequest request;
  v1::Pipeline* pipeline = request.mutable_pipeline();
  pipeline->set_id(*id);
  if (const std::string* name = context.params->Find("Name")) {
    pipeline->set_name(*name);
    request.mutable_update_mask()->add_paths("name");
  }
  if (const std::string* priority = context.params->Find("Priority")) {
    int value = 0;
    if (auto priority_error = ParsePriority(*priority, &value)) {
      return priority_error;
    }
    pipeline->set_priority(value);
    request.mutable_update_mask()->add_paths("priority");
  }
  if (const std::string* status = context.params->Find("Status")) {
    if (*status == "Active") {
      pipeline->set_state(v1::Pipeline::ACTIVE);
    } else if (*status == "Paused") {
      pipeline->set_state(v1::Pipeline::PAUSED);
    } else {
      return IceInvalidParameter("Status", "It must be Active or Paused.");
    }
    request.mutable_update_mask()->add_paths("state");
  }
  v1::Pipeline updated;
  if (request.update_mask().paths().empty()) {
    // Nothing to change: still an error for an unknown pipeline.
    v1::GetPipelineRequest get;
    get.set_pipeline_id(*id);
    const grpc::Status status = context.pipelines->GetPipeline(
        RpcContext(context).get(), get, &updated);
    if (!status.ok()) return LookupError(status, *id);
  } else {
    const grpc::Status status = context.pipelines->UpdatePipeline(
        RpcContext(context).get(), request, &updated);
    if (!status.ok()) {
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
        return IceResourceNotFound(*id);
      }
      return IceErrorFromRpc(status);
    }
  }
  response->AddBool("Success", true);
  return std::nullopt;
}

std::optional<IceError> DeletePipeline(const IceActionContext& context,
                                       JsonObject* response) {
  std::optional<IceError> error;
  const std::string* id = Required(context, "PipelineId", &error);
  if (error) return error;
  v1::DeletePipelineRequest request;
  request.set_pipeline_id(*id);
  google::protobuf::Empty empty;
  const grpc::Status status = context.pipelines->DeletePipeline(
      RpcContext(context).get(), request, &empty);
  if (!status.ok()) return LookupError(status, *id);
  response->AddBool("Success", true);
  return std::nullopt;
}

}  // namespace

IceActionFunction FindIceAction(absl::string_view name) {
  static constexpr std::pair<const char*, IceActionFunction> kActions[] = {
      {"SubmitDNAJob", &SubmitDnaJob},
      {"QueryDNAJobList", &QueryDnaJobList},
      {"CancelDNAJob", &CancelDnaJob},
      {"CreatePipeline", &CreatePipeline},
      {"GetPipeline", &GetPipeline},
      {"ListPipelines", &ListPipelines},
      {"UpdatePipeline", &UpdatePipeline},
      {"DeletePipeline", &DeletePipeline},
  };
  for (const auto& [action, function] : kActions) {
    if (name == action) return function;
  }
  return nullptr;
}

}  // namespace gateway
}  // namespace jobcontrol
