#include "client/jobctl_commands.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/command_template.h"
#include "client/jobctl_output.h"
#include "client/jobctl_value_parsers.h"
#include "client/jobctl_worker.h"
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
ABSL_FLAG(int32_t, max_running_jobs, 0,
          "pipelines create/update: most jobs running at once (0: no limit)");
ABSL_FLAG(int32_t, max_attempts, 0,
          "submit: most starts of the job, 1 to 100 (0: the pipeline's); "
          "pipelines create/update: retry_policy.max_attempts (0: 3)");
ABSL_FLAG(absl::Duration, initial_backoff, absl::ZeroDuration(),
          "pipelines create/update: retry_policy.initial_backoff (0: 1s)");
ABSL_FLAG(absl::Duration, max_backoff, absl::ZeroDuration(),
          "pipelines create/update: retry_policy.max_backoff (0: 5m)");
ABSL_FLAG(absl::Duration, lease_duration, absl::ZeroDuration(),
          "pipelines create/update: retry_policy.lease_duration (0: 30s); "
          "worker: the lease to ask for (0: the pipeline's)");
// cancel.
ABSL_FLAG(bool, allow_running, false,
          "cancel: also cancel a RUNNING job (it becomes CANCELING until its "
          "worker stops); also spelled --allow-running");
// worker.
ABSL_FLAG(std::string, exec, "",
          "worker: the command template run by /bin/sh for each job; see "
          "docs/worker.md for the {placeholders}");
ABSL_FLAG(std::string, kinds, "",
          "worker: comma-separated kinds to run, dna and/or editing "
          "(default: any)");
ABSL_FLAG(std::string, pipelines, "",
          "worker: comma-separated pipeline IDs to serve (default: every "
          "pipeline)");
ABSL_FLAG(std::string, worker_id, "",
          "worker: the ID shown in Job.worker_id (default: <host>-<pid>)");
ABSL_FLAG(absl::Duration, wait, absl::Seconds(30),
          "worker: how long one LeaseJob call waits for a job, up to 60s");
ABSL_FLAG(bool, once, false,
          "worker: exit after one job: 0 if it SUCCEEDED, else 3");
ABSL_FLAG(bool, no_retry, false,
          "worker: report a failed command as not retryable (the job FAILs "
          "at once)");

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
  job.set_max_attempts(absl::GetFlag(FLAGS_max_attempts));
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
          allow_running = absl::GetFlag(FLAGS_allow_running),
          json = invocation.json](JobControlClient& client) {
    // Retrying is safe: cancelling a CANCELED job is OK and changes nothing,
    // and a repeated running cancel finds the job CANCELING (or ended).
    absl::StatusOr<v1::Job> job =
        CallWithRetry([&] { return client.CancelJob(job_id, allow_running); });
    if (!job.ok()) return ServerError(job.status());
    return PrintResponse(json, *job, JobDetails);
  };
}

// The exit code for a job that reached a terminal state.
int ExitCodeOfEnding(const v1::Job& job) {
  return job.state() == v1::Job::SUCCEEDED ? kExitOk : kExitJobUnsuccessful;
}

absl::StatusOr<Action> PrepareWatchJob(const Invocation& invocation) {
  return [job_id = invocation.arguments[0],
          json = invocation.json](JobControlClient& client) {
    v1::Job last;  // the last version printed; version 0 before the first
    std::string print_error;
    const auto print = [&](const v1::Job& job) {
      // Each version once, also across a resumed stream.
      if (job.version() != 0 && job.version() <= last.version()) return true;
      std::string text;
      if (json) {
        absl::StatusOr<std::string> line = JsonLine(job);
        if (!line.ok()) {
          print_error = std::string(line.status().message());
          return false;
        }
        text = *std::move(line);
      } else {
        text = WatchLine(job);
      }
      std::fputs(text.c_str(), stdout);
      std::fflush(stdout);
      last = job;
      return true;
    };
    // A stream that breaks (the server restarting or draining says
    // UNAVAILABLE) is resumed after the last version printed.
    constexpr int kResumeAttempts = 5;
    absl::Duration backoff = absl::Milliseconds(200);
    for (int failures = 0;;) {
      const int64_t resumed_from = last.version();
      const absl::Status status =
          client.WatchJob(job_id, last.version(), print);
      if (!print_error.empty()) {
        return ServerError(absl::InternalError(print_error));
      }
      if (last.version() > 0 && JobIsTerminal(last)) {
        return ExitCodeOfEnding(last);
      }
      if (!status.ok() && status.code() != absl::StatusCode::kUnavailable) {
        return ServerError(status);
      }
      if (last.version() > resumed_from) failures = 0;  // it made progress
      if (++failures == kResumeAttempts) {
        return ServerError(
            status.ok()
                ? absl::UnavailableError("the watch ended before the job did")
                : status);
      }
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(5));
    }
  };
}

absl::StatusOr<Action> PrepareWaitJob(const Invocation& invocation) {
  const absl::Duration timeout = invocation.timeout;
  if (timeout < absl::ZeroDuration()) {
    return Usage("wait: --timeout must not be negative");
  }
  return [job_id = invocation.arguments[0], timeout,
          json = invocation.json](JobControlClient& client) {
    // The server waits at most 10 minutes per call; longer waits take
    // several calls.
    constexpr absl::Duration kLongestServerWait = absl::Minutes(10);
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      const absl::Duration left =
          std::max(deadline - absl::Now(), absl::ZeroDuration());
      absl::StatusOr<v1::Job> job = CallWithRetry([&] {
        return client.WaitJob(job_id, std::min(left, kLongestServerWait));
      });
      if (!job.ok()) return ServerError(job.status());
      if (JobIsTerminal(*job)) {
        const int printed = PrintResponse(json, *job, JobDetails);
        return printed == kExitOk ? ExitCodeOfEnding(*job) : printed;
      }
      if (absl::Now() >= deadline) {
        const int printed = PrintResponse(json, *job, JobDetails);
        std::fprintf(stderr, "jobctl: job %s is still %s after %s\n",
                     job_id.c_str(), v1::Job::State_Name(job->state()).c_str(),
                     absl::FormatDuration(timeout).c_str());
        return printed == kExitOk ? kExitWaitTimedOut : printed;
      }
    }
  };
}

// --- Worker
// ----------------------------------------------------------------------

absl::StatusOr<Action> PrepareWorker(const Invocation& invocation) {
  if (!invocation.flags.Contains("exec")) {
    return Usage("worker needs --exec='<command template>'");
  }
  absl::StatusOr<CommandTemplate> command =
      CommandTemplate::Parse(absl::GetFlag(FLAGS_exec));
  if (!command.ok()) {
    return Usage(absl::StrCat("--exec: ", command.status().message()));
  }
  WorkerOptions options;
  options.command = *std::move(command);
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_kinds), ',',
                                               absl::SkipWhitespace())) {
    absl::StatusOr<v1::JobKind> kind =
        ParseJobKind(absl::StripAsciiWhitespace(name));
    if (!kind.ok()) {
      return Usage(absl::StrCat("--kinds: unknown kind \"",
                                absl::StripAsciiWhitespace(name),
                                "\"; want dna and/or editing"));
    }
    options.kinds.push_back(*kind);
  }
  for (absl::string_view id : absl::StrSplit(absl::GetFlag(FLAGS_pipelines),
                                             ',', absl::SkipWhitespace())) {
    options.pipeline_ids.emplace_back(absl::StripAsciiWhitespace(id));
  }
  options.worker_id = invocation.flags.Contains("worker_id")
                          ? absl::GetFlag(FLAGS_worker_id)
                          : DefaultWorkerId();
  options.lease_duration = absl::GetFlag(FLAGS_lease_duration);
  options.wait = absl::GetFlag(FLAGS_wait);
  if (options.wait < absl::ZeroDuration() || options.wait > absl::Seconds(60)) {
    return Usage("worker: --wait must be 0s to 60s");
  }
  if (options.lease_duration < absl::ZeroDuration()) {
    return Usage("worker: --lease_duration must not be negative");
  }
  options.once = absl::GetFlag(FLAGS_once);
  options.retry_failures = !absl::GetFlag(FLAGS_no_retry);
  return [options](JobControlClient& client) {
    ReferenceWorker worker(options, client);
    return RunWorkerUntilSignaled(worker);
  };
}

// --- Pipelines
// ----------------------------------------------------------------

// Sets the fields of `policy` whose flags were given; whether any was.
bool ApplyRetryPolicyFlags(const Invocation& invocation,
                           v1::RetryPolicy& policy) {
  bool any = false;
  if (invocation.flags.Contains("max_attempts")) {
    policy.set_max_attempts(absl::GetFlag(FLAGS_max_attempts));
    any = true;
  }
  if (invocation.flags.Contains("initial_backoff")) {
    *policy.mutable_initial_backoff() =
        ToProtoDuration(absl::GetFlag(FLAGS_initial_backoff));
    any = true;
  }
  if (invocation.flags.Contains("max_backoff")) {
    *policy.mutable_max_backoff() =
        ToProtoDuration(absl::GetFlag(FLAGS_max_backoff));
    any = true;
  }
  if (invocation.flags.Contains("lease_duration")) {
    *policy.mutable_lease_duration() =
        ToProtoDuration(absl::GetFlag(FLAGS_lease_duration));
    any = true;
  }
  return any;
}

absl::StatusOr<Action> PrepareCreatePipeline(const Invocation& invocation) {
  if (!invocation.flags.Contains("name")) {
    return Usage("pipelines create needs --name");
  }
  v1::Pipeline pipeline;
  pipeline.set_name(absl::GetFlag(FLAGS_name));
  pipeline.set_priority(absl::GetFlag(FLAGS_priority));
  if (absl::GetFlag(FLAGS_paused)) pipeline.set_state(v1::Pipeline::PAUSED);
  pipeline.set_max_running_jobs(absl::GetFlag(FLAGS_max_running_jobs));
  v1::RetryPolicy policy;
  if (ApplyRetryPolicyFlags(invocation, policy)) {
    *pipeline.mutable_retry_policy() = policy;
  }
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
  if (invocation.flags.Contains("max_running_jobs")) {
    pipeline.set_max_running_jobs(absl::GetFlag(FLAGS_max_running_jobs));
    mask.push_back("max_running_jobs");
  }
  v1::RetryPolicy given;
  const bool policy_given = ApplyRetryPolicyFlags(invocation, given);
  if (mask.empty() && !policy_given) {
    return Usage(
        "pipelines update needs at least one of --name, --priority, "
        "--max_running_jobs, --max_attempts, --initial_backoff, "
        "--max_backoff, --lease_duration");
  }
  if (!policy_given) {
    return UpdatePipelineAction(invocation, std::move(pipeline), mask);
  }
  // The mask path retry_policy replaces the whole policy: read the current
  // one, change the fields given, and write it back only if the pipeline did
  // not change in between (etag); on a race, read again.
  mask.push_back("retry_policy");
  v1::UpdatePipelineRequest request;
  pipeline.set_id(invocation.arguments[0]);
  *request.mutable_pipeline() = std::move(pipeline);
  for (const std::string& path : mask) {
    request.mutable_update_mask()->add_paths(path);
  }
  const bool max_attempts_given = invocation.flags.Contains("max_attempts");
  return [request, given, max_attempts_given,
          json = invocation.json](JobControlClient& client) {
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<v1::Pipeline> current = CallWithRetry(
          [&] { return client.GetPipeline(request.pipeline().id()); });
      if (!current.ok()) return ServerError(current.status());
      v1::UpdatePipelineRequest merged = request;
      v1::RetryPolicy& policy =
          *merged.mutable_pipeline()->mutable_retry_policy();
      policy = current->retry_policy();
      // Copied field by field: MergeFrom would skip values given as 0.
      if (max_attempts_given) policy.set_max_attempts(given.max_attempts());
      if (given.has_initial_backoff()) {
        *policy.mutable_initial_backoff() = given.initial_backoff();
      }
      if (given.has_max_backoff()) {
        *policy.mutable_max_backoff() = given.max_backoff();
      }
      if (given.has_lease_duration()) {
        *policy.mutable_lease_duration() = given.lease_duration();
      }
      merged.mutable_pipeline()->set_etag(current->etag());
      absl::StatusOr<v1::Pipeline> updated =
          CallWithRetry([&] { return client.UpdatePipeline(merged); });
      if (!updated.ok() &&
          updated.status().code() == absl::StatusCode::kAborted &&
          attempt < kAttempts) {
        continue;  // changed since we read it
      }
      if (!updated.ok()) return ServerError(updated.status());
      return PrintResponse(json, *updated, PipelineDetails);
    }
  };
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
        "template_id", "pipeline", "priority", "user_data", "request_id",
        "max_attempts"},
       "jobctl submit dna --db_id=D --primary_key=K (--input_uri=U | "
       "--input_media_id=M) [--config_json=J] [--template_id=T] "
       "[--pipeline=ID] [--priority=N] [--user_data=S] [--request_id=R] "
       "[--max_attempts=N]",
       PrepareSubmitDna},
      {{"submit", "editing"},
       0,
       {"input", "output_uri", "output_file_name", "output_region", "setting",
        "pipeline", "priority", "user_data", "request_id", "max_attempts"},
       "jobctl submit editing --input=URI[@START-END]... --output_uri=U "
       "[--output_file_name=F] [--output_region=R] [--setting=KEY=VALUE]... "
       "[--pipeline=ID] [--priority=N] [--user_data=S] [--request_id=R] "
       "[--max_attempts=N]",
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
      {{"cancel"},
       1,
       {"allow_running"},
       "jobctl cancel <job_id> [--allow_running]",
       PrepareCancelJob},
      {{"watch"}, 1, {}, "jobctl watch <job_id>", PrepareWatchJob},
      {{"wait"}, 1, {}, "jobctl wait <job_id> [--timeout=30s]", PrepareWaitJob},
      {{"worker"},
       0,
       {"exec", "kinds", "pipelines", "worker_id", "lease_duration", "wait",
        "once", "no_retry"},
       "jobctl worker --exec='<command template>' [--kinds=dna,editing] "
       "[--pipelines=ID,...] [--worker_id=W] [--lease_duration=D] "
       "[--wait=30s] [--once] [--no_retry]",
       PrepareWorker},
      {{"pipelines", "create"},
       0,
       {"name", "priority", "paused", "max_running_jobs", "max_attempts",
        "initial_backoff", "max_backoff", "lease_duration"},
       "jobctl pipelines create --name=N [--priority=P] [--paused] "
       "[--max_running_jobs=N] [--max_attempts=N] [--initial_backoff=D] "
       "[--max_backoff=D] [--lease_duration=D]",
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
       {"name", "priority", "max_running_jobs", "max_attempts",
        "initial_backoff", "max_backoff", "lease_duration"},
       "jobctl pipelines update <pipeline_id> [--name=N] [--priority=P] "
       "[--max_running_jobs=N] [--max_attempts=N] [--initial_backoff=D] "
       "[--max_backoff=D] [--lease_duration=D]",
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
