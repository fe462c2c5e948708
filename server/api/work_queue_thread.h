// WorkQueueThread: one thread that runs the work posted to it, in the order
// posted. Post() wakes it only when it sleeps, so work posted in a burst (a
// group commit completing many calls) costs one wake-up, and the poster
// (the store's writer) goes on at once.
//
// Thread-safety: Post may be called from any thread; Shutdown from the
// owner's.
#ifndef JOBCONTROL_SERVER_API_WORK_QUEUE_THREAD_H_
#define JOBCONTROL_SERVER_API_WORK_QUEUE_THREAD_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jobcontrol {

class WorkQueueThread {
 public:
  WorkQueueThread();
  ~WorkQueueThread();  // Shutdown()
  WorkQueueThread(const WorkQueueThread&) = delete;
  WorkQueueThread& operator=(const WorkQueueThread&) = delete;

  // Runs `work` on the thread soon. After Shutdown began, `work` never runs.
  void Post(std::function<void()> work);
  // Runs the work already posted, then joins the thread. Idempotent.
  void Shutdown();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable work_or_stopping_;
  std::vector<std::function<void()>> posted_;  // guarded by mutex_
  bool stopping_ = false;                      // guarded by mutex_
  std::thread thread_;  // last: starts after everything above is built
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_WORK_QUEUE_THREAD_H_
