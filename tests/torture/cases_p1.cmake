# P1 rows of TORTURE.md (included from cases.cmake; same conventions).

lt_torture_prog(userns_first SOURCES progs/userns_first.c LIBS Threads::Threads)
lt_torture_case(B4 userns_first PRIORITY P1
  HOW "unshare(CLONE_NEWUSER) as the first call in main needs a single-threaded process: same result and thread count as baseline"
  COMMAND ${B}/userns_first userns)
lt_torture_case(B4 sigwait_daemon PRIORITY P1
  HOW "main blocks all signals, one thread sigwaits SIGTERM - after a dump, kill -TERM reaches the sigwait thread: exit 0, not 143"
  COMMAND ${B}/userns_first sigwait)

lt_torture_prog(spawn_storm SOURCES progs/spawn_storm.c LIBS Threads::Threads)
lt_torture_case(C2 spawn_storm PRIORITY P1 TIMEOUT 90
  HOW "2 threads x 150 posix_spawn + vfork/execve of /bin/true (TORTURE: 5000) while 2 threads allocate - afterwards 30 x 6007 B still sampled (rate 1)"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 6007:30
  COMMAND ${B}/spawn_storm 150)
lt_torture_case(C2 spawn_dirty_vfork PRIORITY P1 TIMEOUT 90
  HOW "as spawn_storm, but the vfork child mallocs and frees before execve (against POSIX)"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 6007:30
  COMMAND ${B}/spawn_storm 150 dirty)

lt_torture_prog(signalfd_owner SOURCES progs/signalfd_owner.c LIBS Threads::Threads)
lt_torture_case(D3 signalfd_owner PRIORITY P1
  HOW "SIGUSR2 blocked everywhere and read via signalfd: the program gets exactly its 5 signals, no dump"
  OPTS --max-dumps 0
  COMMAND ${B}/signalfd_owner signalfd)
lt_torture_case(D3 eintr_probe PRIORITY P1
  HOW "threads blocked in read() on a pipe and in accept() - 100 dump signals: neither returns EINTR (SA_RESTART)"
  OPTS --min-dumps 1
  COMMAND ${B}/signalfd_owner eintr)

lt_torture_prog(foreign_ptrs SOURCES progs/foreign_ptrs.c)
lt_torture_case(E2 foreign_ptrs PRIORITY P1
  HOW "__libc_malloc->free, malloc->__libc_free, __libc_memalign->free x10000: no crash, no output change"
  OPTS --max-shim-log-lines 1
  COMMAND ${B}/foreign_ptrs foreign)
lt_torture_case(E2 double_free PRIORITY P1
  HOW "double free aborts exactly as in baseline (SIGABRT, same glibc message)"
  OPTS --expect-status -6
  COMMAND ${B}/foreign_ptrs double_free)

lt_torture_prog(cxx_new SOURCES progs/cxx_new.cc)
lt_torture_case(E3 cxx_new PRIORITY P1
  HOW "new_handler frees a reserve then throws a custom type - nothrow huge new -> nullptr - bad_alloc - 1e5 alignas(4096) new/delete - at rate 1 the leaked new int is 1 live 4-B object"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 4:>=1 --expect-live 8192:0
  COMMAND ${B}/cxx_new)
lt_torture_case(E3 cxx_new_tcmalloc_before PRIORITY P1
  HOW "cxx_new with libtcmalloc_minimal preloaded before the shim"
  OPTS --preload-before ${TCMALLOC_SO}
  COMMAND ${B}/cxx_new)
lt_torture_case(E3 cxx_new_tcmalloc_after PRIORITY P1
  HOW "cxx_new with libtcmalloc_minimal preloaded after the shim"
  OPTS --preload-after ${TCMALLOC_SO}
  COMMAND ${B}/cxx_new)

lt_torture_prog(table_flood SOURCES progs/table_flood.c)
lt_torture_case(E5 table_flood PRIORITY P1
  HOW "LEAKTRACK_MAX_LIVE=4096 with 100000 live blocks at rate 1 - dump counts dropped samples - after freeing, 40 x 9001 B are tracked again - 1 s churn (TORTURE: 10M blocks, 60 s)"
  OPTS --env LEAKTRACK_MAX_LIVE=4096 --env LEAKTRACK_AT_EXIT=1 --min-dumps 1
       --expect-live 9001:40
  COMMAND ${B}/table_flood)

lt_torture_prog(dl_cycle SOURCES progs/dl_cycle.c LIBS dl)
lt_torture_case(G4 dl_cycle PRIORITY P1
  HOW "200 x (dlopen liba, leak via 3-deep chain, dlclose, dlopen libb at the same address, leak, dlclose) - at rate 1 exactly 200 live 11-B and 200 live 22-B objects"
  OPTS --env LEAKTRACK_AT_EXIT=1 --min-dumps 1 --expect-live 11:200 --expect-live 22:200
  COMMAND ${B}/dl_cycle ${B}/libdla.so ${B}/libdlb.so)

lt_torture_prog(deep_stacks SOURCES progs/deep_stacks.c LIBS Threads::Threads)
lt_torture_case(G5 deep PRIORITY P1
  HOW "5 recursions to 20000 levels (TORTURE: 100000) with a malloc every 1000 levels - stacks cut at LEAKTRACK_DEPTH"
  OPTS --env LEAKTRACK_AT_EXIT=1 --min-dumps 1
  COMMAND ${B}/deep_stacks deep)
lt_torture_case(G5 tight_stack PRIORITY P1
  HOW "threads with 16 KiB and 64 KiB stacks malloc at ~75% stack use (B2) - a handler on a MINSIGSTKSZ+2 KiB sigaltstack mallocs 200 times"
  COMMAND ${B}/deep_stacks tight)

lt_torture_prog(seccomp_after_init SOURCES progs/seccomp_after_init.c LIBS Threads::Threads)
lt_torture_case(I3 seccomp_eperm PRIORITY P1
  HOW "after warm-up, a seccomp filter makes openat/open/creat/pipe2/mincore/memfd_create/socket/perf_event_open fail with EPERM - deep-stack threads + dump signal: rc 0, dump fails with a warning"
  COMMAND ${B}/seccomp_after_init eperm)
lt_torture_case(I3 seccomp_kill PRIORITY P1
  HOW "the same syscalls kill the process: deep-stack allocation from new threads issues none of them (rc 0)"
  COMMAND ${B}/seccomp_after_init kill)

lt_torture_prog(naming SOURCES progs/naming.c)
lt_torture_case(I6 naming PRIORITY P1 TIMEOUT 90
  HOW "50 concurrent forked children dump 3 times each under their own pid - a child exec'd as 'my binary %p%%' dumps 3 times - all names distinct, decodable, no duplicate (pid, seq)"
  OPTS --min-dumps 153
  COMMAND ${B}/naming)
