// A SQLite VFS that hands each commit's write-ahead-log frames to the
// operating system in one write instead of two per page.
//
// SQLite appends a commit to the WAL frame by frame, and each frame is two
// write system calls (its 24-byte header, then the page): a group commit
// that changes 15 pages makes 30 pwrite calls before its fsync. This VFS
// wraps SQLite's "unix-excl" VFS and, for WAL files only, keeps consecutive
// writes in memory and passes them on as one write once the frame that
// commits a transaction has been written (its header carries the database
// size after the commit), and when anything else touches the file: a sync,
// a read, a size query or truncation, a file control, or close; also when
// the next write is not contiguous or the buffer holds 96 KiB (the unix VFS
// writes at most 128 KiB - 1 in one call). Every other file (the database,
// its shared-memory index) goes straight through.
//
// Why this is safe: a WAL frame counts only once SQLite has published it in
// the shared-memory index, which it does after writing the commit frame
// (and after the commit's sync, if `synchronous` asks for one), and by then
// the frames have been written. Readers and checkpoints (other connections,
// other processes) never look at frames past that index, so they never miss
// a buffered write. A crash before the sync loses only frames of a commit
// that had not returned yet, which SQLite discards on recovery anyway. A
// write error surfaces from the call that flushed the buffer (usually the
// sync), which fails the commit as the write itself would have.
//
// Thread-safety: the VFS may be used from any thread; each file it opens is
// used the way SQLite uses files (one connection at a time).
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_WAL_WRITE_COALESCING_VFS_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_WAL_WRITE_COALESCING_VFS_H_

#include "absl/status/statusor.h"

namespace jobcontrol {

// The name to pass to sqlite3_open_v2. Registers the VFS on the first call
// (thread-safe); fails with UNAVAILABLE if SQLite has no "unix-excl" VFS.
absl::StatusOr<const char*> SqliteWalWriteCoalescingVfs();

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_WAL_WRITE_COALESCING_VFS_H_
