#include "server/store/sqlite/sqlite_wal_write_coalescing_vfs.h"

#include <sqlite3.h>

#include <cstddef>
#include <new>
#include <vector>

#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

constexpr char kVfsName[] = "jobcontrol-wal-write-coalescing";
constexpr char kWrappedVfsName[] = "unix-excl";
// The unix VFS writes at most 128 KiB - 1 bytes per call (seekAndWriteFd
// masks the length with 0x1ffff): a longer write would be cut short and
// reported as SQLITE_FULL. 96 KiB is 23 frames of a 4 KiB page.
constexpr size_t kMaxBufferedBytes = 96 * 1024;
// SQLite writes a WAL frame as two writes: its header, then the page. Bytes
// 4-7 of the header (big-endian) hold the database size in pages after the
// commit for the frame that commits a transaction, and 0 for every other
// frame (https://www.sqlite.org/fileformat2.html#walformat).
constexpr int kWalFrameHeaderSize = 24;
constexpr int kWalHeaderSize = 32;

bool IsCommitFrameHeader(const void* data, int amount, sqlite3_int64 offset) {
  if (amount != kWalFrameHeaderSize || offset < kWalHeaderSize) return false;
  const unsigned char* header = static_cast<const unsigned char*>(data);
  return (header[4] | header[5] | header[6] | header[7]) != 0;
}

// Lives in the memory SQLite allocates for a file of this VFS; the wrapped
// VFS's own file follows it (at kWrappedFileOffset).
struct CoalescingFile {
  sqlite3_file base;  // first: SQLite sees a CoalescingFile as this
  sqlite3_file* wrapped = nullptr;
  bool coalesces = false;  // a WAL file
  sqlite3_int64 buffer_offset = 0;
  std::vector<char> buffer;  // writes not yet passed on, from buffer_offset
  // The last write was a commit frame's header: its page, next, ends the
  // commit, and the buffer is passed on after it.
  bool commit_page_next = false;
};

constexpr size_t kWrappedFileOffset =
    (sizeof(CoalescingFile) + alignof(std::max_align_t) - 1) /
    alignof(std::max_align_t) * alignof(std::max_align_t);

CoalescingFile* AsCoalescing(sqlite3_file* file) {
  return reinterpret_cast<CoalescingFile*>(file);
}

const sqlite3_io_methods& Wrapped(const CoalescingFile* file) {
  return *file->wrapped->pMethods;
}

sqlite3_vfs* WrappedVfs(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

// Passes the buffered writes on as one write.
int Flush(CoalescingFile* file) {
  if (file->buffer.empty()) return SQLITE_OK;
  const int rc = Wrapped(file).xWrite(file->wrapped, file->buffer.data(),
                                      static_cast<int>(file->buffer.size()),
                                      file->buffer_offset);
  file->buffer.clear();
  return rc;
}

// --- sqlite3_io_methods ---

int Close(sqlite3_file* base) {
  CoalescingFile* file = AsCoalescing(base);
  const int flushed = Flush(file);
  const int closed = Wrapped(file).xClose(file->wrapped);
  file->~CoalescingFile();
  return flushed != SQLITE_OK ? flushed : closed;
}

int Read(sqlite3_file* base, void* data, int amount, sqlite3_int64 offset) {
  CoalescingFile* file = AsCoalescing(base);
  if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  return Wrapped(file).xRead(file->wrapped, data, amount, offset);
}

int Write(sqlite3_file* base, const void* data, int amount,
          sqlite3_int64 offset) {
  CoalescingFile* file = AsCoalescing(base);
  if (!file->coalesces) {
    return Wrapped(file).xWrite(file->wrapped, data, amount, offset);
  }
  const size_t size = static_cast<size_t>(amount);
  const bool contiguous =
      offset ==
      file->buffer_offset + static_cast<sqlite3_int64>(file->buffer.size());
  if (!file->buffer.empty() &&
      (!contiguous || file->buffer.size() + size > kMaxBufferedBytes)) {
    if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  }
  if (size > kMaxBufferedBytes) {
    return Wrapped(file).xWrite(file->wrapped, data, amount, offset);
  }
  if (file->buffer.empty()) file->buffer_offset = offset;
  const char* bytes = static_cast<const char*>(data);
  file->buffer.insert(file->buffer.end(), bytes, bytes + size);
  // A commit is in the file before SQLite publishes it to other connections,
  // whether or not a sync follows (synchronous=NORMAL or OFF has none).
  if (file->commit_page_next) {
    file->commit_page_next = false;
    return Flush(file);
  }
  file->commit_page_next = IsCommitFrameHeader(data, amount, offset);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* base, sqlite3_int64 size) {
  CoalescingFile* file = AsCoalescing(base);
  if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  return Wrapped(file).xTruncate(file->wrapped, size);
}

int Sync(sqlite3_file* base, int flags) {
  CoalescingFile* file = AsCoalescing(base);
  if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  return Wrapped(file).xSync(file->wrapped, flags);
}

int FileSize(sqlite3_file* base, sqlite3_int64* size) {
  CoalescingFile* file = AsCoalescing(base);
  if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  return Wrapped(file).xFileSize(file->wrapped, size);
}

int Lock(sqlite3_file* base, int level) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xLock(file->wrapped, level);
}

int Unlock(sqlite3_file* base, int level) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xUnlock(file->wrapped, level);
}

int CheckReservedLock(sqlite3_file* base, int* reserved) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xCheckReservedLock(file->wrapped, reserved);
}

int FileControl(sqlite3_file* base, int op, void* argument) {
  CoalescingFile* file = AsCoalescing(base);
  if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  return Wrapped(file).xFileControl(file->wrapped, op, argument);
}

int SectorSize(sqlite3_file* base) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xSectorSize(file->wrapped);
}

int DeviceCharacteristics(sqlite3_file* base) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xDeviceCharacteristics(file->wrapped);
}

// The shared-memory and memory-mapping methods (versions 2 and 3 of
// sqlite3_io_methods): Open accepts only wrapped files that have them.
int ShmMap(sqlite3_file* base, int region, int size, int extend,
           void volatile** memory) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xShmMap(file->wrapped, region, size, extend, memory);
}

int ShmLock(sqlite3_file* base, int offset, int count, int flags) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xShmLock(file->wrapped, offset, count, flags);
}

void ShmBarrier(sqlite3_file* base) {
  CoalescingFile* file = AsCoalescing(base);
  Wrapped(file).xShmBarrier(file->wrapped);
}

int ShmUnmap(sqlite3_file* base, int delete_flag) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xShmUnmap(file->wrapped, delete_flag);
}

int Fetch(sqlite3_file* base, sqlite3_int64 offset, int amount, void** page) {
  CoalescingFile* file = AsCoalescing(base);
  *page = nullptr;  // also on error: SQLite then reads the page
  if (int rc = Flush(file); rc != SQLITE_OK) return rc;
  return Wrapped(file).xFetch(file->wrapped, offset, amount, page);
}

int Unfetch(sqlite3_file* base, sqlite3_int64 offset, void* page) {
  CoalescingFile* file = AsCoalescing(base);
  return Wrapped(file).xUnfetch(file->wrapped, offset, page);
}

const sqlite3_io_methods kIoMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

// --- sqlite3_vfs: opening files is ours, the rest is the wrapped VFS's ---

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* base, int flags,
         int* out_flags) {
  CoalescingFile* file = new (base) CoalescingFile();  // pMethods null
  file->wrapped = reinterpret_cast<sqlite3_file*>(
      reinterpret_cast<char*>(base) + kWrappedFileOffset);
  file->coalesces = (flags & SQLITE_OPEN_WAL) != 0;
  sqlite3_vfs* wrapped_vfs = WrappedVfs(vfs);
  const int rc =
      wrapped_vfs->xOpen(wrapped_vfs, name, file->wrapped, flags, out_flags);
  // SQLite closes a file whose pMethods is set, even after a failed open.
  const sqlite3_io_methods* methods = file->wrapped->pMethods;
  if (methods == nullptr) {
    file->~CoalescingFile();
    return rc;
  }
  if (methods->iVersion < 3) {  // no shared memory or mapping to pass on
    methods->xClose(file->wrapped);
    file->~CoalescingFile();
    return SQLITE_CANTOPEN;
  }
  file->base.pMethods = &kIoMethods;
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_directory) {
  return WrappedVfs(vfs)->xDelete(WrappedVfs(vfs), name, sync_directory);
}

int Access(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  return WrappedVfs(vfs)->xAccess(WrappedVfs(vfs), name, flags, result);
}

int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return WrappedVfs(vfs)->xFullPathname(WrappedVfs(vfs), name, size, out);
}

void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return WrappedVfs(vfs)->xDlOpen(WrappedVfs(vfs), name);
}

void DlError(sqlite3_vfs* vfs, int size, char* message) {
  WrappedVfs(vfs)->xDlError(WrappedVfs(vfs), size, message);
}

void (*DlSym(sqlite3_vfs* vfs, void* library, const char* symbol))(void) {
  return WrappedVfs(vfs)->xDlSym(WrappedVfs(vfs), library, symbol);
}

void DlClose(sqlite3_vfs* vfs, void* library) {
  WrappedVfs(vfs)->xDlClose(WrappedVfs(vfs), library);
}

int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return WrappedVfs(vfs)->xRandomness(WrappedVfs(vfs), size, out);
}

int Sleep(sqlite3_vfs* vfs, int microseconds) {
  return WrappedVfs(vfs)->xSleep(WrappedVfs(vfs), microseconds);
}

int CurrentTime(sqlite3_vfs* vfs, double* now) {
  return WrappedVfs(vfs)->xCurrentTime(WrappedVfs(vfs), now);
}

int GetLastError(sqlite3_vfs* vfs, int size, char* message) {
  return WrappedVfs(vfs)->xGetLastError(WrappedVfs(vfs), size, message);
}

int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* now) {
  return WrappedVfs(vfs)->xCurrentTimeInt64(WrappedVfs(vfs), now);
}

// Registers the VFS; nullptr if the wrapped one is missing or too old.
sqlite3_vfs* Register() {
  sqlite3_vfs* wrapped = sqlite3_vfs_find(kWrappedVfsName);
  if (wrapped == nullptr || wrapped->iVersion < 2) return nullptr;
  static sqlite3_vfs vfs = {};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(kWrappedFileOffset) + wrapped->szOsFile;
  vfs.mxPathname = wrapped->mxPathname;
  vfs.zName = kVfsName;
  vfs.pAppData = wrapped;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = DlOpen;
  vfs.xDlError = DlError;
  vfs.xDlSym = DlSym;
  vfs.xDlClose = DlClose;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

absl::StatusOr<const char*> SqliteWalWriteCoalescingVfs() {
  static sqlite3_vfs* const vfs = Register();  // thread-safe, once
  if (vfs == nullptr) {
    return ErrorWithReason(absl::StatusCode::kUnavailable,
                           kReasonStoreUnavailable,
                           "SQLite has no usable \"unix-excl\" VFS to wrap");
  }
  return vfs->zName;
}

}  // namespace jobcontrol
