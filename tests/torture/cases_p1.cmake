# P1 rows of TORTURE.md (included from cases.cmake; same conventions).

lt_torture_prog(userns_first SOURCES progs/userns_first.c LIBS Threads::Threads)
lt_torture_case(B4 userns_first PRIORITY P1
  HOW "unshare(CLONE_NEWUSER) as the first call in main needs a single-threaded process: same result and thread count as baseline"
  COMMAND ${B}/userns_first userns)
lt_torture_case(B4 sigwait_daemon PRIORITY P1
  HOW "main blocks all signals, one thread sigwaits SIGTERM - after a dump, kill -TERM reaches the sigwait thread: exit 0, not 143"
  COMMAND ${B}/userns_first sigwait)

lt_torture_prog(spawn_storm SOURCES progs/spawn_storm.c LIBS Threads::Threads)
lt_load(spawns 150 2500)
lt_torture_case(C2 spawn_storm PRIORITY P1 TIMEOUT 90
  HOW "2 threads x ${spawns} posix_spawn + vfork/execve of /bin/true (TORTURE: 5000) while 2 threads allocate - afterwards 30 x 6007 B still sampled (rate 1)"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 6007:30
  COMMAND ${B}/spawn_storm ${spawns})
lt_torture_case(C2 spawn_dirty_vfork PRIORITY P1 TIMEOUT 90
  HOW "as spawn_storm, but the vfork child mallocs and frees before execve (against POSIX)"
  OPTS --env LEAKTRACK_AT_EXIT=1 --expect-live 6007:30
  COMMAND ${B}/spawn_storm ${spawns} dirty)

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
set(lt_dla_chain "libdla.so@Leaf,libdla.so@Mid,libdla.so@Leak,dl_cycle@LeakFrom,dl_cycle@main")
set(lt_dlb_chain "libdlb.so@Leaf,libdlb.so@Mid,libdlb.so@Leak,dl_cycle@LeakFrom,dl_cycle@main")
lt_torture_case(G4 dl_cycle PRIORITY P1
  HOW "200 x (dlopen liba, leak + churn via 3-deep chain, dlclose, dlopen libb at the same address (same code layout, other frame sizes), the same, dlclose) - at rate 1 exactly 200 live 11-B and 200 live 22-B objects; both libraries in the mapping table with distinct build IDs; every 11-B/64-KiB sample is liba's Leaf<-Mid<-Leak<-LeakFrom<-main and every 22-B/128-KiB one libb's, as pprof and leaktrack symbolize name them"
  OPTS --env LEAKTRACK_AT_EXIT=1 --min-dumps 1 --expect-live 11:200 --expect-live 22:200
       --expect-mapping libdla.so --expect-mapping libdlb.so
       --expect-stack 11:${lt_dla_chain} --expect-stack 65536:${lt_dla_chain}
       --expect-stack 22:${lt_dlb_chain} --expect-stack 131072:${lt_dlb_chain}
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

# ---- B2: static TLS budget when libraries (or the shim itself) are dlopened -----------------
# Three DSOs of 448 bytes of initial-exec TLS take 1344 of glibc 2.36's 1664-byte static TLS
# surplus; the ~320 left must hold the shim's own initial-exec TLS (budget 256 bytes).
foreach(n 1 2 3)
  lt_torture_prog(ie_tls${n} SHARED SOURCES progs/ie_tls_lib.c FLAGS -DTLS_BYTES=448)
endforeach()
lt_torture_prog(dlopen_tls SOURCES progs/dlopen_tls.c LIBS dl Threads::Threads)
lt_torture_case(B2 dlopen_shim PRIORITY P1
  HOW "dlopen 3 DSOs with 448 B of initial-exec TLS each, then dlopen libleaktrack.so: a handle (never a crash), SIGUSR2 and thread count unchanged, its malloc/free mix with libc's, 4 threads touch all IE blocks"
  COMMAND ${B}/dlopen_tls shim $<TARGET_FILE:leaktrack_preload>
          ${B}/libie_tls1.so ${B}/libie_tls2.so ${B}/libie_tls3.so)
lt_torture_case(B2 dlopen_jemalloc PRIORITY P1
  HOW "dlopen(\"libjemalloc.so.2\") gives the same result with and without the shim (Debian 12: a clean static-TLS dlerror in both); on success mallocx/dallocx from 4 threads (skip without libjemalloc2)"
  COMMAND ${B}/dlopen_tls jemalloc)
# Debian's libjemalloc.so.2 has 2632 bytes of initial-exec TLS, more than the default surplus:
# the plain leg fails cleanly in both runs; this one enlarges the surplus so the dlopen succeeds.
lt_torture_case(B2 dlopen_jemalloc_tunable PRIORITY P1
  HOW "as dlopen_jemalloc with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384, so the dlopen succeeds and mallocx/dallocx run from 4 threads next to the shim"
  OPTS --env GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384
  COMMAND ${B}/dlopen_tls jemalloc)

# ---- C3: exec'd children inherit LD_PRELOAD --------------------------------------------------
lt_torture_prog(exec_mark SHARED SOURCES progs/exec_mark_lib.c)
lt_torture_prog(exec_tree SOURCES progs/exec_tree.c)
lt_torture_prog(exec_tree_child SOURCES progs/exec_tree_child.c)
lt_torture_prog(exec_tree_child_static SOURCES progs/exec_tree_child.c FLAGS -DEXEC_TREE_STATIC)
target_link_options(exec_tree_child_static PRIVATE -static)
lt_torture_case(C3 exec_tree PRIORITY P1
  HOW "libexec_mark.so preloaded before the shim - system(\"sh -c ./child\"), posix_spawn, exec of a -static child report whether each preload is named/mapped (shim lines normalised to consistent yes/no) - LD_PRELOAD=shim ldd /bin/true and bash -c true rc 0 - at-exit dumps, one file per pid"
  OPTS --preload-before ${B}/libexec_mark.so --env LEAKTRACK_AT_EXIT=1 --min-dumps 4
  COMMAND ${B}/exec_tree tree ${B} $<TARGET_FILE:leaktrack_preload>)
lt_torture_case(C3 exec_tree_nofollow PRIORITY P1
  HOW "as exec_tree with LEAKTRACK_FOLLOW_EXEC=0 in the shim run: children that inherit the environment see LD_PRELOAD without the shim (libexec_mark.so kept) and do not map it; the explicit LD_PRELOAD=shim legs still run; only those and the parent dump"
  OPTS --preload-before ${B}/libexec_mark.so --env LEAKTRACK_AT_EXIT=1 --shim-env LEAKTRACK_FOLLOW_EXEC=0 --min-dumps 1
  COMMAND ${B}/exec_tree tree ${B} $<TARGET_FILE:leaktrack_preload>)
# The 32-bit child is built freestanding with ld -m elf_i386 against libc6-i386's libc.so.6,
# so it needs neither gcc-multilib nor libc6-dev-i386; only the 32-bit loader and libc.
set(LT_M32_CHILD ${B}/exec_tree_child32)
set(LT_M32_PROBE ${CMAKE_CURRENT_BINARY_DIR}/m32probe)
set(LT_M32_REASON "")
if(NOT EXISTS /lib/ld-linux.so.2 OR NOT EXISTS /usr/lib32/libc.so.6)
  set(LT_M32_REASON "no 32-bit loader/libc (/lib/ld-linux.so.2, /usr/lib32/libc.so.6: libc6-i386)")
else()
  file(MAKE_DIRECTORY ${LT_M32_PROBE})
  file(WRITE ${LT_M32_PROBE}/p.c "extern void _exit(int);\nvoid _start(void) { _exit(0); }\n")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -m32 -ffreestanding -nostdlib -c p.c -o p.o
                  WORKING_DIRECTORY ${LT_M32_PROBE} RESULT_VARIABLE lt_m32_cc
                  OUTPUT_QUIET ERROR_QUIET)
  set(lt_m32_ld 1)
  if(lt_m32_cc EQUAL 0)
    execute_process(COMMAND ${CMAKE_LINKER} -m elf_i386 -dynamic-linker /lib/ld-linux.so.2
                            -e _start -o p p.o /usr/lib32/libc.so.6
                    WORKING_DIRECTORY ${LT_M32_PROBE} RESULT_VARIABLE lt_m32_ld
                    OUTPUT_QUIET ERROR_QUIET)
  endif()
  if(NOT lt_m32_cc EQUAL 0 OR NOT lt_m32_ld EQUAL 0)
    set(LT_M32_REASON "${CMAKE_C_COMPILER} -m32 -c or ${CMAKE_LINKER} -m elf_i386 fails")
  endif()
endif()
if(LT_M32_REASON STREQUAL "")
  add_custom_command(OUTPUT ${LT_M32_CHILD}
    COMMAND ${CMAKE_C_COMPILER} -m32 -O0 -g -ffreestanding -fno-pic -fno-stack-protector
            -mstackrealign -nostdlib -c ${CMAKE_CURRENT_SOURCE_DIR}/progs/exec_tree_child32.c
            -o ${CMAKE_CURRENT_BINARY_DIR}/exec_tree_child32.o
    COMMAND ${CMAKE_LINKER} -m elf_i386 -dynamic-linker /lib/ld-linux.so.2 -e _start
            -o ${LT_M32_CHILD} ${CMAKE_CURRENT_BINARY_DIR}/exec_tree_child32.o
            /usr/lib32/libc.so.6
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/progs/exec_tree_child32.c
    COMMENT "Building the 32-bit exec_tree_child32 (C3)")
  add_custom_target(exec_tree_child32 ALL DEPENDS ${LT_M32_CHILD})
  set_property(GLOBAL APPEND PROPERTY LT_TORTURE_TARGETS exec_tree_child32)
  set(LT_M32_CMD ${B}/exec_tree m32 ${B} $<TARGET_FILE:leaktrack_preload> ${LT_M32_CHILD})
else()
  set(LT_M32_CMD sh -c "echo 'SKIP: 32-bit leg: ${LT_M32_REASON}'; exit 77")
endif()
lt_torture_case(C3 exec_tree_m32 PRIORITY P1
  HOW "LEAKTRACK_FOLLOW_EXEC=0: posix_spawn of a 32-bit child (freestanding, linked against libc6-i386) from a parent with libexec_mark.so and the 64-bit shim in LD_PRELOAD: the shim took itself out, so same report, status and stderr (the loader's one line for libexec_mark.so) as baseline"
  OPTS --preload-before ${B}/libexec_mark.so --shim-env LEAKTRACK_FOLLOW_EXEC=0
  COMMAND ${LT_M32_CMD})
# ld.so reports every LD_PRELOAD entry it cannot load (wrong class or missing file alike), so
# with follow-exec on the only silent way would be a 32-bit object at the path the 32-bit loader
# resolves ($LIB-style install plus a 32-bit stub, not built). The case pins the limitation down:
# exactly one extra line, naming our path, and nothing else different.
lt_torture_case(C3 exec_tree_m32_follow PRIORITY P1
  HOW "as exec_tree_m32 with follow-exec on (the default): the 32-bit child inherits the 64-bit shim path - same report and status; stderr differs by exactly ld.so's one 'wrong ELF class' line for our path (documented limitation; LEAKTRACK_FOLLOW_EXEC=0 avoids it)"
  OPTS --preload-before ${B}/libexec_mark.so
       --expect-extra-stderr "libleaktrack[.]so' from LD_PRELOAD cannot be preloaded [(]wrong ELF class: ELFCLASS64[)]"
  COMMAND ${LT_M32_CMD})

# ---- H1: Rust (rustc directly, no cargo, no crates) ----------------------------------------
find_program(LT_RUSTC rustc HINTS $ENV{HOME}/.cargo/bin)
if(LT_RUSTC)
  add_custom_command(OUTPUT ${B}/rust_mix
    COMMAND ${CMAKE_COMMAND} -E env --unset=MAKEFLAGS --unset=MFLAGS  # no make jobserver fds
            ${LT_RUSTC} --edition 2021 -g -C opt-level=0 -o ${B}/rust_mix
            ${CMAKE_CURRENT_SOURCE_DIR}/progs/rust_mix.rs
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/progs/rust_mix.rs
    COMMENT "Building rust_mix with ${LT_RUSTC} (H1)")
  add_custom_target(rust_mix ALL DEPENDS ${B}/rust_mix)
  set_property(GLOBAL APPEND PROPERTY LT_TORTURE_TARGETS rust_mix)
  set(LT_RUST_CMD ${B}/rust_mix)
else()
  set(LT_RUST_CMD sh -c "echo 'SKIP: rustc not found at configure time'; exit 77")
endif()
lt_torture_case(H1 rust_mix PRIORITY P1
  HOW "Rust: Vec/String churn + panic/catch_unwind in 8 threads, Box and Vec of #[repr(align(4096))], Command /bin/true x100, a child's stack overflow still prints Rust's message and aborts"
  COMMAND ${LT_RUST_CMD})

# ---- H2: Go with cgo (go build in the build tree; GOPROXY=off: nothing is downloaded) ------
find_program(LT_GO go)
if(LT_GO)
  set(lt_go_dir ${CMAKE_CURRENT_BINARY_DIR}/go_cgo_build)
  file(MAKE_DIRECTORY ${lt_go_dir} ${lt_go_dir}/home ${lt_go_dir}/cache)
  file(WRITE ${lt_go_dir}/go.mod "module leaktrack/torture/gocgo\n\ngo 1.19\n")
  add_custom_command(OUTPUT ${B}/go_cgo
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_SOURCE_DIR}/progs/go_cgo.go
            ${lt_go_dir}/main.go
    COMMAND ${CMAKE_COMMAND} -E env "GOFLAGS=-mod=mod -buildvcs=false" GOPROXY=off
            GOCACHE=${lt_go_dir}/cache HOME=${lt_go_dir}/home GOPATH=${lt_go_dir}/home/go
            CGO_ENABLED=1 ${LT_GO} build -o ${B}/go_cgo .
    WORKING_DIRECTORY ${lt_go_dir}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/progs/go_cgo.go
    COMMENT "Building go_cgo with ${LT_GO} (H2)")
  add_custom_target(go_cgo ALL DEPENDS ${B}/go_cgo)
  set_property(GLOBAL APPEND PROPERTY LT_TORTURE_TARGETS go_cgo)
  set(LT_GO_CMD ${B}/go_cgo)
else()
  set(LT_GO_CMD sh -c "echo 'SKIP: go not found at configure time'; exit 77")
endif()
lt_torture_case(H2 go_cgo PRIORITY P1
  HOW "Go + cgo: 16 goroutines, GOMAXPROCS=2, C.malloc/C.free for 3 s (TORTURE: 10 s), SIGUSR2 sent midway is absorbed by the Go runtime - same output, no crash, the shim logs that SIGUSR2 is taken"
  OPTS --expect-shim-log "SIGUSR2 is taken"
  COMMAND ${LT_GO_CMD})

# ---- I6: dump names across PID namespaces (needs root for unshare; skips otherwise) ---------
lt_torture_prog(naming_pidns SOURCES progs/naming_pidns.c)
lt_torture_case(I6 naming_pidns PRIORITY P1
  HOW "two PID namespaces one after the other, each with a pid-1 process dumping 3 times into the same directory: 6 distinct decodable files (none overwritten)"
  OPTS --min-dumps 6
  COMMAND ${B}/naming_pidns)
