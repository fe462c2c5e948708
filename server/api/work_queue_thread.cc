#include "server/api/work_queue_thread.h"

#include <utility>

namespace jobcontrol {

WorkQueueThread::WorkQueueThread() : thread_([this] { Run(); }) {}

WorkQueueThread::~WorkQueueThread() { Shutdown(); }

void WorkQueueThread::Post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    posted_.push_back(std::move(work));
  }
  work_or_stopping_.notify_one();  // a system call only if the thread sleeps
}

void WorkQueueThread::Run() {
  std::vector<std::function<void()>> work;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_or_stopping_.wait(lock,
                             [this] { return stopping_ || !posted_.empty(); });
      if (posted_.empty()) return;  // stopping, and everything ran
      work.swap(posted_);
    }
    for (std::function<void()>& run : work) run();
    work.clear();
  }
}

void WorkQueueThread::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_or_stopping_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace jobcontrol
