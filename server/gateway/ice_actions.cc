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

using JobRpcs = v1::JobService::StubInterface::async_interface;
using PipelineRpcs = v1::PipelineService::StubInterface::async_interface;
using Call = std::shared_ptr<IceActionCall>;

// A lookup by a caller-supplied id: an unknown (or malformed, hence unknown)
// id is ResourceNotFound naming it.
IceError LookupError(const grpc::Status& status, absl::string_view id) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return IceResourceNotFound(id);
  }
  return IceErrorFromRpc(status);
}

// The outcome of reading a job by id as a DNA job: other kinds of jobs are
// unknown here.
std::optional<IceError> DnaJobLookupError(const JobLookup& lookup) {
  const std::string& id = lookup.job_id;
  if (!lookup.status.ok()) return LookupError(lookup.status, id);
  if (lookup.job.kind() != v1::JOB_KIND_DNA_ANALYSIS) {
    return IceResourceNotFound(id);
  }
  return std::nullopt;
}

const std::string* Required(const IceActionCall& call, absl::string_view name,
                            std::optional<IceError>* error) {
  const std::string* value = call.params.Find(name);
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

void SubmitDnaJob(Call call) {
  std::optional<IceError> error;
  const std::string* db_id = Required(*call, "DBId", &error);
  if (error) return call->Finish(error);
  const std::string* input = Required(*call, "Input", &error);
  if (error) return call->Finish(error);
  const std::string* primary_key = Required(*call, "PrimaryKey", &error);
  if (error) return call->Finish(error);

  v1::SubmitJobRequest request;
  v1::Job* job = request.mutable_job();
  v1::DnaAnalysisSpec* dna = job->mutable_dna_analysis();
  dna->set_db_id(*db_id);
  dna->set_primary_key(*primary_key);
  if (auto input_error = ParseIceInput(*input, dna->mutable_input())) {
    return call->Finish(input_error);
  }
  if (const std::string* config = call->params.Find("Config")) {
    if (!config->empty() && !IsJsonObject(*config)) {
      return call->Finish(IceJsonFormatInvalid("Config"));
    }
    dna->set_config_json(*config);
  }
  if (const std::string* template_id = call->params.Find("TemplateId")) {
    dna->set_template_id(*template_id);
  }
  if (const std::string* pipeline_id = call->params.Find("PipelineId")) {
    job->set_pipeline_id(*pipeline_id);
  }
  if (const std::string* user_data = call->params.Find("UserData")) {
    job->set_user_data(*user_data);
  }
  std::string pipeline_id = job->pipeline_id();
  StartServiceCall(call->jobs->async(), &JobRpcs::SubmitJob, call->bearer_token,
                   std::move(request),
                   [call, pipeline_id = std::move(pipeline_id)](
                       const grpc::Status& status, v1::Job& submitted) {
                     if (!status.ok()) {
                       if (ErrorReasonOf(status) == "PIPELINE_NOT_FOUND") {
                         return call->Finish(IceResourceNotFound(pipeline_id));
                       }
                       return call->Finish(IceErrorFromRpc(status));
                     }
                     call->response.Add("JobId", submitted.id());
                     call->Finish(std::nullopt);
                   });
}

void QueryDnaJobList(Call call) {
  std::optional<IceError> error;
  const std::string* job_ids = Required(*call, "JobIds", &error);
  if (error) return call->Finish(error);
  std::vector<std::string> ids;
  for (absl::string_view id : absl::StrSplit(*job_ids, ',')) {
    id = absl::StripAsciiWhitespace(id);
    if (!id.empty()) ids.emplace_back(id);
  }
  if (ids.size() > kMaxQueryJobIds) {
    return call->Finish(IceInvalidParameter(
        "JobIds", absl::StrCat("At most ", kMaxQueryJobIds, " ids per call.")));
  }
  LookUpJobs(call->jobs, call->bearer_token, std::move(ids),
             [call](std::vector<JobLookup>& lookups) {
               std::vector<JsonObject> list;
               for (size_t i = 0; i < lookups.size(); ++i) {
                 if (auto lookup = DnaJobLookupError(lookups[i])) {
                   // Unknown ids (also other tenants' and non-DNA jobs) are
                   // left out; the first other error (in id order) is the
                   // answer.
                   if (lookup->code == "InvalidParameter.ResourceNotFound") {
                     continue;
                   }
                   return call->Finish(lookup);
                 }
                 list.push_back(IceDnaJobJson(lookups[i].job));
               }
               call->response.AddArray("JobList", list);
               call->Finish(std::nullopt);
             });
}

void CancelDnaJob(Call call) {
  std::optional<IceError> error;
  const std::string* job_id = Required(*call, "JobId", &error);
  if (error) return call->Finish(error);
  v1::CancelJobRequest request;
  request.set_job_id(*job_id);
  // Other kinds of jobs are unknown here: NOT_FOUND, and left as they are.
  request.set_kind(v1::JOB_KIND_DNA_ANALYSIS);
  StartServiceCall(
      call->jobs->async(), &JobRpcs::CancelJob, call->bearer_token,
      std::move(request),
      [call, id = *job_id](const grpc::Status& status, v1::Job& canceled) {
        if (status.ok()) {
          call->response.Add("JobId", canceled.id());
          return call->Finish(std::nullopt);
        }
        if (ErrorReasonOf(status) != "JOB_NOT_QUEUED") {
          return call->Finish(LookupError(status, id));
        }
        // The state that refused the cancel decides the vendor's code.
        LookUpJobs(call->jobs, call->bearer_token, {id},
                   [call, id](std::vector<JobLookup>& lookups) {
                     if (auto lookup = DnaJobLookupError(lookups[0])) {
                       return call->Finish(lookup);
                     }
                     call->Finish(IceCancelRefused(id, lookups[0].job.state()));
                   });
      });
}

void CreatePipeline(Call call) {
  std::optional<IceError> error;
  const std::string* name = Required(*call, "Name", &error);
  if (error) return call->Finish(error);
  const std::string* speed = Required(*call, "Speed", &error);
  if (error) return call->Finish(error);
  if (!IsIceSpeed(*speed)) {
    return call->Finish(IceInvalidParameter(
        "Speed", "It must be Standard, Boost or NarrowBandHDV2."));
  }
  v1::CreatePipelineRequest request;
  request.mutable_pipeline()->set_name(*name);
  if (const std::string* priority = call->params.Find("Priority")) {
    int value = 0;
    if (auto priority_error = ParsePriority(*priority, &value)) {
      return call->Finish(priority_error);
    }
    request.mutable_pipeline()->set_priority(value);
  }
  StartServiceCall(call->pipelines->async(), &PipelineRpcs::CreatePipeline,
                   call->bearer_token, std::move(request),
                   [call](const grpc::Status& status, v1::Pipeline& created) {
                     if (!status.ok())
                       return call->Finish(IceErrorFromRpc(status));
                     call->response.AddObject("Pipeline",
                                              IcePipelineJson(created));
                     call->Finish(std::nullopt);
                   });
}

void GetPipeline(Call call) {
  std::optional<IceError> error;
  const std::string* id = Required(*call, "PipelineId", &error);
  if (error) return call->Finish(error);
  v1::GetPipelineRequest request;
  request.set_pipeline_id(*id);
  StartServiceCall(
      call->pipelines->async(), &PipelineRpcs::GetPipeline, call->bearer_token,
      std::move(request),
      [call, id = *id](const grpc::Status& status, v1::Pipeline& pipeline) {
        if (!status.ok()) return call->Finish(LookupError(status, id));
        call->response.AddObject("Pipeline", IcePipelineJson(pipeline));
        call->Finish(std::nullopt);
      });
}

// Reads the page of `request`, then the pages after it, collecting every
// pipeline into `list`; then finishes `call`.
void ListPipelinesFrom(Call call, v1::ListPipelinesRequest request,
                       std::shared_ptr<std::vector<JsonObject>> list) {
  v1::ListPipelinesRequest next_request = request;
  StartServiceCall(
      call->pipelines->async(), &PipelineRpcs::ListPipelines,
      call->bearer_token, std::move(request),
      [call, next_request, list](const grpc::Status& status,
                                 v1::ListPipelinesResponse& page) mutable {
        if (!status.ok()) return call->Finish(IceErrorFromRpc(status));
        for (const v1::Pipeline& pipeline : page.pipelines()) {
          list->push_back(IcePipelineJson(pipeline));
        }
        if (!page.next_page_token().empty()) {
          next_request.set_page_token(page.next_page_token());
          return ListPipelinesFrom(call, std::move(next_request), list);
        }
        call->response.AddArray("PipelineList", *list);
        call->Finish(std::nullopt);
      });
}

void ListPipelines(Call call) {
  const std::string* speed = call->params.Find("Speed");
  if (speed != nullptr && !speed->empty() && !IsIceSpeed(*speed)) {
    return call->Finish(IceInvalidParameter(
        "Speed", "It must be Standard, Boost or NarrowBandHDV2."));
  }
  // Every pipeline is Standard (Speed is not stored).
  if (speed != nullptr && !speed->empty() && *speed != "Standard") {
    call->response.AddArray("PipelineList", {});
    return call->Finish(std::nullopt);
  }
  v1::ListPipelinesRequest request;
  request.set_page_size(1000);
  ListPipelinesFrom(std::move(call), std::move(request),
                    std::make_shared<std::vector<JsonObject>>());
}

void UpdatePipeline(Call call) {
  std::optional<IceError> error;
  const std::string* id = Required(*call, "PipelineId", &error);
  if (error) return call->Finish(error);
  v1::UpdatePipelineRequest request;
  v1::Pipeline* pipeline = request.mutable_pipeline();
  pipeline->set_id(*id);
  if (const std::string* name = call->params.Find("Name")) {
    pipeline->set_name(*name);
    request.mutable_update_mask()->add_paths("name");
  }
  if (const std::string* priority = call->params.Find("Priority")) {
    int value = 0;
    if (auto priority_error = ParsePriority(*priority, &value)) {
      return call->Finish(priority_error);
    }
    pipeline->set_priority(value);
    request.mutable_update_mask()->add_paths("priority");
  }
  if (const std::string* status = call->params.Find("Status")) {
    if (*status == "Active") {
      pipeline->set_state(v1::Pipeline::ACTIVE);
    } else if (*status == "Paused") {
      pipeline->set_state(v1::Pipeline::PAUSED);
    } else {
      return call->Finish(
          IceInvalidParameter("Status", "It must be Active or Paused."));
    }
    request.mutable_update_mask()->add_paths("state");
  }
  if (request.update_mask().paths().empty()) {
    // Nothing to change: still an error for an unknown pipeline.
    v1::GetPipelineRequest get;
    get.set_pipeline_id(*id);
    StartServiceCall(
        call->pipelines->async(), &PipelineRpcs::GetPipeline,
        call->bearer_token, std::move(get),
        [call, id = *id](const grpc::Status& status, v1::Pipeline&) {
          if (!status.ok()) {
            return call->Finish(LookupError(status, id));
          }
          call->response.AddBool("Success", true);
          call->Finish(std::nullopt);
        });
    return;
  }
  StartServiceCall(call->pipelines->async(), &PipelineRpcs::UpdatePipeline,
                   call->bearer_token, std::move(request),
                   [call, id = *id](const grpc::Status& status, v1::Pipeline&) {
                     if (!status.ok()) {
                       if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
                         return call->Finish(IceResourceNotFound(id));
                       }
                       return call->Finish(IceErrorFromRpc(status));
                     }
                     call->response.AddBool("Success", true);
                     call->Finish(std::nullopt);
                   });
}

void DeletePipeline(Call call) {
  std::optional<IceError> error;
  const std::string* id = Required(*call, "PipelineId", &error);
  if (error) return call->Finish(error);
  v1::DeletePipelineRequest request;
  request.set_pipeline_id(*id);
  StartServiceCall(
      call->pipelines->async(), &PipelineRpcs::DeletePipeline,
      call->bearer_token, std::move(request),
      [call, id = *id](const grpc::Status& status, google::protobuf::Empty&) {
        if (!status.ok()) return call->Finish(LookupError(status, id));
        call->response.AddBool("Success", true);
        call->Finish(std::nullopt);
      });
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
