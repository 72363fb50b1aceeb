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

// Parses the state and thread count out of a /proc/PID/stat line. False if malformed. Exposed
// for tests.
bool ParseProcStat(const char* line, char* state, long* threads);

}  // namespace leaktrack
