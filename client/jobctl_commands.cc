#include "client/jobctl_commands.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/jobctl_output.h"
#include "client/jobctl_value_parsers.h"
#include "google/protobuf/empty.pb.h"

// Flags of the subcommands; the global flags are in jobctl_main.cc.
// submit (both kinds).
ABSL_FLAG(std::string, pipeline, "",
          "submit: pipeline ID (default: the tenant's default pipeline); "
          "list: only jobs of this pipeline");
ABSL_FLAG(int32_t, priority, 0,
          "submit, pipelines create/update: priority 1 (lowest) to 10 "
          "(highest); 0 means the default, 6");
ABSL_FLAG(std::string, user_data, "", "submit: data echoed back with the job");
ABSL_FLAG(std::string, request_id, "",
          "submit: idempotency key (default: a random one per invocation)");
// submit dna.
ABSL_FLAG(std::string, db_id, "", "submit dna: fingerprint database ID");
ABSL_FLAG(std::string, primary_key, "",
          "submit dna: the media's key in the database");
ABSL_FLAG(std::string, input_uri, "", "submit dna: input media URI");
ABSL_FLAG(std::string, input_media_id, "", "submit dna: input media ID");
ABSL_FLAG(std::string, config_json, "",
          "submit dna: analysis configuration, a JSON object");
ABSL_FLAG(std::string, template_id, "", "submit dna: analysis template ID");
// submit editing.
ABSL_FLAG(std::string, input, "",
          "submit editing, repeatable: URI[@START-END], e.g. "
          "obs://b/a.mp4@10s-20s; START/END like 10s, 1m30s or 10.5");
ABSL_FLAG(std::string, output_uri, "", "submit editing: output location");
ABSL_FLAG(std::string, output_file_name, "",
          "submit editing: output file name");
ABSL_FLAG(std::string, output_region, "", "submit editing: output region");
ABSL_FLAG(std::string, setting, "",
          "submit editing, repeatable: KEY=VALUE editing setting");
// list.
ABSL_FLAG(std::string, state, "",
          "list: comma-separated states, e.g. QUEUED,CANCELED");
ABSL_FLAG(std::string, kind, "", "list: dna or editing");
ABSL_FLAG(std::string, created_from, "",
          "list: jobs created at or after this RFC 3339 time");
ABSL_FLAG(std::string, created_to, "",
          "list: jobs created before this RFC 3339 time");
ABSL_FLAG(int32_t, page_size, 0,
          "list, pipelines list: results per page (0: the server's default)");
ABSL_FLAG(std::string, page_token, "",
          "list, pipelines list: the page to fetch, from a previous list");
ABSL_FLAG(bool, all, false,
          "list, pipelines list: follow next_page_token to the last page");
// pipelines.
ABSL_FLAG(std::string, name, "", "pipelines create/update: display name");
ABSL_FLAG(bool, paused, false, "pipelines create: create it PAUSED");

namespace jobcontrol {
namespace {

int ServerError(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", ServerErrorLine(status).c_str());
  return kExitServerError;
}

// Prints `message` as one line of JSON, or as `render(message)`.
template <typename Message, typename Render>
int PrintResponse(bool json, const Message& message, Render render) {
  std::string text;
  if (json) {
    absl::StatusOr<std::string> line = JsonLine(message);
    if (!line.ok()) return ServerError(line.status());
    text = *std::move(line);
  } else {
    text = render(message);
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

// Calls `call` up to three times while it fails with UNAVAILABLE (server
// restarting, connection dropped). Only for calls that are safe to repeat:
// reads, cancel, setting fields, and submit with its request_id.
template <typename Call>
auto CallWithRetry(Call call) -> decltype(call()) {
  constexpr int kAttempts = 3;
  absl::Duration backoff = absl::Milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result.ok() ||
        result.status().code() != absl::StatusCode::kUnavailable ||
        attempt == kAttempts) {
      return result;
    }
    absl::SleepFor(backoff);
    backoff *= 2;
  }
}

// Fetches the page `request` names and, if `all_pages`, every page after it,
// merged into one response whose next_page_token is the last page's.
template <typename Request, typename ListPage>
auto ListPages(Request request, bool all_pages, ListPage list_page)
    -> decltype(list_page(request)) {
  auto merged = CallWithRetry([&] { return list_page(request); });
  if (!merged.ok() || !all_pages) return merged;
  while (!merged->next_page_token().empty()) {
    if (merged->next_page_token() == request.page_token()) {
      return absl::InternalError(
          "the server returned the same page token twice; stopping");
    }
    request.set_page_token(merged->next_page_token());
    auto page = CallWithRetry([&] { return list_page(request); });
    if (!page.ok()) return page;
    // MergeFrom appends the page's results but would keep the old token when
    // the page's is empty.
    const std::string next_page_token = page->next_page_token();
    merged->MergeFrom(*page);
    merged->set_next_page_token(next_page_token);
  }
  return merged;
}

// With more pages to come, says how to get the next one, on stderr so that
// stdout stays a clean table.
void NoteNextPage(const std::string& next_page_token) {
  if (next_page_token.empty()) return;
  std::fprintf(stderr, "jobctl: more results: --page_token=%s (or --all)\n",
               next_page_token.c_str());
}

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// --- Jobs
// ---------------------------------------------------------------------

// Adds the submit flags to `job` (its spec set) and returns the action that
// submits it and prints the new job's ID.
Action SubmitAction(const Invocation& invocation, v1::Job job) {
  job.set_pipeline_id(absl::GetFlag(FLAGS_pipeline));
  job.set_priority(absl::GetFlag(FLAGS_priority));
  job.set_user_data(absl::GetFlag(FLAGS_user_data));
  v1::SubmitJobRequest request;
  *request.mutable_job() = std::move(job);
  // Chosen once, so every retry below carries it: the server creates one job.
  const std::string request_id = absl::GetFlag(FLAGS_request_id);
  request.set_request_id(request_id.empty() ? RandomRequestId() : request_id);
  return [request, json = invocation.json](JobControlClient& client) {
    absl::StatusOr<v1::Job> submitted =
        CallWithRetry([&] { return client.SubmitJob(request); });
    if (!submitted.ok()) return ServerError(submitted.status());
    return PrintResponse(json, *submitted, [](const v1::Job& job) {
      return absl::StrCat(job.id(), "\n");
    });
  };
}

absl::StatusOr<Action> PrepareSubmitDna(const Invocation& invocation) {
  for (const char* required : {"db_id", "primary_key"}) {
    if (!invocation.flags.Contains(required)) {
      return Usage(absl::StrCat("submit dna needs --", required));
    }
  }
  const bool has_uri = invocation.flags.Contains("input_uri");
  if (has_uri == invocation.flags.Contains("input_media_id")) {
    return Usage(
        "submit dna needs exactly one of --input_uri and --input_media_id");
  }
  v1::Job job;
  v1::DnaAnalysisSpec& dna = *job.mutable_dna_analysis();
  dna.set_db_id(absl::GetFlag(FLAGS_db_id));
  dna.set_primary_key(absl::GetFlag(FLAGS_primary_key));
  if (has_uri) {
    dna.mutable_input()->set_uri(absl::GetFlag(FLAGS_input_uri));
  } else {
    dna.mutable_input()->set_media_id(absl::GetFlag(FLAGS_input_media_id));
  }
  dna.set_config_json(absl::GetFlag(FLAGS_config_json));
  dna.set_template_id(absl::GetFlag(FLAGS_template_id));
  return SubmitAction(invocation, std::move(job));
}

absl::StatusOr<Action> PrepareSubmitEditing(const Invocation& invocation) {
  const std::vector<std::string> inputs = invocation.flags.ValuesOf("input");
  if (inputs.empty()) return Usage("submit editing needs at least one --input");
  if (!invocation.flags.Contains("output_uri")) {
    return Usage("submit editing needs --output_uri");
  }
  v1::Job job;
  v1::EditingSpec& editing = *job.mutable_editing();
  for (const std::string& text : inputs) {
    absl::StatusOr<v1::EditingInput> input = ParseEditingInput(text);
    if (!input.ok()) return input.status();
    *editing.add_inputs() = *std::move(input);
  }
  v1::OutputLocation& output = *editing.mutable_output();
  output.set_uri(absl::GetFlag(FLAGS_output_uri));
  output.set_file_name(absl::GetFlag(FLAGS_output_file_name));
  output.set_region(absl::GetFlag(FLAGS_output_region));
  for (const std::string& text : invocation.flags.ValuesOf("setting")) {
    absl::StatusOr<std::pair<std::string, std::string>> setting =
        ParseSetting(text);
    if (!setting.ok()) return setting.status();
    (*editing.mutable_settings())[setting->first] = setting->second;
  }
  return SubmitAction(invocation, std::move(job));
}

absl::StatusOr<Action> PrepareGetJob(const Invocation& invocation) {
  return [job_id = invocation.arguments[0],
          json = invocation.json](JobControlClient& client) {
    absl::StatusOr<v1::Job> job =
        CallWithRetry([&] { return client.GetJob(job_id); });
    if (!job.ok()) return ServerError(job.status());
    return PrintResponse(json, *job, JobDetails);
  };
}

absl::StatusOr<Action> PrepareListJobs(const Invocation& invocation) {
  v1::ListJobsRequest request;
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  v1::JobFilter& filter = *request.mutable_filter();
  if (invocation.flags.Contains("state")) {
    absl::StatusOr<std::vector<v1::Job::State>> states =
        ParseJobStates(absl::GetFlag(FLAGS_state));
    if (!states.ok()) return states.status();
    for (v1::Job::State state : *states) filter.add_states(state);
  }
  filter.set_pipeline_id(absl::GetFlag(FLAGS_pipeline));
  if (invocation.flags.Contains("kind")) {
    absl::StatusOr<v1::JobKind> kind = ParseJobKind(absl::GetFlag(FLAGS_kind));
    if (!kind.ok()) return kind.status();
    filter.set_kind(*kind);
  }
  if (invocation.flags.Contains("created_from")) {
    auto from =
        ParseTimestamp("created_from", absl::GetFlag(FLAGS_created_from));
    if (!from.ok()) return from.status();
    *filter.mutable_create_time_from() = *from;
  }
  if (invocation.flags.Contains("created_to")) {
    auto to = ParseTimestamp("created_to", absl::GetFlag(FLAGS_created_to));
    if (!to.ok()) return to.status();
    *filter.mutable_create_time_to() = *to;
  }
  return [request, all = absl::GetFlag(FLAGS_all),
          json = invocation.json](JobControlClient& client) {
    absl::StatusOr<v1::ListJobsResponse> response = ListPages(
        request, all,
        [&](const v1::ListJobsRequest& page) { return client.ListJobs(page); });
    if (!response.ok()) return ServerError(response.status());
    const int exit_code = PrintResponse(
        json, *response,
        [](const v1::ListJobsResponse& r) { return JobsTable(r.jobs()); });
    if (!json) NoteNextPage(response->next_page_token());
    return exit_code;
  };
}

absl::StatusOr<Action> PrepareCancelJob(const Invocation& invocation) {
  return [job_id = invocation.arguments[0],
          json = invocation.json](JobControlClient& client) {
    // Retrying is safe: cancelling a CANCELED job is OK and changes nothing.
    absl::StatusOr<v1::Job> job =
        CallWithRetry([&] { return client.CancelJob(job_id); });
    if (!job.ok()) return ServerError(job.status());
    return PrintResponse(json, *job, JobDetails);
  };
}

// --- Pipelines
// ----------------------------------------------------------------

absl::StatusOr<Action> PrepareCreatePipeline(const Invocation& invocation) {
  if (!invocation.flags.Contains("name")) {
    return Usage("pipelines create needs --name");
  }
  v1::Pipeline pipeline;
  pipeline.set_name(absl::GetFlag(FLAGS_name));
  pipeline.set_priority(absl::GetFlag(FLAGS_priority));
  if (absl::GetFlag(FLAGS_paused)) pipeline.set_state(v1::Pipeline::PAUSED);
  return [pipeline, json = invocation.json](JobControlClient& client) {
    // Not retried: a repeated create would make a second pipeline.
    absl::StatusOr<v1::Pipeline> created = client.CreatePipeline(pipeline);
    if (!created.ok()) return ServerError(created.status());
    return PrintResponse(json, *created, PipelineDetails);
  };
}

absl::StatusOr<Action> PrepareGetPipeline(const Invocation& invocation) {
  return [pipeline_id = invocation.arguments[0],
          json = invocation.json](JobControlClient& client) {
    absl::StatusOr<v1::Pipeline> pipeline =
        CallWithRetry([&] { return client.GetPipeline(pipeline_id); });
    if (!pipeline.ok()) return ServerError(pipeline.status());
    return PrintResponse(json, *pipeline, PipelineDetails);
  };
}

absl::StatusOr<Action> PrepareListPipelines(const Invocation& invocation) {
  v1::ListPipelinesRequest request;
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  return [request, all = absl::GetFlag(FLAGS_all),
          json = invocation.json](JobControlClient& client) {
    absl::StatusOr<v1::ListPipelinesResponse> response =
        ListPages(request, all, [&](const v1::ListPipelinesRequest& page) {
          return client.ListPipelines(page);
        });
    if (!response.ok()) return ServerError(response.status());
    const int exit_code =
        PrintResponse(json, *response, [](const v1::ListPipelinesResponse& r) {
          return PipelinesTable(r.pipelines());
        });
    if (!json) NoteNextPage(response->next_page_token());
    return exit_code;
  };
}

// The action that sets the fields of `pipeline` named by `mask` on the
// pipeline the argument names and prints the result.
Action UpdatePipelineAction(const Invocation& invocation, v1::Pipeline pipeline,
                            const std::vector<std::string>& mask) {
  v1::UpdatePipelineRequest request;
  pipeline.set_id(invocation.arguments[0]);
  *request.mutable_pipeline() = std::move(pipeline);
  for (const std::string& path : mask) {
    request.mutable_update_mask()->add_paths(path);
  }
  return [request, json = invocation.json](JobControlClient& client) {
    // Retrying is safe: setting fields to given values is idempotent.
    absl::StatusOr<v1::Pipeline> updated =
        CallWithRetry([&] { return client.UpdatePipeline(request); });
    if (!updated.ok()) return ServerError(updated.status());
    return PrintResponse(json, *updated, PipelineDetails);
  };
}

absl::StatusOr<Action> PreparePausePipeline(const Invocation& invocation) {
  v1::Pipeline pipeline;
  pipeline.set_state(v1::Pipeline::PAUSED);
  return UpdatePipelineAction(invocation, std::move(pipeline), {"state"});
}

absl::StatusOr<Action> PrepareResumePipeline(const Invocation& invocation) {
  v1::Pipeline pipeline;
  pipeline.set_state(v1::Pipeline::ACTIVE);
  return UpdatePipelineAction(invocation, std::move(pipeline), {"state"});
}

absl::StatusOr<Action> PrepareUpdatePipeline(const Invocation& invocation) {
  v1::Pipeline pipeline;
  std::vector<std::string> mask;
  if (invocation.flags.Contains("name")) {
    pipeline.set_name(absl::GetFlag(FLAGS_name));
    mask.push_back("name");
  }
  if (invocation.flags.Contains("priority")) {
    pipeline.set_priority(absl::GetFlag(FLAGS_priority));
    mask.push_back("priority");
  }
  if (mask.empty()) {
    return Usage("pipelines update needs --name and/or --priority");
  }
  return UpdatePipelineAction(invocation, std::move(pipeline), mask);
}

absl::StatusOr<Action> PrepareDeletePipeline(const Invocation& invocation) {
  return [pipeline_id = invocation.arguments[0],
          json = invocation.json](JobControlClient& client) {
    // Not retried: a retry after a lost reply would report NOT_FOUND.
    const absl::Status deleted = client.DeletePipeline(pipeline_id);
    if (!deleted.ok()) return ServerError(deleted);
    return PrintResponse(
        json, google::protobuf::Empty(), [&](const google::protobuf::Empty&) {
          return absl::StrCat("deleted pipeline ", pipeline_id, "\n");
        });
  };
}

}  // namespace

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {{"submit", "dna"},
       0,
       {"db_id", "primary_key", "input_uri", "input_media_id", "config_json",
        "template_id", "pipeline", "priority", "user_data", "request_id"},
       "jobctl submit dna --db_id=D --primary_key=K (--input_uri=U | "
       "--input_media_id=M) [--config_json=J] [--template_id=T] "
       "[--pipeline=ID] [--priority=N] [--user_data=S] [--request_id=R]",
       PrepareSubmitDna},
      {{"submit", "editing"},
       0,
       {"input", "output_uri", "output_file_name", "output_region", "setting",
        "pipeline", "priority", "user_data", "request_id"},
       "jobctl submit editing --input=URI[@START-END]... --output_uri=U "
       "[--output_file_name=F] [--output_region=R] [--setting=KEY=VALUE]... "
       "[--pipeline=ID] [--priority=N] [--user_data=S] [--request_id=R]",
       PrepareSubmitEditing},
      {{"get"}, 1, {}, "jobctl get <job_id>", PrepareGetJob},
      {{"list"},
       0,
       {"state", "pipeline", "kind", "created_from", "created_to", "page_size",
        "page_token", "all"},
       "jobctl list [--state=QUEUED,CANCELED] [--pipeline=ID] "
       "[--kind=dna|editing] [--created_from=TIME] [--created_to=TIME] "
       "[--page_size=N] [--page_token=T] [--all]",
       PrepareListJobs},
      {{"cancel"}, 1, {}, "jobctl cancel <job_id>", PrepareCancelJob},
      {{"pipelines", "create"},
       0,
       {"name", "priority", "paused"},
       "jobctl pipelines create --name=N [--priority=P] [--paused]",
       PrepareCreatePipeline},
      {{"pipelines", "get"},
       1,
       {},
       "jobctl pipelines get <pipeline_id>",
       PrepareGetPipeline},
      {{"pipelines", "list"},
       0,
       {"page_size", "page_token", "all"},
       "jobctl pipelines list [--page_size=N] [--page_token=T] [--all]",
       PrepareListPipelines},
      {{"pipelines", "pause"},
       1,
       {},
       "jobctl pipelines pause <pipeline_id>",
       PreparePausePipeline},
      {{"pipelines", "resume"},
       1,
       {},
       "jobctl pipelines resume <pipeline_id>",
       PrepareResumePipeline},
      {{"pipelines", "update"},
       1,
       {"name", "priority"},
       "jobctl pipelines update <pipeline_id> [--name=N] [--priority=P]",
       PrepareUpdatePipeline},
      {{"pipelines", "delete"},
       1,
       {},
       "jobctl pipelines delete <pipeline_id>",
       PrepareDeletePipeline},
  };
  return *commands;
}

const Command* FindCommand(const std::vector<std::string>& positional) {
  for (const Command& command : Commands()) {
    if (positional.size() >= command.words.size() &&
        std::equal(command.words.begin(), command.words.end(),
                   positional.begin())) {
      return &command;
    }
  }
  return nullptr;
}

}  // namespace jobcontrol
