#include "server/core/job_state_machine.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

// What an allowed or explicitly refused (state, event) pair does.
enum class Outcome {
  kMoveTo,              // always to `to`
  kMoveIfAttemptsLeft,  // to `to` if attempts are left, else `to_exhausted`
  kNoChange,            // allowed, writes nothing
  kRefuse,              // FAILED_PRECONDITION with the event's refusal
};

struct TransitionRule {
  JobState from;
  JobEvent event;
  Outcome outcome;
  JobState to;            // kMoveTo, kMoveIfAttemptsLeft
  JobState to_exhausted;  // kMoveIfAttemptsLeft only
};

constexpr TransitionRule MoveTo(JobState from, JobEvent event, JobState to) {
  return {from, event, Outcome::kMoveTo, to, to};
}
constexpr TransitionRule MoveIfAttemptsLeft(JobState from, JobEvent event,
                                            JobState to,
                                            JobState to_exhausted) {
  return {from, event, Outcome::kMoveIfAttemptsLeft, to, to_exhausted};
}
constexpr TransitionRule NoChange(JobState from, JobEvent event) {
  return {from, event, Outcome::kNoChange, from, from};
}
constexpr TransitionRule Refuse(JobState from, JobEvent event) {
  return {from, event, Outcome::kRefuse, from, from};
}

using S = JobState;
using E = JobEvent;

// The state machine (docs/state-machine.md). A pair not listed here is
// refused as if it were listed with Refuse(); the refusals that users meet
// through the API (cancel of a running or finished job) are spelled out so
// the table reads as the vendors' rules do.
constexpr TransitionRule kTransitionTable[] = {
    // QUEUED
    MoveTo(S::kQueued, E::kLease, S::kRunning),
    MoveTo(S::kQueued, E::kCancel, S::kCanceled),
    MoveTo(S::kQueued, E::kCancelAllowRunning, S::kCanceled),
    // RUNNING
    MoveTo(S::kRunning, E::kComplete, S::kSucceeded),
    MoveIfAttemptsLeft(S::kRunning, E::kFailRetryable, S::kQueued, S::kFailed),
    MoveTo(S::kRunning, E::kFailFinal, S::kFailed),
    MoveIfAttemptsLeft(S::kRunning, E::kLeaseExpired, S::kQueued, S::kFailed),
    Refuse(S::kRunning, E::kCancel),
    MoveTo(S::kRunning, E::kCancelAllowRunning, S::kCanceling),
    // CANCELING: the worker is being asked to stop. Whatever stops it, other
    // than a success that raced the cancel, ends the job CANCELED:
    // cancellation wins over a failure report.
    MoveTo(S::kCanceling, E::kCancelAcknowledged, S::kCanceled),
    MoveTo(S::kCanceling, E::kLeaseExpired, S::kCanceled),
    MoveTo(S::kCanceling, E::kComplete, S::kSucceeded),
    MoveTo(S::kCanceling, E::kFailRetryable, S::kCanceled),
    MoveTo(S::kCanceling, E::kFailFinal, S::kCanceled),
    Refuse(S::kCanceling, E::kCancel),
    NoChange(S::kCanceling, E::kCancelAllowRunning),
    // Terminal states
    NoChange(S::kCanceled, E::kCancel),
    NoChange(S::kCanceled, E::kCancelAllowRunning),
    Refuse(S::kSucceeded, E::kCancel),
    Refuse(S::kSucceeded, E::kCancelAllowRunning),
    Refuse(S::kFailed, E::kCancel),
    Refuse(S::kFailed, E::kCancelAllowRunning),
};

// How a refused event is reported: its reason, and what the message says
// after "job is <STATE>; ".
struct EventRefusal {
  const char* reason;
  const char* explanation;
};

EventRefusal RefusalOf(JobEvent event) {
  switch (event) {
    case JobEvent::kLease:
      return {kReasonJobNotQueued, "only QUEUED jobs can be leased"};
    case JobEvent::kCancel:
      return {kReasonJobNotQueued, "only QUEUED jobs can be canceled"};
    case JobEvent::kCancelAllowRunning:
      return {kReasonJobNotQueued,
              "it has finished and can no longer be canceled"};
    case JobEvent::kComplete:
    case JobEvent::kFailRetryable:
    case JobEvent::kFailFinal:
    case JobEvent::kLeaseExpired:
      return {kReasonLeaseLost,
              "the worker's lease is lost: only a RUNNING or CANCELING job "
              "has one"};
    case JobEvent::kCancelAcknowledged:
      return {kReasonLeaseLost,
              "there is no cancellation to acknowledge: only a CANCELING job "
              "has one"};
  }
  return {kReasonLeaseLost, "unknown event"};
}

absl::Status Refusal(JobState from, JobEvent event) {
  const EventRefusal refusal = RefusalOf(event);
  return ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, refusal.reason,
      absl::StrCat("job is ", JobStateName(from), "; ", refusal.explanation,
                   " (event ", JobEventName(event), ")"));
}

const TransitionRule* FindRule(JobState from, JobEvent event) {
  for (const TransitionRule& rule : kTransitionTable) {
    if (rule.from == from && rule.event == event) return &rule;
  }
  return nullptr;
}

// The table names each pair at most once; a duplicate would make the order
// of rows matter.
constexpr bool TableHasNoDuplicatePairs() {
  constexpr size_t n = sizeof(kTransitionTable) / sizeof(kTransitionTable[0]);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (kTransitionTable[i].from == kTransitionTable[j].from &&
          kTransitionTable[i].event == kTransitionTable[j].event) {
        return false;
      }
    }
  }
  return true;
}
static_assert(TableHasNoDuplicatePairs(),
              "kTransitionTable lists a (state, event) pair twice");

}  // namespace

const char* JobEventName(JobEvent event) {
  switch (event) {
    case JobEvent::kLease:
      return "lease";
    case JobEvent::kCancel:
      return "cancel";
    case JobEvent::kCancelAllowRunning:
      return "cancel_allow_running";
    case JobEvent::kComplete:
      return "complete";
    case JobEvent::kFailRetryable:
      return "fail_retryable";
    case JobEvent::kFailFinal:
      return "fail_final";
    case JobEvent::kLeaseExpired:
      return "lease_expired";
    case JobEvent::kCancelAcknowledged:
      return "cancel_acknowledged";
  }
  return "unknown";
}

absl::StatusOr<JobTransition> JobStateMachine::Decide(JobState from,
                                                      JobEvent event,
                                                      bool attempts_left) {
  const TransitionRule* rule = FindRule(from, event);
  if (rule == nullptr) return Refusal(from, event);
  switch (rule->outcome) {
    case Outcome::kMoveTo:
      return JobTransition{rule->to, /*changes_state=*/true};
    case Outcome::kMoveIfAttemptsLeft:
      return JobTransition{attempts_left ? rule->to : rule->to_exhausted,
                           /*changes_state=*/true};
    case Outcome::kNoChange:
      return JobTransition{from, /*changes_state=*/false};
    case Outcome::kRefuse:
      break;
  }
  return Refusal(from, event);
}

absl::StatusOr<Job> JobStateMachine::Apply(const Job& job, JobEvent event,
                                           bool attempts_left, absl::Time now) {
  absl::StatusOr<JobTransition> transition =
      Decide(job.state, event, attempts_left);
  if (!transition.ok()) return transition.status();
  // Unchanged in every field, update_time included: the store writes nothing.
  if (!transition->changes_state) return job;

  Job next = job;
  next.state = transition->to;
  next.update_time = now;
  if (event == JobEvent::kLease) {
    next.start_time = now;
    next.end_time.reset();
    next.attempt_count = job.attempt_count + 1;
  }
  if (IsTerminal(next.state)) next.end_time = now;
  return next;
}

}  // namespace jobcontrol
