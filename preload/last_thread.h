// Whether a thread of the shim's is all that is left of the process.
//
// A process ends when its last thread does: a program whose main() calls pthread_exit ends when
// its other threads are done (glibc then calls exit(0) in the last one). The shim's interval
// thread (dump_trigger.cc) would keep such a process alive for good, and since that thread
// blocks every signal, even SIGTERM would stay pending: `timeout` could not end it. So the
// interval thread asks this between naps and, when it is alone, returns, and glibc ends the
// process as the program's last thread would have.
#pragma once

namespace leaktrack {

// True when the main thread has exited (the kernel keeps it as a zombie until the whole process
// ends: /proc/self/stat then reads state Z) and the calling thread is the only other one.
// False when unsure (no /proc). No allocation; a few system calls.
bool OnlyCallerThreadLeft();

// OnlyCallerThreadLeft for a thread that asks every nap, made cheap while the answer is plainly
// no. Reading /proc/self/stat is most of what an idle interval thread costs: about 80 us a nap
// here, and more with many threads (the kernel sums their times: 290 us a nap with 500).
//
// glibc counts the threads it runs (__nptl_nthreads: 1 at start, one more per pthread_create,
// one less as each ends, the main thread too when it calls pthread_exit; glibc calls exit(0)
// when it reaches 0). While that count is above 1, some thread other than the caller is alive,
// and /proc is not read. The count is GLIBC_PRIVATE, but libthread_db (and so gdb) reads it, and
// glibc exports it since 2.34; where it is missing (older glibc), every call reads /proc, as
// before. The count misses threads started by a raw clone and those that end by a raw exit
// system call, so it only says when /proc is worth reading: the answer is /proc's. And in case
// it says "alive" for good (a counted thread that left by a raw exit), /proc is read every
// kProcEveryCalls calls anyway: such a process outlives its last thread by at most that many
// naps instead of forever.
class LastThreadCheck {
 public:
  static constexpr unsigned kProcEveryCalls = 50;

  // `glibc_thread_count`: GlibcThreadCount()'s answer (nullptr: /proc every call). A thread's
  // own object.
  explicit LastThreadCheck(const unsigned int* glibc_thread_count)
      : glibc_thread_count_(glibc_thread_count) {}

  bool OnlyCallerLeft();

 private:
  const unsigned int* glibc_thread_count_;
  unsigned calls_since_proc_ = 0;
};

// glibc's count of the threads it runs, or nullptr where glibc does not export it. Looks it up
// on the first call only (dlvsym, which takes the loader's lock): make that call where the
// interval thread is started from init or attach, not in a signal handler, and not first in a
// fork child, whose copy of the lock another thread of the parent may have held.
const unsigned int* GlibcThreadCount();

// Parses the state and thread count out of a /proc/PID/stat line. False if malformed. Exposed
// for tests.
bool ParseProcStat(const char* line, char* state, long* threads);

}  // namespace leaktrack
