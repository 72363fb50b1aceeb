# The torture matrix: one lt_torture_prog per program and one lt_torture_case per tested leg of
# a TORTURE.md row. Included from CMakeLists.txt; ${B} is the programs' output directory.
# HOW strings become the "how it is tested" column of docs/RELIABILITY.md. Durations are scaled
# from TORTURE.md (noted in HOW) to keep the whole matrix under 8 minutes on 2 cores.

set(JEMALLOC_SO /usr/lib/x86_64-linux-gnu/libjemalloc.so.2)
set(TCMALLOC_SO /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4)
set(MIMALLOC_SO /usr/lib/x86_64-linux-gnu/libmimalloc.so.2)

# ---- A. Bootstrap and initialisation -------------------------------------------------------
lt_torture_prog(boot_calloc_first SOURCES progs/boot_calloc_first.c LIBS dl)
lt_torture_case(A1 boot_calloc_first PRIORITY P0
  HOW "first allocation is a calloc from .preinit_array (plus an overflowing one), dlsym/dlerror x3, dlopen failure, strdup/realloc/free - MALLOC_CHECK_=3"
  OPTS --env MALLOC_CHECK_=3
  COMMAND ${B}/boot_calloc_first)
lt_torture_case(A1 force_bootstrap PRIORITY P0 NEEDS_FI
  HOW "same program with LEAKTRACK_TEST_FORCE_BOOTSTRAP=64 (first 64 allocations from the bootstrap pool, later freed/realloc'd by libc) - MALLOC_CHECK_=3"
  OPTS --env MALLOC_CHECK_=3 --shim-env LEAKTRACK_TEST_FORCE_BOOTSTRAP=64
  COMMAND ${B}/boot_calloc_first)

lt_torture_prog(early_alloc SOURCES progs/early_alloc.c LIBS Threads::Threads)
lt_torture_prog(early SHARED SOURCES progs/early_lib.c LIBS Threads::Threads)
lt_torture_case(A2 early_before_shim PRIORITY P0
  HOW "preinit + constructor(101) allocations - libearly.so preloaded BEFORE the shim allocates with every API and joins a thread in its constructor - early blocks freed from main"
  OPTS --preload-before ${B}/libearly.so --min-dumps 1
  COMMAND ${B}/early_alloc)
lt_torture_case(A2 early_after_shim PRIORITY P0
  HOW "as early_before_shim with libearly.so preloaded AFTER the shim"
  OPTS --preload-after ${B}/libearly.so --min-dumps 1
  COMMAND ${B}/early_alloc)

lt_torture_prog(hostile_calls SOURCES progs/hostile_calls.c LIBS Threads::Threads)
lt_torture_prog(hostile SHARED SOURCES progs/hostile_lib.c LIBS dl)
lt_load(hostile_s 2 20)
lt_torture_case(A3 hostile_before_shim PRIORITY P0
  HOW "libhostile.so (open/openat/fopen/sigprocmask/pthread_sigmask/localtime_r/pthread_getattr_np wrappers that malloc+dlsym) before the shim - 8 threads ${hostile_s} s (TORTURE: 20 s), getattr loop, dumps every 0.1 s and on SIGUSR2"
  OPTS --preload-before ${B}/libhostile.so --env LEAKTRACK_INTERVAL=0.1 --min-dumps 2
  COMMAND ${B}/hostile_calls ${hostile_s})
lt_torture_case(A3 hostile_after_shim PRIORITY P0
  HOW "as hostile_before_shim with libhostile.so after the shim"
  OPTS --preload-after ${B}/libhostile.so --env LEAKTRACK_INTERVAL=0.1 --min-dumps 2
  COMMAND ${B}/hostile_calls ${hostile_s})

# ---- B. TLS and threads --------------------------------------------------------------------
lt_torture_prog(dyn_tls SOURCES progs/dyn_tls.c LIBS dl Threads::Threads)
lt_torture_prog(bigtls SHARED SOURCES progs/bigtls_lib.c)
lt_torture_case(B1 dyn_tls PRIORITY P0
  HOW "dlopen a DSO with 1 MiB __thread data - 64 threads touch it, so __tls_get_addr mallocs on each first touch"
  OPTS --min-dumps 1
  COMMAND ${B}/dyn_tls ${B}/libbigtls.so)
lt_torture_prog(threads_workload SOURCES progs/threads_workload.c LIBS Threads::Threads)
lt_torture_prog(no_tls SHARED SOURCES progs/no_tls_lib.c)
lt_torture_case(B1 no_tls_get_addr PRIORITY P0
  HOW "libno_tls.so (a __tls_get_addr that aborts) preloaded before the shim - threaded workload with dumps: the shim must not use general-dynamic TLS"
  OPTS --preload-before ${B}/libno_tls.so --min-dumps 1
  COMMAND ${B}/threads_workload)

lt_torture_prog(thread_storm SOURCES progs/thread_storm.cc LIBS Threads::Threads)
lt_torture_case(B3 thread_storm PRIORITY P0 TIMEOUT 120
  HOW "1920 threads in waves of 64 (TORTURE: 20000): mixed malloc/free, thread_local and pthread-key destructors that allocate, free-only threads - RSS growth bound 8 MiB - at-exit live set = 30 leaks of 7777 B"
  OPTS --env LEAKTRACK_AT_EXIT=1 --min-dumps 1 --expect-live 7777:30
  COMMAND ${B}/thread_storm)

# ---- C. Process lifecycle ------------------------------------------------------------------
lt_torture_prog(fork_storm SOURCES progs/fork_storm.c LIBS Threads::Threads)
lt_load(forks 300 2000)
lt_torture_case(C1 fork_storm PRIORITY P0 TIMEOUT 120
  HOW "4 threads churn malloc/realloc/free while main forks ${forks} times (TORTURE: 2000) - each child allocates, joins a thread, dumps and must exit 0 within 5 s"
  OPTS --min-dumps 1
  COMMAND ${B}/fork_storm churn ${forks})
lt_torture_case(C1 fork_stalled_insert PRIORITY P0 NEEDS_FI RATES 1
  HOW "LEAKTRACK_TEST_STALL_INSERT=3000:1500 parks a thread inside a table insert while main forks 100 children that allocate"
  OPTS --shim-env LEAKTRACK_TEST_STALL_INSERT=3000:1500 --min-dumps 1
  COMMAND ${B}/fork_storm stall 100)

lt_torture_prog(exit_paths SOURCES progs/exit_paths.cc LIBS Threads::Threads)
lt_load(exit_runs 40 200)
lt_torture_case(C4 exit_paths PRIORITY P0 TIMEOUT 120
  HOW "exit(0) 50 ms into 8 allocating threads x${exit_runs} runs (TORTURE: 200), each < 2 s - late allocation from preinit-atexit, static and thread_local destructors, detached thread - _exit/_Exit/quick_exit - abort() keeps SIGABRT + core"
  COMMAND ${B}/exit_paths ${exit_runs})

lt_torture_prog(daemonize_fds SOURCES progs/daemonize_fds.c LIBS Threads::Threads)
lt_torture_case(C5 daemonize_fds PRIORITY P0
  HOW "close fds >= 3 after the first unwinds, fd 2 -> err.txt, in.txt/out.txt reuse the numbers - deep-stack threads + dump - 10 bytes read, out.txt empty, err.txt clean, inheritable fds same, exec'd child, EMFILE"
  OPTS --min-dumps 1
  COMMAND ${B}/daemonize_fds)
lt_torture_prog(fd_juggle SOURCES progs/fd_juggle.c LIBS Threads::Threads)
lt_torture_case(C5 fd_juggle PRIORITY P0 NEEDS_FI
  HOW "close(1) while a dump holds each of its files 50 ms (LEAKTRACK_TEST_STALL_OWN_FD): open() still returns 1, dup2(saved, 1) neither breaks the dump nor is undone by it - 2 dumps, same output"
  OPTS --shim-env LEAKTRACK_TEST_STALL_OWN_FD=50 --min-dumps 2
  COMMAND ${B}/fd_juggle)

# ---- D. Signals ----------------------------------------------------------------------------
lt_torture_prog(sig_midupdate SOURCES progs/sig_midupdate.c LIBS Threads::Threads)
lt_torture_case(D1 sig_storm PRIORITY P0
  HOW "4 allocating threads - 100 tgkill(T, SIGUSR2) + 100 kill(SIGUSR2) in bursts of 10 - a dump must appear within 2 s"
  OPTS --min-dumps 1
  COMMAND ${B}/sig_midupdate storm)
lt_torture_case(D1 sig_midupdate PRIORITY P0 NEEDS_FI RATES 1
  HOW "LEAKTRACK_TEST_STALL_INSERT=1500:300 parks thread T inside an insert while the 200 signals arrive (to T and to the process)"
  OPTS --shim-env LEAKTRACK_TEST_STALL_INSERT=1500:300 --min-dumps 1
  COMMAND ${B}/sig_midupdate stall)

lt_torture_prog(usr2_owner SOURCES progs/usr2_owner.c)
lt_torture_case(D2 usr2_owner_after PRIORITY P0
  HOW "program installs a counting SIGUSR2 handler in main (sigaction) and sends 10: counts 10, no dump, the shim logs once that the signal is taken (seen by its sigaction wrapper, at any rate)"
  OPTS --max-dumps 0 --expect-shim-log "SIGUSR2 is taken" --max-shim-log-lines 1
  COMMAND ${B}/usr2_owner after)
# The other ways in: each has its own wrapper in the shim, so each is a case of its own.
foreach(api signal ssignal __sigaction)
  lt_torture_case(D2 usr2_owner_after_${api} PRIORITY P0
    HOW "as usr2_owner_after, with ${api}() instead of sigaction()"
    OPTS --max-dumps 0 --expect-shim-log "SIGUSR2 is taken" --max-shim-log-lines 1
    COMMAND ${B}/usr2_owner after_${api})
endforeach()
lt_torture_case(D2 usr2_owner_restore PRIORITY P0
  HOW "program saves the old SIGUSR2 action (the shim's: a query tells the truth), counts 10 with its own handler, restores the saved action: the signal dumps again; one log line each way"
  OPTS --min-dumps 1 --expect-shim-log "SIGUSR2 is taken" --expect-shim-log "SIGUSR2 is leaktrack's again" --max-shim-log-lines 2
  COMMAND ${B}/usr2_owner restore)
lt_torture_case(D2 usr2_owner_before PRIORITY P0
  HOW "handler installed from .preinit_array, before the shim's constructor: counts 10, no dump"
  OPTS --max-dumps 0
  COMMAND ${B}/usr2_owner before)
lt_torture_case(D2 usr2_ign PRIORITY P0
  HOW "SIG_IGN set in main (and, ign_pre, from preinit) stays ignored: 10 signals, the process lives"
  COMMAND ${B}/usr2_owner ign)
lt_torture_case(D2 usr2_ign_pre PRIORITY P0
  HOW "SIG_IGN from .preinit_array is not replaced by the shim: no dump"
  OPTS --max-dumps 0
  COMMAND ${B}/usr2_owner ign_pre)
lt_torture_case(D2 trigger_rtmin PRIORITY P0
  HOW "LEAKTRACK_SIGNAL=RTMIN+3: SIGRTMIN+3 triggers a dump"
  OPTS --shim-env LEAKTRACK_SIGNAL=RTMIN+3 --min-dumps 1
  COMMAND ${B}/usr2_owner rt)
lt_torture_case(D2 trigger_off PRIORITY P0
  HOW "LEAKTRACK_SIGNAL=0: SIGUSR2 keeps its default action (killed by signal 12, as baseline)"
  OPTS --shim-env LEAKTRACK_SIGNAL=0 --expect-status -12 --max-dumps 0
  COMMAND ${B}/usr2_owner off)
lt_torture_prog(usr2_owner_static SOURCES progs/usr2_owner.c)
target_link_options(usr2_owner_static PRIVATE -static)
lt_torture_case(D2 usr2_static PRIORITY P0
  HOW "static binary with LD_PRELOAD: the shim cannot load, SIGUSR2 kills it in both runs (why the CLI must check /proc/PID/maps)"
  OPTS --expect-status -12 --max-dumps 0
  COMMAND ${B}/usr2_owner_static off)

lt_torture_prog(handler_reentry SOURCES progs/handler_reentry.c)
lt_torture_case(D4 handler_reentry PRIORITY P0 NEEDS_FI
  HOW "LEAKTRACK_TEST_SIGNAL_IN_UNWIND=14 raises SIGALRM inside every shim unwind (on its side stack) - the handler uses 96 KiB of stack and mallocs/frees 10 blocks - 20000 iterations (TORTURE: 1e5) - 50 later 4321-B leaks still sampled"
  OPTS --shim-env LEAKTRACK_TEST_SIGNAL_IN_UNWIND=14 --env LEAKTRACK_AT_EXIT=1 --expect-live 4321:50
  COMMAND ${B}/handler_reentry reentry)
lt_torture_case(D4 handler_longjmp PRIORITY P0 NEEDS_FI
  HOW "as handler_reentry, but the handler siglongjmps out of the shim's unwind"
  OPTS --shim-env LEAKTRACK_TEST_SIGNAL_IN_UNWIND=14 --env LEAKTRACK_AT_EXIT=1 --expect-live 4321:50
  COMMAND ${B}/handler_reentry longjmp)
lt_torture_case(D4 sigframe_altstack PRIORITY P0
  HOW "SIGALRM every 1 ms for 1 s, handler on a MINSIGSTKSZ+4 KiB sigaltstack mallocs while main spins in busy_loop"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 4321:50
  COMMAND ${B}/handler_reentry altstack)

# ---- E. API semantics ----------------------------------------------------------------------
lt_torture_prog(api_probe SOURCES progs/api_probe.c)
lt_torture_case(E1 api_probe PRIORITY P0
  HOW "~40 edge calls (malloc(0/SIZE_MAX), calloc overflow, aligned_alloc(3), memalign, valloc/pvalloc, reallocarray, realloc(p,0/SIZE_MAX), posix_memalign EINVAL/ENOMEM, errno across free) byte-identical - at rate 1 the live set: 0x10007 B, 1x20011 B, 0x777 B, 3x5555 B"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 10007:0 --expect-live 20011:1
       --expect-live 777:0 --expect-live 5555:3
  COMMAND ${B}/api_probe)

# ---- F. Other allocators -------------------------------------------------------------------
lt_torture_prog(api_sweep SOURCES progs/api_sweep.cc LIBS dl)
lt_torture_prog(api_sweep_jemalloc SOURCES progs/api_sweep.cc LIBS dl ${JEMALLOC_SO})
lt_torture_prog(api_sweep_tcmalloc SOURCES progs/api_sweep.cc LIBS dl ${TCMALLOC_SO})
lt_torture_case(F1 linked_jemalloc PRIORITY P0
  HOW "api_sweep (11 malloc-family functions + new/delete, mallctl proves jemalloc serves) linked with -ljemalloc - MALLOC_CONF=junk:true"
  OPTS --env MALLOC_CONF=junk:true --min-dumps 1
  COMMAND ${B}/api_sweep_jemalloc --no-pvalloc)
lt_torture_case(F1 linked_tcmalloc PRIORITY P0
  HOW "api_sweep linked with -ltcmalloc_minimal"
  OPTS --min-dumps 1
  COMMAND ${B}/api_sweep_tcmalloc)
foreach(alloc jemalloc tcmalloc mimalloc)
  string(TOUPPER ${alloc} up)
  set(so ${${up}_SO})
  set(extra)
  if(alloc STREQUAL "jemalloc")
    set(extra --no-pvalloc)
  endif()
  if(alloc STREQUAL "mimalloc" AND NOT EXISTS ${so})
    set(so /nonexistent/libmimalloc.so.2)  # the runner skips: package libmimalloc2 missing
  endif()
  lt_torture_case(F1 ${alloc}_before_shim PRIORITY P0
    HOW "api_sweep with ${alloc} preloaded before the shim (it wins malloc: the shim must go passive and say so) - MALLOC_CONF=junk:true for jemalloc"
    OPTS --preload-before ${so} --env MALLOC_CONF=junk:true --max-dumps 0
         --expect-shim-log "interposed|passive" 
    COMMAND ${B}/api_sweep ${extra})
  lt_torture_case(F1 ${alloc}_after_shim PRIORITY P0
    HOW "api_sweep with ${alloc} preloaded after the shim"
    OPTS --preload-after ${so} --env MALLOC_CONF=junk:true --min-dumps 1
    COMMAND ${B}/api_sweep ${extra})
endforeach()

# ---- G. Unwinding --------------------------------------------------------------------------
lt_torture_prog(raii SHARED SOURCES progs/raii_lib.cc LIBS Threads::Threads)
lt_torture_prog(cancel_raii SOURCES progs/cancel_raii.c LIBS dl Threads::Threads)
lt_torture_case(G1 cancel_raii PRIORITY P0
  HOW "C main dlopens a C++ lib - pthread_cancel of a thread blocked in read() runs its RAII destructor (x3) - 8 threads x 1000 throw/catch all caught"
  OPTS --min-dumps 1
  COMMAND ${B}/cancel_raii ${B}/libraii.so)

lt_torture_prog(no_cfi SOURCES progs/no_cfi.c progs/nocfi_chain.c)
set_source_files_properties(progs/nocfi_chain.c PROPERTIES COMPILE_OPTIONS
  "-fno-asynchronous-unwind-tables;-fno-unwind-tables;-fomit-frame-pointer")
lt_torture_case(G2 no_cfi PRIORITY P0
  HOW "malloc under (a) asm without CFI, (b) no unwind tables + no frame pointers, (c) a JIT page, (d) swapcontext on a 16 KiB malloc'd stack, (e) a PROT_NONE page above the first frame"
  OPTS --min-dumps 1
  COMMAND ${B}/no_cfi)

lt_torture_prog(dlstress SOURCES progs/dlstress.c LIBS dl Threads::Threads)
# Same code layout, different frame sizes: see dlcycle_lib.c (G4's stale-unwind-cache check).
set(LT_DLCYCLE_FLAGS -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -fno-inline)
lt_torture_prog(dla SHARED SOURCES progs/dlcycle_lib.c FLAGS -DVARIANT=1 ${LT_DLCYCLE_FLAGS})
lt_torture_prog(dlb SHARED SOURCES progs/dlcycle_lib.c FLAGS -DVARIANT=2 ${LT_DLCYCLE_FLAGS})
lt_load(dlstress_s 4 60)
lt_torture_case(G3 dlstress PRIORITY P0 TIMEOUT 90
  HOW "2 threads dlopen/dlclose libs whose ctor/dtor allocate, 2 threads allocate 30 deep, 1 thread loops dl_iterate_phdr, dumps every 0.1 s + SIGUSR2 - ${dlstress_s} s (TORTURE: 60 s)"
  OPTS --env LEAKTRACK_INTERVAL=0.1 --min-dumps 2
  COMMAND ${B}/dlstress ${dlstress_s} ${B}/libdla.so ${B}/libdlb.so)

# ---- I. Environment and output -------------------------------------------------------------
lt_torture_prog(dump_fail_matrix SOURCES progs/dump_fail_matrix.c)
lt_torture_case(I5 dump_fail_matrix PRIORITY P0 TIMEOUT 90
  HOW "LEAKTRACK_DIR missing then created - final names pre-occupied by symlinks to /dev/full, to a victim file, by FIFOs - EMFILE - 64 KiB tmpfs when mount is allowed - then dumping recovers"
  OPTS --env LEAKTRACK_DIR=@CWD@/dumps --min-dumps 2
  COMMAND ${B}/dump_fail_matrix no-fsize)
lt_torture_case(I5 fsize_sigxfsz PRIORITY P0 TIMEOUT 90
  HOW "the same matrix with step b: RLIMIT_FSIZE 256 B, so every dump write hits EFBIG + SIGXFSZ (default action: kill)"
  OPTS --env LEAKTRACK_DIR=@CWD@/dumps --min-dumps 2
  COMMAND ${B}/dump_fail_matrix)



lt_torture_prog(dump_twice SOURCES progs/dump_twice.c)
lt_torture_case(I5 fail_open PRIORITY P0 NEEDS_FI
  HOW "LEAKTRACK_TEST_FAIL_OPEN=1: the first dump's open fails with EIO - no stray file, the second dump succeeds"
  OPTS --shim-env LEAKTRACK_TEST_FAIL_OPEN=1 --min-dumps 1 --max-dumps 1
  COMMAND ${B}/dump_twice)
lt_torture_case(I5 fail_write PRIORITY P0 NEEDS_FI
  HOW "LEAKTRACK_TEST_FAIL_WRITE=1: the first dump's write fails with EIO - no partial/temp file, the second dump succeeds"
  OPTS --shim-env LEAKTRACK_TEST_FAIL_WRITE=1 --min-dumps 1 --max-dumps 1
  COMMAND ${B}/dump_twice)
include(${CMAKE_CURRENT_LIST_DIR}/cases_p1.cmake OPTIONAL)

lt_torture_prog(estimate SOURCES progs/estimate.c)
lt_torture_case(E1 inuse_estimate PRIORITY P0
  HOW "4000 leaked blocks of 300000+24i B: the at-exit dump's unbiased in-use estimate within 10% of the true 1.39 GB (rel. sd 1.6% at the default rate, exact at rate 1)"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-inuse 300000:396000:1391952000:0.10
  COMMAND ${B}/estimate)

# ---- Security ------------------------------------------------------------------------------
lt_torture_prog(security_probe SOURCES progs/security_probe.c)
foreach(mode setuid umask)
  add_test(NAME torture.SEC.${mode}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/security.sh ${mode}
                   $<TARGET_FILE:leaktrack_preload> ${B}/security_probe
                   ${LT_TORTURE_WORK}/SEC.${mode} ${LT_TORTURE_RESULTS})
  set_tests_properties(torture.SEC.${mode} PROPERTIES LABELS torture SKIP_RETURN_CODE 77
                       TIMEOUT 120 FIXTURES_REQUIRED lt_reliability)
endforeach()
# I1's secure-execution leg: the shim reaches setuid/setgid/file-capability programs through
# /etc/ld.so.preload (of a private mount namespace) and must stay passive there.
lt_torture_prog(getenv_spy SHARED SOURCES progs/getenv_spy_lib.c LIBS dl)
foreach(kind setuid setgid fcaps)
  add_test(NAME torture.I1.ld_so_preload_${kind}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/secure_preload.sh ${kind}
                   $<TARGET_FILE:leaktrack_preload> ${B}/libgetenv_spy.so ${B}/security_probe
                   ${LT_TORTURE_WORK}/I1.ld_so_preload_${kind} ${LT_TORTURE_RESULTS})
  set_tests_properties(torture.I1.ld_so_preload_${kind} PROPERTIES LABELS torture
                       SKIP_RETURN_CODE 77 TIMEOUT 120 FIXTURES_REQUIRED lt_reliability)
endforeach()
lt_torture_case(SEC no_listener PRIORITY P1
  HOW "after two dumps the process holds no socket at all (no listener, no connection)"
  OPTS --min-dumps 2
  COMMAND ${B}/security_probe sockets)
lt_torture_case(SEC no_overwrite PRIORITY P1
  HOW "regular files pre-created at leaktrack.<pid>.<0..31>.pb.gz are neither overwritten nor truncated by a dump"
  OPTS --allow-stray
  COMMAND ${B}/security_probe occupied)
