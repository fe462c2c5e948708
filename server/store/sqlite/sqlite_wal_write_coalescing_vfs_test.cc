// Tests of the WAL-write-coalescing VFS through real SQLite files: how many
// write system calls a commit makes, what readers and a restarted process
// find, and what a failed write does. The unix VFS's pwrite64 is replaced
// (sqlite3_vfs.xSetSystemCall) to count and to fail writes to the WAL.
#include "server/store/sqlite/sqlite_wal_write_coalescing_vfs.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/store/sqlite/sqlite_connection.h"
#include "server/store/sqlite/sqlite_schema.h"

namespace jobcontrol {
namespace {

constexpr int kPageSize = 4096;
constexpr int kWalFrameHeaderSize = 24;
constexpr int kWalHeaderSize = 32;

std::atomic<int> wal_writes{0};
std::atomic<int> wal_write_errno{0};  // nonzero: writes to the WAL fail so

bool IsWalFile(int fd) {
  char target[4096];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
  if (length <= 0) return false;
  return absl::EndsWith(std::string(target, length), "-wal");
}

ssize_t InterceptedPwrite(int fd, const void* data, size_t size, off_t offset) {
  if (IsWalFile(fd)) {
    ++wal_writes;
    if (const int error = wal_write_errno.load(); error != 0) {
      errno = error;
      return -1;
    }
  }
  return pwrite64(fd, data, size, offset);
}

// Routes the unix VFS's writes through InterceptedPwrite while alive.
class PwriteInterceptor {
 public:
  PwriteInterceptor() : unix_vfs_(sqlite3_vfs_find("unix-excl")) {
    wal_writes = 0;
    wal_write_errno = 0;
    EXPECT_EQ(unix_vfs_->xSetSystemCall(
                  unix_vfs_, "pwrite64",
                  reinterpret_cast<sqlite3_syscall_ptr>(&InterceptedPwrite)),
              SQLITE_OK);
  }
  ~PwriteInterceptor() {
    unix_vfs_->xSetSystemCall(unix_vfs_, "pwrite64", nullptr);
    wal_write_errno = 0;
  }

 private:
  sqlite3_vfs* unix_vfs_;
};

class SqliteWalWriteCoalescingVfsTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "wal_coalescing_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/test.db";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // A read-write connection (so through the coalescing VFS) in WAL mode
  // with synchronous=FULL, the store's writer settings, and table t.
  std::unique_ptr<SqliteConnection> OpenWriter() {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> writer =
        SqliteConnection::Open(path_, SqliteConnection::Access::kReadWrite);
    EXPECT_TRUE(writer.ok()) << writer.status();
    if (!writer.ok()) return nullptr;
    EXPECT_TRUE(ConfigureSqliteWriter(**writer).ok());
    EXPECT_TRUE((*writer)
                    ->ExecuteScript("CREATE TABLE IF NOT EXISTS t "
                                    "(id INTEGER PRIMARY KEY, payload BLOB)")
                    .ok());
    return *std::move(writer);
  }

  // Inserts rows [first, first + count), each 3,000 bytes of its own letter.
  static absl::Status InsertRows(SqliteConnection& db, int first, int count) {
    for (int id = first; id < first + count; ++id) {
      absl::StatusOr<SqliteStatement> insert =
          db.Prepare("INSERT INTO t (id, payload) VALUES (?, ?)");
      if (!insert.ok()) return insert.status();
      insert->BindInt64(id).BindBlob(Payload(id));
      if (absl::Status s = insert->Execute(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  static std::string Payload(int id) {
    return std::string(3000, static_cast<char>('a' + id % 26));
  }

  // Rows of t a new read-only connection sees; -1 if a payload is wrong.
  int64_t RowsSeenByANewReader() {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> reader =
        SqliteConnection::Open(path_, SqliteConnection::Access::kReadOnly);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return -1;
    absl::StatusOr<SqliteStatement> select =
        (*reader)->Prepare("SELECT id, payload FROM t ORDER BY id");
    EXPECT_TRUE(select.ok()) << select.status();
    int64_t rows = 0;
    for (;;) {
      absl::StatusOr<bool> row = select->Step();
      EXPECT_TRUE(row.ok()) << row.status();
      if (!row.ok() || !*row) break;
      if (select->ColumnBlob(1) != Payload(select->ColumnInt64(0))) return -1;
      ++rows;
    }
    return rows;
  }

  int64_t WalFrames() const {
    std::error_code error;
    const auto size = std::filesystem::file_size(path_ + "-wal", error);
    if (error || size < kWalHeaderSize) return 0;
    return (static_cast<int64_t>(size) - kWalHeaderSize) /
           (kPageSize + kWalFrameHeaderSize);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteWalWriteCoalescingVfsTest,
       ACommitIsAFewLargeWritesThatReadersSee) {
  std::unique_ptr<SqliteConnection> writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  const int64_t frames_before = WalFrames();
  PwriteInterceptor interceptor;

  ASSERT_TRUE(writer->ExecuteScript("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(InsertRows(*writer, 0, 200).ok());
  ASSERT_TRUE(writer->ExecuteScript("COMMIT").ok());

  // 200 rows of 3,000 bytes: well over 128 KiB of frames, the most the unix
  // VFS writes in one call, so the buffer is passed on in several pieces.
  const int64_t frames = WalFrames() - frames_before;
  EXPECT_GT(frames * (kPageSize + kWalFrameHeaderSize), 128 * 1024);
  // Without coalescing each frame is two writes (header, page).
  EXPECT_LE(wal_writes.load(), frames / 10) << frames << " frames";
  EXPECT_GE(wal_writes.load(), 1);
  EXPECT_EQ(RowsSeenByANewReader(), 200);
}

TEST_F(SqliteWalWriteCoalescingVfsTest,
       ATransactionThatSpillsAndRewritesFramesCommitsWhatItWrote) {
  std::unique_ptr<SqliteConnection> writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  // A page cache of 10 pages: the transaction writes frames before its
  // commit, reads some back and writes some pages again, so the buffer sees
  // reads and writes that are not contiguous.
  ASSERT_TRUE(writer->ExecuteScript("PRAGMA cache_size = 10").ok());
  ASSERT_TRUE(writer->ExecuteScript("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(InsertRows(*writer, 0, 300).ok());
  ASSERT_TRUE(
      writer->ExecuteScript("UPDATE t SET payload = payload WHERE id % 7 = 0")
          .ok());
  ASSERT_TRUE(writer->ExecuteScript("DELETE FROM t WHERE id >= 250").ok());
  ASSERT_TRUE(writer->ExecuteScript("COMMIT").ok());
  EXPECT_EQ(RowsSeenByANewReader(), 250);
}

TEST_F(SqliteWalWriteCoalescingVfsTest,
       AKilledProcessKeepsItsCommitsAndLosesTheOpenTransaction) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::unique_ptr<SqliteConnection> writer = OpenWriter();
    bool ok = writer != nullptr;
    for (int commit = 0; ok && commit < 3; ++commit) {
      ok = writer->ExecuteScript("BEGIN IMMEDIATE").ok() &&
           InsertRows(*writer, commit * 50, 50).ok() &&
           writer->ExecuteScript("COMMIT").ok();
    }
    // A small page cache makes the open transaction spill frames to the
    // WAL (some written, some still buffered) before the process dies.
    ok = ok && writer->ExecuteScript("PRAGMA cache_size = 10").ok() &&
         writer->ExecuteScript("BEGIN IMMEDIATE").ok() &&
         InsertRows(*writer, 1000, 300).ok();
    _exit(ok ? 0 : 1);  // no close, no destructors: as if killed
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  std::unique_ptr<SqliteConnection> writer = OpenWriter();  // recovers
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(RowsSeenByANewReader(), 150);
  absl::StatusOr<SqliteStatement> check =
      writer->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(*check->Step());
  EXPECT_EQ(check->ColumnText(0), "ok");
}

TEST_F(SqliteWalWriteCoalescingVfsTest,
       AFailedWalWriteFailsTheCommitAndKeepsNothingOfIt) {
  std::unique_ptr<SqliteConnection> writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  {
    PwriteInterceptor interceptor;
    wal_write_errno = ENOSPC;
    ASSERT_TRUE(writer->ExecuteScript("BEGIN IMMEDIATE").ok());
    ASSERT_TRUE(InsertRows(*writer, 0, 20).ok());  // buffered: no write yet
    const absl::Status commit = writer->ExecuteScript("COMMIT");
    EXPECT_EQ(commit.code(), absl::StatusCode::kUnavailable) << commit;
    EXPECT_GE(wal_writes.load(), 1);
    if (writer->InTransaction()) {
      writer->ExecuteScript("ROLLBACK").IgnoreError();
    }
  }
  EXPECT_EQ(RowsSeenByANewReader(), 0);

  // The same connection commits again once writes succeed.
  ASSERT_TRUE(writer->ExecuteScript("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(InsertRows(*writer, 0, 20).ok());
  ASSERT_TRUE(writer->ExecuteScript("COMMIT").ok());
  EXPECT_EQ(RowsSeenByANewReader(), 20);
}

TEST_F(SqliteWalWriteCoalescingVfsTest,
       WithoutASyncAtCommitOtherConnectionsStillSeeEveryCommit) {
  std::unique_ptr<SqliteConnection> writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  // No sync at commit: the commit frame itself must pass the buffer on
  // before SQLite publishes the commit to other connections.
  ASSERT_TRUE(writer->ExecuteScript("PRAGMA synchronous = OFF").ok());
  PwriteInterceptor interceptor;
  const int64_t frames_before = WalFrames();
  for (int commit = 0; commit < 3; ++commit) {
    ASSERT_TRUE(writer->ExecuteScript("BEGIN IMMEDIATE").ok());
    ASSERT_TRUE(InsertRows(*writer, commit * 30, 30).ok());
    ASSERT_TRUE(writer->ExecuteScript("COMMIT").ok());
    EXPECT_EQ(RowsSeenByANewReader(), (commit + 1) * 30);
  }
  // Still a few large writes, not two per frame.
  EXPECT_LE(wal_writes.load(), (WalFrames() - frames_before) / 10);
}

// The VFS's own file methods, below SQLite: writes into and around the
// buffered range, and reads between them, land exactly where they were
// aimed.
TEST_F(SqliteWalWriteCoalescingVfsTest, WritesLandWhereTheyWereAimed) {
  absl::StatusOr<const char*> name = SqliteWalWriteCoalescingVfs();
  ASSERT_TRUE(name.ok());
  sqlite3_vfs* vfs = sqlite3_vfs_find(*name);
  ASSERT_NE(vfs, nullptr);
  std::unique_ptr<char[]> memory(new char[vfs->szOsFile]);
  auto* file = reinterpret_cast<sqlite3_file*>(memory.get());
  // A WAL file takes its permissions from its database, which must exist.
  { std::ofstream database(dir_ + "/direct.db"); }
  // SQLite hands xOpen a full path that stays valid until xClose.
  const std::string wal = dir_ + "/direct.db-wal";
  int out_flags = 0;
  ASSERT_EQ(
      vfs->xOpen(vfs, wal.c_str(), file,
                 SQLITE_OPEN_WAL | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE,
                 &out_flags),
      SQLITE_OK);
  PwriteInterceptor interceptor;
  auto write = [&](const std::string& bytes, sqlite3_int64 offset) {
    return file->pMethods->xWrite(file, bytes.data(),
                                  static_cast<int>(bytes.size()), offset);
  };
  auto read = [&](sqlite3_int64 offset, int size) {
    std::string bytes(size, '\0');
    EXPECT_EQ(file->pMethods->xRead(file, bytes.data(), size, offset),
              SQLITE_OK);
    return bytes;
  };
  ASSERT_EQ(write("aaaa", 0), SQLITE_OK);
  ASSERT_EQ(write("bbbb", 4), SQLITE_OK);   // contiguous: kept
  ASSERT_EQ(write("cc", 2), SQLITE_OK);     // inside the kept range
  ASSERT_EQ(write("dddd", 20), SQLITE_OK);  // a gap before it
  EXPECT_EQ(wal_writes.load(), 2);          // "aaaabbbb", then "cc"
  ASSERT_EQ(write("eeee", 24), SQLITE_OK);
  EXPECT_EQ(read(0, 8), "aaccbbbb");  // the read passes the rest on
  EXPECT_EQ(read(20, 8), "ddddeeee");
  EXPECT_EQ(wal_writes.load(), 3);  // "ddddeeee" as one write
  sqlite3_int64 size = 0;
  ASSERT_EQ(file->pMethods->xFileSize(file, &size), SQLITE_OK);
  EXPECT_EQ(size, 28);
  ASSERT_EQ(write("ffff", 28), SQLITE_OK);
  EXPECT_EQ(file->pMethods->xClose(file), SQLITE_OK);  // passes "ffff" on
  EXPECT_EQ(wal_writes.load(), 4);
  EXPECT_EQ(std::filesystem::file_size(wal), 32u);
}

TEST(SqliteWalWriteCoalescingVfsNameTest, RegistersOnceUnderOneName) {
  absl::StatusOr<const char*> first = SqliteWalWriteCoalescingVfs();
  absl::StatusOr<const char*> second = SqliteWalWriteCoalescingVfs();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(std::string(*first), std::string(*second));
  EXPECT_NE(sqlite3_vfs_find(*first), nullptr);
}

}  // namespace
}  // namespace jobcontrol
