// Tests of the sigaction/signal wrappers (signal_hooks.h) and of who owns the dump signal
// (dump_trigger.h), without LD_PRELOAD: the hooks are called directly, libc is the next
// definition. The dump signal is SIGUSR2, installed once for the whole suite, as the constructor
// would. The log-once test comes first on purpose: the messages are once per process, and
// GoogleTest runs a file's tests in order (this test is not run shuffled).
#include "signal_hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "dump_trigger.h"
#include "profiler.h"
#include "raw_log.h"
#include "real_alloc.h"

namespace leaktrack {
namespace {

volatile sig_atomic_t g_count = 0;
void Count(int) { g_count = g_count + 1; }

char g_dir[64];

int CountDumps() {
  DIR* d = opendir(g_dir);
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (strncmp(e->d_name, "leaktrack.", 10) == 0) n++;
  }
  closedir(d);
  return n;
}

std::string ReadFile(const char* path) {
  std::string s;
  int fd = open(path, O_RDONLY);
  char buf[4096];
  ssize_t r;
  while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(r));
  if (fd >= 0) close(fd);
  return s;
}

int Occurrences(const std::string& text, const char* needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
  return n;
}

class SignalHooksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    strcpy(g_dir, "/tmp/lt_sighooks_XXXXXX");
    ASSERT_NE(mkdtemp(g_dir), nullptr);
    Config config;
    config.rate = 1;
    config.max_live = 1 << 12;
    config.max_stacks = 1 << 10;
    config.signal = SIGUSR2;
    strcpy(config.dir, g_dir);
    ASSERT_TRUE(EnsureRealResolved());
    ASSERT_TRUE(InitProfilerForTesting(config));
    ResolveRealSignalFunctions();
    InstallDumpTriggers();
    ASSERT_TRUE(DumpSignalIsOursForTesting()) << "SIGUSR2 was already taken in the test process";
    ASSERT_EQ(RealSigaction(SIGUSR2, nullptr, &ours_), 0);
  }
  static void TearDownTestSuite() {
    if (DIR* d = opendir(g_dir)) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
      }
      closedir(d);
    }
    rmdir(g_dir);
  }
  // Puts our handler back the way a program would: with the struct it saved.
  void SetUp() override {
    ASSERT_EQ(HookSigaction(SIGUSR2, &ours_, nullptr), 0);
    ASSERT_TRUE(DumpSignalIsOursForTesting());
  }
  static struct sigaction CountingAction() {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = Count;
    return sa;
  }
  static struct sigaction ours_;
};
struct sigaction SignalHooksTest::ours_;

TEST_F(SignalHooksTest, TakeoverAndHandBackAreLoggedOncePerProcess) {
  char path[] = "/tmp/lt_sighooks_log_XXXXXX";
  const int log = mkstemp(path);
  ASSERT_GE(log, 0);
  const int saved_stderr = dup(2);
  ASSERT_EQ(dup2(log, 2), 2);
  RememberStderr();  // RawLog writes only to the fd 2 it remembers
  const struct sigaction mine = CountingAction();
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(HookSigaction(SIGUSR2, &mine, nullptr), 0);
    EXPECT_FALSE(DumpSignalIsOursForTesting());
    ASSERT_EQ(HookSigaction(SIGUSR2, &ours_, nullptr), 0);
    EXPECT_TRUE(DumpSignalIsOursForTesting());
  }
  ASSERT_EQ(dup2(saved_stderr, 2), 2);
  close(saved_stderr);
  close(log);
  RememberStderr();
  const std::string text = ReadFile(path);
  unlink(path);
  EXPECT_EQ(Occurrences(text, "SIGUSR2 is taken by the program"), 1) << text;
  EXPECT_EQ(Occurrences(text, "SIGUSR2 is leaktrack's again"), 1) << text;
  EXPECT_EQ(Occurrences(text, "\n"), 2) << text;
}

TEST_F(SignalHooksTest, QueriesReturnOurHandlerAndChangeNothing) {
  struct sigaction q;
  ASSERT_EQ(HookSigaction(SIGUSR2, nullptr, &q), 0);
  EXPECT_NE(q.sa_flags & SA_SIGINFO, 0);
  EXPECT_EQ(q.sa_sigaction, ours_.sa_sigaction);
  EXPECT_TRUE(DumpSignalIsOursForTesting());
  CheckDumpSignalOwnership();  // the periodic check agrees
  EXPECT_TRUE(DumpSignalIsOursForTesting());
}

TEST_F(SignalHooksTest, SigactionTakeoverRoutesTheSignalToTheProgram) {
  const struct sigaction mine = CountingAction();
  struct sigaction old;
  ASSERT_EQ(HookSigaction(SIGUSR2, &mine, &old), 0);
  EXPECT_EQ(old.sa_sigaction, ours_.sa_sigaction);  // the program saves the truth
  EXPECT_FALSE(DumpSignalIsOursForTesting());
  const int dumps = CountDumps();
  g_count = 0;
  raise(SIGUSR2);
  EXPECT_EQ(g_count, 1);
  EXPECT_EQ(CountDumps(), dumps);
}

TEST_F(SignalHooksTest, HandBackMakesTheSignalDumpAgain) {
  const struct sigaction mine = CountingAction();
  struct sigaction saved;
  ASSERT_EQ(HookSigaction(SIGUSR2, &mine, &saved), 0);
  ASSERT_FALSE(DumpSignalIsOursForTesting());
  ASSERT_EQ(HookSigaction(SIGUSR2, &saved, nullptr), 0);
  EXPECT_TRUE(DumpSignalIsOursForTesting());
  const int dumps = CountDumps();
  raise(SIGUSR2);
  EXPECT_EQ(CountDumps(), dumps + 1);
}

TEST_F(SignalHooksTest, UnderscoreSigactionIsNoticedLikeSigaction) {
  const struct sigaction mine = CountingAction();
  struct sigaction saved;
  ASSERT_EQ(HookUnderscoreSigaction(SIGUSR2, &mine, &saved), 0);
  EXPECT_FALSE(DumpSignalIsOursForTesting());
  g_count = 0;
  raise(SIGUSR2);
  EXPECT_EQ(g_count, 1);
  ASSERT_EQ(HookUnderscoreSigaction(SIGUSR2, &saved, nullptr), 0);
  EXPECT_TRUE(DumpSignalIsOursForTesting());
  errno = 0;
  EXPECT_EQ(HookUnderscoreSigaction(SIGKILL, &mine, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);  // libc's answer, unchanged
}

TEST_F(SignalHooksTest, EverySignalVariantIsNoticed) {
  const SignalFn fns[] = {SignalFn::kSignal, SignalFn::kBsdSignal, SignalFn::kSysvSignal,
                          SignalFn::kSysvSignalInternal, SignalFn::kSigset, SignalFn::kSsignal};
  for (SignalFn fn : fns) {
    SCOPED_TRACE(static_cast<int>(fn));
    ASSERT_EQ(HookSigaction(SIGUSR2, &ours_, nullptr), 0);
    ASSERT_TRUE(DumpSignalIsOursForTesting());
    errno = 0;
    const sighandler_t prev = HookSignal(fn, SIGUSR2, Count);
    ASSERT_NE(prev, SIG_ERR) << strerror(errno);
#if !defined(__SANITIZE_THREAD__)
    // Under TSan, RTLD_NEXT resolves signal() to TSan's interceptor, which answers from its own
    // table of handlers, not the kernel's: the previous handler it reports is TSan's wrapper.
    EXPECT_EQ(reinterpret_cast<void*>(prev), reinterpret_cast<void*>(ours_.sa_sigaction));
#endif
    EXPECT_FALSE(DumpSignalIsOursForTesting());
    g_count = 0;
    raise(SIGUSR2);
    EXPECT_EQ(g_count, 1);
  }
  ASSERT_NE(HookSignal(SignalFn::kSignal, SIGUSR2, SIG_IGN), SIG_ERR);
  EXPECT_FALSE(DumpSignalIsOursForTesting());
}

TEST_F(SignalHooksTest, OtherSignalsAndFailedCallsChangeNothing) {
  const struct sigaction mine = CountingAction();
  struct sigaction old_usr1;
  ASSERT_EQ(HookSigaction(SIGUSR1, &mine, &old_usr1), 0);
  EXPECT_TRUE(DumpSignalIsOursForTesting());
  ASSERT_EQ(HookSigaction(SIGUSR1, &old_usr1, nullptr), 0);
  errno = 0;
  EXPECT_EQ(HookSigaction(SIGKILL, &mine, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);  // libc's answer, unchanged
  errno = 0;
  EXPECT_EQ(HookSignal(SignalFn::kSignal, SIGSTOP, Count), SIG_ERR);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_TRUE(DumpSignalIsOursForTesting());
}

TEST_F(SignalHooksTest, ThePeriodicCheckSeesWhatTheWrappersMiss) {
  const struct sigaction mine = CountingAction();
  ASSERT_EQ(RealSigaction(SIGUSR2, &mine, nullptr), 0);  // behind the wrappers' back
  EXPECT_TRUE(DumpSignalIsOursForTesting());
  CheckDumpSignalOwnership();
  EXPECT_FALSE(DumpSignalIsOursForTesting());
}

}  // namespace
}  // namespace leaktrack
