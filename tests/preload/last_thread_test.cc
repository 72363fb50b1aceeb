// Tests of the last-thread check (last_thread.h).
#include "last_thread.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

TEST(LastThreadTest, ParsesStateAndThreadCount) {
  char state = 0;
  long threads = 0;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const char* line =
      "4242 (my (odd) name) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 2 0 12345 "
      "1000000 200 18446744073709551615";
  ASSERT_TRUE(ParseProcStat(line, &state, &threads));
  EXPECT_EQ(state, 'Z');
  EXPECT_EQ(threads, 2);
  ASSERT_TRUE(ParseProcStat("7 (sh) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 13 0 5", &state,
                            &threads));
  EXPECT_EQ(state, 'S');
  EXPECT_EQ(threads, 13);
  EXPECT_FALSE(ParseProcStat("7 (sh) S 1 7", &state, &threads));  // cut short
  EXPECT_FALSE(ParseProcStat("no parenthesis at all", &state, &threads));
}

TEST(LastThreadTest, FalseWhileTheMainThreadLives) {
  EXPECT_FALSE(OnlyCallerThreadLeft());  // the main thread, and the test's own
  pthread_t t;
  bool seen = true;
  pthread_create(
      &t, nullptr,
      [](void* out) -> void* {
        *static_cast<bool*>(out) = OnlyCallerThreadLeft();
        return nullptr;
      },
      &seen);
  pthread_join(t, nullptr);
  EXPECT_FALSE(seen);
}

long ThreadsOfThisProcess() {
  char line[1024];
  const int fd = open("/proc/self/stat", O_RDONLY);
  const ssize_t n = fd >= 0 ? read(fd, line, sizeof line - 1) : -1;
  if (fd >= 0) close(fd);
  char state;
  long threads = -1;
  if (n > 0) {
    line[n] = '\0';
    ParseProcStat(line, &state, &threads);
  }
  return threads;
}

// Runs `alone_thread` on a second thread of a forked child whose main thread then exits, and
// returns the child's exit status: the thread reports through it (glibc would exit(0) if it just
// returned). 77: the child had a third thread, so no thread of it can ever be alone.
int ExitStatusOfChildWhoseMainThreadExits(void* (*alone_thread)(void*)) {
  const pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    pthread_t t;
    pthread_create(&t, nullptr, alone_thread, nullptr);
    // A sanitizer's runtime may run a thread of its own: then the waiting one is never alone.
    if (ThreadsOfThisProcess() != 2) _exit(77);
    syscall(SYS_exit, 0);  // the main thread alone, as pthread_exit ends it (no unwinding here:
                           // gtest would catch the forced unwind)
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Skipped, not failed, only where the precondition cannot hold: TSan's runtime keeps a
// background thread in the child that never exits, so no thread of it is ever alone there.
// Everywhere else (make test, ASan) the child has exactly its two threads and the case runs.
#define SKIP_IF_THIRD_THREAD(status)                                                      \
  if ((status) == 77)                                                                     \
  GTEST_SKIP() << "the child had a third thread (a sanitizer runtime's, as TSan's), which " \
                  "never exits: no thread of it can be the last"

// Waits (5 s at most) until /proc says the main thread is gone and the caller alone.
bool WaitUntilAlone() {
  for (int i = 0; i < 500; ++i) {
    if (OnlyCallerThreadLeft()) return true;
    usleep(10000);
  }
  return false;
}

TEST(LastThreadTest, TrueOnceTheMainThreadExitedAndNoOtherIsLeft) {
  const int status = ExitStatusOfChildWhoseMainThreadExits([](void*) -> void* {
    _exit(WaitUntilAlone() ? 42 : 1);
  });
  SKIP_IF_THIRD_THREAD(status);
  EXPECT_EQ(status, 42);
}

TEST(LastThreadTest, GlibcThreadCountFollowsThreadsStartedAndEnded) {
  const unsigned int* count = GlibcThreadCount();
  // glibc exports the count since 2.34; this test runs on the build machine's glibc (2.36).
  ASSERT_NE(count, nullptr);
  const unsigned int before = *count;
  EXPECT_GE(before, 1u);
  std::atomic<bool> release{false};
  pthread_t t;
  pthread_create(
      &t, nullptr,
      [](void* flag) -> void* {
        while (!static_cast<std::atomic<bool>*>(flag)->load()) usleep(1000);
        return nullptr;
      },
      &release);
  EXPECT_EQ(*count, before + 1);
  release = true;
  pthread_join(t, nullptr);  // glibc counts the thread out before its kernel thread ends
  EXPECT_EQ(*count, before);
}

// Which call of LastThreadCheck::OnlyCallerLeft first says "alone", in a child whose main
// thread has exited already, given glibc's count (or a stand-in for it): the exit status.
int FirstCallSayingAlone(const unsigned int* count) {
  static const unsigned int* s_count;  // the child's thread reads it after the fork
  s_count = count;
  return ExitStatusOfChildWhoseMainThreadExits([](void*) -> void* {
    if (!WaitUntilAlone()) _exit(1);
    LastThreadCheck check(s_count);
    for (int call = 1; call <= 3 * static_cast<int>(LastThreadCheck::kProcEveryCalls); ++call) {
      if (check.OnlyCallerLeft()) _exit(call);
    }
    _exit(0);
  });
}

// The main thread left by a raw exit system call, which glibc does not count: its count stays
// at 2, so the check trusts it until its periodic /proc read, the kProcEveryCalls-th call.
TEST(LastThreadTest, CountStuckAboveOneDelaysTheAnswerByAtMostTheProcPeriod) {
  ASSERT_NE(GlibcThreadCount(), nullptr);
  const int status = FirstCallSayingAlone(GlibcThreadCount());
  SKIP_IF_THIRD_THREAD(status);
  EXPECT_EQ(status, static_cast<int>(LastThreadCheck::kProcEveryCalls));
}

TEST(LastThreadTest, CountAtOneOrNoCountReadsProcAtOnce) {
  static const unsigned int kOnlyThisThread = 1;
  int status = FirstCallSayingAlone(&kOnlyThisThread);
  SKIP_IF_THIRD_THREAD(status);
  EXPECT_EQ(status, 1);
  status = FirstCallSayingAlone(nullptr);  // glibc before 2.34: /proc every call
  EXPECT_EQ(status, 1);
}

TEST(LastThreadTest, CountAtOneIsNotTakenOnTrust) {
  // The count says alone, but the main thread lives: /proc has the last word.
  static const unsigned int kOnlyThisThread = 1;
  LastThreadCheck check(&kOnlyThisThread);
  EXPECT_FALSE(check.OnlyCallerLeft());
  LastThreadCheck real(GlibcThreadCount());
  for (unsigned i = 0; i < 2 * LastThreadCheck::kProcEveryCalls; ++i)
    EXPECT_FALSE(real.OnlyCallerLeft());
}

}  // namespace
}  // namespace leaktrack
