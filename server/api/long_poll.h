// LongPoll: how an RPC handler waits for the store to change (LeaseJob,
// WatchJob, WaitJob). The handler reads JobChangeHub::Generation(), looks at
// the store, and when it found nothing calls Wait() with that generation, so
// no commit can slip between its look and its wait.
//
// Wait() blocks in slices of at most kLongPollSlice so that a call the client
// cancelled (or whose deadline passed) frees its server thread within a
// slice instead of holding it until the poll's own deadline.
#ifndef JOBCONTROL_SERVER_API_LONG_POLL_H_
#define JOBCONTROL_SERVER_API_LONG_POLL_H_

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "server/core/job_change_hub.h"

namespace jobcontrol {

inline constexpr absl::Duration kLongPollSlice = absl::Seconds(1);

// What the handler should do after Wait().
enum class LongPollNext {
  kLookAgain,  // something changed: look at the store again
  kLastLook,   // the poll's deadline passed or the server is shutting down
               // (the hub was shut down): look once more, then answer
  kAbandon,    // the client cancelled the call: answer nothing useful
};

class LongPoll {
 public:
  // `hub` and `context` must outlive this object. `deadline` may be
  // absl::InfiniteFuture() (watches).
  LongPoll(const JobChangeHub* hub, const grpc::ServerContext* context,
           absl::Time deadline)
      : hub_(hub), context_(context), deadline_(deadline) {}

  // Whether the poll's deadline has passed.
  bool Expired() const { return absl::Now() >= deadline_; }

  // Waits until the hub's generation exceeds `seen` (-> kLookAgain), the
  // deadline passes or the hub shuts down (-> kLastLook), or the call is
  // cancelled (-> kAbandon).
  LongPollNext Wait(int64_t seen) const {
    for (;;) {
      if (context_->IsCancelled()) return LongPollNext::kAbandon;
      const absl::Time now = absl::Now();
      if (now >= deadline_) return LongPollNext::kLastLook;
      const absl::Time slice_end = std::min(deadline_, now + kLongPollSlice);
      const bool changed = hub_->WaitForChange(seen, slice_end);
      if (hub_->Generation() > seen) return LongPollNext::kLookAgain;
      // WaitForChange returns before its deadline without a change only when
      // the hub was shut down (the server is draining).
      if (changed || absl::Now() < slice_end) return LongPollNext::kLastLook;
    }
  }

  // now + min(wait, time left before the call's deadline).
  static absl::Time DeadlineFor(const grpc::ServerContext& context,
                                absl::Duration wait) {
    const absl::Time now = absl::Now();
    return std::min(now + wait, absl::FromChrono(context.deadline()));
  }

 private:
  const JobChangeHub* hub_;
  const grpc::ServerContext* context_;
  absl::Time deadline_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_LONG_POLL_H_
