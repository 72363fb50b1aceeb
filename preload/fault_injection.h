// Test-only fault injection (TORTURE.md harness conventions; jemalloc's prof_mdump test hooks).
//
// Compiled in only when LEAKTRACK_FAULT_INJECTION is defined (the `make test` build); in normal
// builds every function here is an empty inline and the environment is never read. Switches:
//   LEAKTRACK_TEST_STALL_INSERT=<nth>:<ms>  the nth sampled insert parks its thread <ms> ms
//   LEAKTRACK_TEST_SIGNAL_IN_UNWIND=<signo> raise(signo) just before every stack unwind
//   LEAKTRACK_TEST_FORCE_BOOTSTRAP=<n>      serve the first n allocations from the bootstrap pool
//   LEAKTRACK_TEST_FAIL_OPEN=<n>            the nth open() of a dump file fails with EIO
//   LEAKTRACK_TEST_FAIL_WRITE=<n>           the nth write() of a dump file fails with EIO
//   LEAKTRACK_TEST_STALL_OWN_FD=<ms>        every file the shim opens for itself is held <ms> ms
//                                           more (own_fd.h), so a test can look at the numbers
//   LEAKTRACK_TEST_NO_TMPFILE=1             dump files take the named-temporary path, as on a file
//                                           system without O_TMPFILE (0 switches it back)
//   LEAKTRACK_TEST_CHECK_UNWIND=1           every stack walked from the caller's frame is walked
//                                           again from the unwinder and must match (else abort);
//                                           set for every torture and service run of `make test`
//   LEAKTRACK_TEST_CHECK_UNWIND=2           the same, and the first agreeing walk says so on
//                                           stderr (for the test that must see checks ran)
#pragma once

namespace leaktrack {

#ifdef LEAKTRACK_FAULT_INJECTION
void LoadFaultInjectionFromEnv();
void FaultMaybeStallInsert();
void FaultMaybeRaiseInUnwind();
// True when this dump open()/write() must fail (errno set to EIO by the caller).
bool FaultFailOpen();
bool FaultFailWrite();
void FaultMaybeStallOwnFd();
bool FaultNoTmpfile();
int FaultCheckUnwind();
#else
inline void LoadFaultInjectionFromEnv() {}
inline void FaultMaybeStallInsert() {}
inline void FaultMaybeRaiseInUnwind() {}
inline bool FaultFailOpen() { return false; }
inline bool FaultFailWrite() { return false; }
inline void FaultMaybeStallOwnFd() {}
inline bool FaultNoTmpfile() { return false; }
inline int FaultCheckUnwind() { return 0; }
#endif

}  // namespace leaktrack
