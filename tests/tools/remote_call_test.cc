// Tests of RemoteThread (tools/remote_call.h) on children forked from this test binary, so the
// functions it calls in them are at the same addresses. Each child blocks in a known system call
// (or spins); the test stops it, calls into it, releases it, and the child's exit code says
// whether the program noticed anything. A child is killed and reaped whatever happens.
#include "tools/remote_call.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

constexpr uint64_t kXmmValueForTest = 0x0123456789abcdefULL;
constexpr unsigned kMxcsrRoundToZero = 0x1f80 | 0x6000;  // default masks, rounding toward zero

// What the test runs in its children. noinline + used: each must exist at its address.
extern "C" {
volatile long g_stored_for_test = 0;
char g_copied_for_test[64];
volatile sig_atomic_t g_usr1_count_for_test = 0;

__attribute__((noinline, used)) long RemoteAddForTest(long a, long b) { return a + b; }

__attribute__((noinline, used)) long RemoteStoreForTest(long value) {
  g_stored_for_test = value;
  return 0;
}

__attribute__((noinline, used)) long RemoteCopyStringForTest(const char* s) {
  strncpy(g_copied_for_test, s, sizeof g_copied_for_test - 1);
  return static_cast<long>(strlen(s));
}

__attribute__((noinline, used)) long RemoteGettidForTest() { return syscall(SYS_gettid); }

// The handler must not run inside the call: the signal is held back until Release.
__attribute__((noinline, used)) long RemoteRaiseUsr1ForTest() {
  raise(SIGUSR1);
  return g_usr1_count_for_test;
}

// Returns xmm8 as the call found it, then clobbers xmm8 and MXCSR, as any callee may.
__attribute__((noinline, used)) uint64_t RemoteClobberVectorStateForTest() {
  uint64_t found;
  asm volatile("movq %%xmm8, %0\n\tpcmpeqd %%xmm8, %%xmm8" : "=r"(found) : : "xmm8");
  const unsigned mxcsr = 0x1f80;
  asm volatile("ldmxcsr %0" : : "m"(mxcsr));
  return found;
}

__attribute__((noinline, used)) long RemoteExitForTest(long code) { _exit(static_cast<int>(code)); }

// Asks the child's main thread to stop the process (SIGSTOP), then returns 1 once that thread
// is seen stopped: the group-stop happened while this call ran, and the call carried on.
std::atomic<int> g_stop_request_for_test{0};  // the worker asks, the main thread answers
__attribute__((noinline, used)) long RemoteWaitForGroupStopForTest(long main_tid) {
  g_stop_request_for_test.store(1);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%ld/stat", main_tid);
  for (int i = 0; i < 100000; ++i) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    char stat[512];
    const ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof stat - 1);
    if (fd >= 0) close(fd);
    if (n > 0) {
      stat[n] = '\0';
      const char* end_of_name = strrchr(stat, ')');
      if (end_of_name && end_of_name[1] == ' ' && end_of_name[2] == 'T') return 1;
    }
    sched_yield();  // not a sleep: that would be cut short by the stop
  }
  return 0;
}
}

namespace leaktrack {
namespace {

template <typename F>
uint64_t Addr(F* fn) {
  return reinterpret_cast<uint64_t>(fn);
}

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe2(fd, O_CLOEXEC), 0); }
  ~Pipe() {
    close(fd[0]);
    close(fd[1]);
  }
};

// Reads exactly `size` bytes within 10 s (a child that died must not hang the test).
bool ReadReport(int fd, void* out, size_t size) {
  size_t got = 0;
  while (got < size) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) return false;
    const ssize_t n = read(fd, static_cast<char*>(out) + got, size - got);
    if (n <= 0) return false;
    got += n;
  }
  return true;
}

// A forked child running `body`, whose return value is its exit code.
class Child {
 public:
  template <typename F>
  explicit Child(F body) {
    pid_ = fork();
    if (pid_ == 0) _exit(body());
    EXPECT_GT(pid_, 0);
  }
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, __WALL);
  }
  pid_t pid() const { return pid_; }
  // The exit code, 1000 + the signal that killed it, or -1 if it is still running after 20 s.
  int Wait() {
    for (int i = 0; i < 20000; ++i) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG | __WALL);
      if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
      }
      if (r < 0) return -2;
      usleep(1000);
    }
    return -1;
  }
  // The child was reaped elsewhere; its PID may be reused and must not be signalled.
  void Forget() { pid_ = -1; }

 private:
  pid_t pid_ = -1;
};

std::string StatusField(pid_t pid, pid_t tid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream value(line.substr(key.size() + 1));
      std::string first;
      value >> first;
      return first;
    }
  }
  return "";
}

// Waits until the thread is blocked in one of `nrs` (as /proc/.../syscall shows; "running"
// while it runs).
bool WaitForSyscall(pid_t pid, pid_t tid, const std::vector<long>& nrs) {
  const std::string path =
      "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall";
  for (int i = 0; i < 10000; ++i) {
    std::ifstream in(path);
    long nr = -1;
    if (in >> nr && std::find(nrs.begin(), nrs.end(), nr) != nrs.end()) return true;
    usleep(1000);
  }
  return false;
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// A child blocked in read() on `input`, exiting 0 once it has read 'x' after the calls.
int ReadOneByte(int input) {
  char c = 0;
  const ssize_t n = read(input, &c, 1);
  if (n < 0) return errno == EINTR ? 4 : 3;
  return n == 1 && c == 'x' ? 0 : 5;
}

std::unique_ptr<RemoteThread> StopBlocked(pid_t pid, pid_t tid, const std::vector<long>& nrs) {
  if (!WaitForSyscall(pid, tid, nrs)) {
    ADD_FAILURE() << "thread " << tid << " never blocked in the expected system call";
    return nullptr;
  }
  std::string error;
  bool retry = false;
  std::unique_ptr<RemoteThread> thread = RemoteThread::Stop(pid, tid, nrs, &error, &retry);
  if (!thread) ADD_FAILURE() << "Stop: " << error << (retry ? " (retry)" : "");
  return thread;
}

TEST(RemoteCallTest, CallsRunInThreadBlockedInReadWhichThenReadsOn) {
  Pipe input, report;
  Child child([&] {
    const int code = ReadOneByte(input.fd[0]);
    const long stored = g_stored_for_test;
    if (write(report.fd[1], &stored, sizeof stored) != sizeof stored ||
        write(report.fd[1], g_copied_for_test, sizeof g_copied_for_test) !=
            sizeof g_copied_for_test) {
      return 6;
    }
    return code;
  });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), {SYS_read});
  ASSERT_TRUE(thread);
  EXPECT_EQ(static_cast<long>(thread->saved_regs().orig_rax), SYS_read);
  EXPECT_EQ(static_cast<long>(thread->saved_regs().rax), -512);  // -ERESTARTSYS

  std::string error;
  uint64_t result = 0;
  ASSERT_TRUE(thread->Call(Addr(&RemoteAddForTest), {40, 2}, &result, &error)) << error;
  EXPECT_EQ(result, 42u);
  ASSERT_TRUE(thread->Call(Addr(&RemoteStoreForTest), {0x5eed}, &result, &error)) << error;
  const char kText[] = "pushed onto the stack";
  const uint64_t text = thread->PushBytes(kText, sizeof kText);
  ASSERT_NE(text, 0u);
  EXPECT_EQ(text % 16, 0u);
  EXPECT_LE(text + sizeof kText, thread->saved_regs().rsp - 128);
  const std::vector<char> too_big(RemoteThread::kMaxPushBytes);
  EXPECT_EQ(thread->PushBytes(too_big.data(), too_big.size()), 0u);  // with `text`, too much
  ASSERT_TRUE(thread->Call(Addr(&RemoteCopyStringForTest), {text}, &result, &error)) << error;
  EXPECT_EQ(result, strlen(kText));
  char back[sizeof kText] = {};
  ASSERT_TRUE(thread->Read(text, back, sizeof back));
  EXPECT_STREQ(back, kText);
  thread->Release();
  thread->Release();  // idempotent
  EXPECT_EQ(StatusField(child.pid(), child.pid(), "TracerPid"), "0");

  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  long stored = 0;
  char copied[sizeof g_copied_for_test] = {};
  ASSERT_TRUE(ReadReport(report.fd[0], &stored, sizeof stored));
  ASSERT_TRUE(ReadReport(report.fd[0], copied, sizeof copied));
  EXPECT_EQ(child.Wait(), 0);  // 4: read() saw EINTR, 5: wrong byte
  EXPECT_EQ(stored, 0x5eed);
  EXPECT_STREQ(copied, kText);
}

// A sleep with a timeout is cut short with -ERESTART_RESTARTBLOCK and must resume through
// restart_syscall, keeping its deadline.
void ExpectTimedWaitCarriesOn(int (*wait_2s)(), const std::vector<long>& nrs) {
  Child child([&] {
    const double start = Now();
    const int code = wait_2s();
    if (code != 0) return code;
    return Now() - start >= 1.99 ? 0 : 6;  // cut short
  });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), nrs);
  ASSERT_TRUE(thread);
  EXPECT_EQ(static_cast<long>(thread->saved_regs().rax), -516);  // -ERESTART_RESTARTBLOCK
  std::string error;
  uint64_t result = 0;
  ASSERT_TRUE(thread->Call(Addr(&RemoteAddForTest), {1, 2}, &result, &error)) << error;
  EXPECT_EQ(result, 3u);
  thread->Release();
  EXPECT_EQ(child.Wait(), 0);  // 4: EINTR
}

TEST(RemoteCallTest, NanosleepCompletesAfterRelease) {
  ExpectTimedWaitCarriesOn(
      [] {
        timespec ts{2, 0};
        if (nanosleep(&ts, nullptr) != 0) return errno == EINTR ? 4 : 3;
        return 0;
      },
      {SYS_nanosleep, SYS_clock_nanosleep});
}

TEST(RemoteCallTest, PollTimesOutNormallyAfterRelease) {
  ExpectTimedWaitCarriesOn(
      [] {
        int fds[2];
        if (pipe(fds) != 0) return 3;
        pollfd p{fds[0], POLLIN, 0};
        const int n = poll(&p, 1, 2000);
        if (n < 0) return errno == EINTR ? 4 : 3;
        return n == 0 ? 0 : 5;
      },
      {SYS_poll, SYS_ppoll});
}

TEST(RemoteCallTest, RunningThreadIsRefusedAndLeftRunning) {
  auto* counter = static_cast<std::atomic<unsigned long>*>(
      mmap(nullptr, sizeof(std::atomic<unsigned long>), PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(counter, MAP_FAILED);
  counter->store(0);
  Child child([&] {
    for (;;) counter->fetch_add(1, std::memory_order_relaxed);
    return 0;
  });
  while (counter->load() == 0) usleep(1000);
  std::string error;
  bool retry = false;
  EXPECT_EQ(RemoteThread::Stop(child.pid(), child.pid(), {SYS_read}, &error, &retry), nullptr);
  EXPECT_TRUE(retry);
  EXPECT_NE(error.find("running"), std::string::npos) << error;
  EXPECT_EQ(StatusField(child.pid(), child.pid(), "TracerPid"), "0");
  EXPECT_EQ(StatusField(child.pid(), child.pid(), "State"), "R");
  const unsigned long before = counter->load();
  for (int i = 0; i < 5000 && counter->load() == before; ++i) usleep(1000);
  EXPECT_GT(counter->load(), before);
  munmap(counter, sizeof *counter);
}

TEST(RemoteCallTest, ThreadInAnotherCallIsRefusedAndSleepsOn) {
  Child child([] {
    const double start = Now();
    timespec ts{1, 0};
    if (nanosleep(&ts, nullptr) != 0) return errno == EINTR ? 4 : 3;
    return Now() - start >= 0.99 ? 0 : 6;
  });
  ASSERT_TRUE(WaitForSyscall(child.pid(), child.pid(), {SYS_nanosleep, SYS_clock_nanosleep}));
  std::string error;
  bool retry = false;
  EXPECT_EQ(RemoteThread::Stop(child.pid(), child.pid(), {SYS_read}, &error, &retry), nullptr);
  EXPECT_TRUE(retry);
  EXPECT_NE(error.find("system call"), std::string::npos) << error;
  EXPECT_EQ(child.Wait(), 0);
}

// In a child: a worker thread reports its tid on `report`, then waits in read() on `input` for
// one byte, its exit code; meanwhile the main thread runs `step` over and over.
template <typename Step>
int WithWorkerInRead(const Pipe& input, const Pipe& report, Step step) {
  std::atomic<bool> done{false};
  int code = 7;
  std::thread worker([&] {
    const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (write(report.fd[1], &tid, sizeof tid) == sizeof tid) code = ReadOneByte(input.fd[0]);
    done.store(true);
  });
  while (!done.load()) step();
  worker.join();
  return code;
}

TEST(RemoteCallTest, OnlyTheChosenThreadStops) {
  struct Shared {
    std::atomic<unsigned long> counter;
  };
  auto* shared = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  shared->counter.store(0);
  Pipe input, report;
  Child child([&] {
    return WithWorkerInRead(input, report,
                            [&] { shared->counter.fetch_add(1, std::memory_order_relaxed); });
  });
  pid_t tid = 0;
  ASSERT_TRUE(ReadReport(report.fd[0], &tid, sizeof tid));
  ASSERT_NE(tid, child.pid());
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), tid, {SYS_read});
  ASSERT_TRUE(thread);
  const unsigned long at_stop = shared->counter.load();
  std::string error;
  uint64_t result = 0;
  ASSERT_TRUE(thread->Call(Addr(&RemoteGettidForTest), {}, &result, &error)) << error;
  EXPECT_EQ(static_cast<pid_t>(result), tid);
  EXPECT_EQ(StatusField(child.pid(), tid, "State"), "t");  // tracing stop
  EXPECT_EQ(StatusField(child.pid(), child.pid(), "TracerPid"), "0");
  for (int i = 0; i < 5000 && shared->counter.load() < at_stop + 1000; ++i) usleep(1000);
  EXPECT_GE(shared->counter.load(), at_stop + 1000);  // the main thread ran meanwhile
  thread->Release();
  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  EXPECT_EQ(child.Wait(), 0);
  munmap(shared, sizeof *shared);
}

TEST(RemoteCallTest, GroupStopDuringCallLetsTheCallFinish) {
  Pipe input, report;
  Child child([&] {
    return WithWorkerInRead(input, report, [] {
      if (g_stop_request_for_test.exchange(0) == 1) {
        kill(getpid(), SIGSTOP);  // this thread takes it, so the worker sees a group-stop
      }
    });
  });
  pid_t tid = 0;
  ASSERT_TRUE(ReadReport(report.fd[0], &tid, sizeof tid));
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), tid, {SYS_read});
  ASSERT_TRUE(thread);
  std::string error;
  uint64_t result = 0;
  ASSERT_TRUE(thread->Call(Addr(&RemoteWaitForGroupStopForTest),
                           {static_cast<uint64_t>(child.pid())}, &result, &error))
      << error;
  EXPECT_EQ(result, 1u);
  thread->Release();
  // Detached, the worker joins the stop still in effect.
  std::string state;
  for (int i = 0; i < 5000 && (state = StatusField(child.pid(), tid, "State")) != "T"; ++i) {
    usleep(1000);
  }
  EXPECT_EQ(state, "T");
  ASSERT_EQ(kill(child.pid(), SIGCONT), 0);
  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  EXPECT_EQ(child.Wait(), 0);
}

TEST(RemoteCallTest, VectorStateIsRestored) {
  Pipe input;
  Child child([&] {
    const unsigned mxcsr_in = kMxcsrRoundToZero;
    unsigned mxcsr_out = 0;
    asm volatile("ldmxcsr %0" : : "m"(mxcsr_in));
    char c = 0;
    long n;
    uint64_t after;
    // xmm8 must hold across the blocking read; the kernel itself never changes it.
    asm volatile("movq %[value], %%xmm8\n\tsyscall\n\tmovq %%xmm8, %[after]"
                 : "=a"(n), [after] "=r"(after)
                 : "0"(long{SYS_read}), "D"(long{input.fd[0]}), "S"(&c),
                   "d"(1L), [value] "r"(kXmmValueForTest)
                 : "rcx", "r11", "memory", "xmm8");
    asm volatile("stmxcsr %0" : "=m"(mxcsr_out));
    if (n != 1 || c != 'x') return 3;
    if (after != kXmmValueForTest) return 4;
    return mxcsr_out == mxcsr_in ? 0 : 5;
  });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), {SYS_read});
  ASSERT_TRUE(thread);
  std::string error;
  uint64_t result = 0;
  ASSERT_TRUE(thread->Call(Addr(&RemoteClobberVectorStateForTest), {}, &result, &error)) << error;
  EXPECT_EQ(result, kXmmValueForTest);  // the call ran with the thread's own state
  thread->Release();
  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  EXPECT_EQ(child.Wait(), 0);  // 4: xmm8 changed, 5: MXCSR changed
}

TEST(RemoteCallTest, SignalDuringCallIsHeldUntilRelease) {
  Pipe input;
  Child child([&] {
    struct sigaction sa = {};
    sa.sa_handler = [](int) { g_usr1_count_for_test = g_usr1_count_for_test + 1; };
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, nullptr);
    const int code = ReadOneByte(input.fd[0]);
    if (code != 0) return code;
    return g_usr1_count_for_test == 1 ? 0 : 20 + g_usr1_count_for_test;
  });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), {SYS_read});
  ASSERT_TRUE(thread);
  std::string error;
  uint64_t result = 99;
  ASSERT_TRUE(thread->Call(Addr(&RemoteRaiseUsr1ForTest), {}, &result, &error)) << error;
  EXPECT_EQ(result, 0u);  // the handler did not run inside the call
  thread->Release();
  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  EXPECT_EQ(child.Wait(), 0);  // 20: the signal was lost, 4: read() got EINTR
}

TEST(RemoteCallTest, FaultInCallLeavesThreadAsItWas) {
  Pipe input;
  Child child([&] { return ReadOneByte(input.fd[0]); });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), {SYS_read});
  ASSERT_TRUE(thread);
  std::string error;
  uint64_t result = 0;
  EXPECT_FALSE(thread->Call(8, {}, &result, &error));  // nothing is mapped at 8
  EXPECT_NE(error.find("SIGSEGV"), std::string::npos) << error;
  EXPECT_FALSE(thread->Call(Addr(&RemoteAddForTest), {1, 2}, &result, &error));
  thread->Release();
  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  EXPECT_EQ(child.Wait(), 0);
}

TEST(RemoteCallTest, ExitDuringCallIsReported) {
  Pipe input;
  Child child([&] { return ReadOneByte(input.fd[0]); });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), {SYS_read});
  ASSERT_TRUE(thread);
  std::string error;
  uint64_t result = 0;
  EXPECT_FALSE(thread->Call(Addr(&RemoteExitForTest), {7}, &result, &error));
  EXPECT_NE(error.find("exited"), std::string::npos) << error;
  EXPECT_NE(error.find("status 7"), std::string::npos) << error;
  thread->Release();
  // We are its tracer and its parent: the wait that saw the exit reaped it.
  EXPECT_EQ(waitpid(child.pid(), nullptr, WNOHANG | __WALL), -1);
  child.Forget();
}

TEST(RemoteCallTest, MissingThreadCannotBeRetried) {
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  std::string error;
  bool retry = true;
  EXPECT_EQ(RemoteThread::Stop(gone, gone, {SYS_read}, &error, &retry), nullptr);
  EXPECT_FALSE(retry);
  EXPECT_NE(error.find("no such thread"), std::string::npos) << error;

  // A live process, and a thread of another (ours).
  Pipe input;
  Child child([&] { return ReadOneByte(input.fd[0]); });
  retry = true;
  EXPECT_EQ(RemoteThread::Stop(child.pid(), getpid(), {SYS_read}, &error, &retry), nullptr);
  EXPECT_FALSE(retry);
  EXPECT_NE(error.find("no such thread"), std::string::npos) << error;
}

TEST(RemoteCallTest, TracedThreadCannotBeRetried) {
  Pipe input;
  Child child([&] { return ReadOneByte(input.fd[0]); });
  std::unique_ptr<RemoteThread> thread = StopBlocked(child.pid(), child.pid(), {SYS_read});
  ASSERT_TRUE(thread);
  std::string error;
  bool retry = true;
  EXPECT_EQ(RemoteThread::Stop(child.pid(), child.pid(), {SYS_read}, &error, &retry), nullptr);
  EXPECT_FALSE(retry);
  EXPECT_NE(error.find("already traced"), std::string::npos) << error;
  uint64_t result = 0;
  EXPECT_TRUE(thread->Call(Addr(&RemoteAddForTest), {2, 3}, &result, &error)) << error;
  EXPECT_EQ(result, 5u);
  thread.reset();  // the destructor releases
  ASSERT_EQ(write(input.fd[1], "x", 1), 1);
  EXPECT_EQ(child.Wait(), 0);
}

TEST(BlockedTerminationSignalsTest, BlocksForItsLifetimeOnly) {
  auto blocked = [](int sig) {
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    return sigismember(&mask, sig) == 1;
  };
  ASSERT_FALSE(blocked(SIGTERM));
  {
    BlockedTerminationSignals block;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) EXPECT_TRUE(blocked(sig)) << sig;
    EXPECT_FALSE(blocked(SIGUSR1));
  }
  EXPECT_FALSE(blocked(SIGTERM));
  EXPECT_FALSE(blocked(SIGINT));
}

}  // namespace
}  // namespace leaktrack
