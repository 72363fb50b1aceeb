# libunwind, built from Debian 12's source package into a static, position-independent archive
# that is linked into libleaktrack.so with every symbol hidden.
#
# Why not Debian's libunwind.so.8 (TORTURE.md B1, C5, I3, A3): it reaches its thread-locals
# through __tls_get_addr (general-dynamic TLS, which can malloc), validates every stack read with
# mincore() plus a pipe it keeps open forever, and takes locks with the program's (possibly
# interposed) sigprocmask. Built here:
#  - -ftls-model=initial-exec: its few thread-locals sit in the static TLS block, like ours;
#  - --disable-conservative-checks: stack reads are validated only when DWARF unwinding fails and
#    libunwind falls back to guessing (frame-chain), so a normal unwind issues no system call;
#  - force_include.h renames the two libc calls it must not make directly (see there), and
#    ../glibc_compat.h binds its pthread calls to versions every glibc since 2.17 has;
#  - libunwind_trace_cache_generation.patch lets us empty unw_backtrace's per-thread frame cache
#    after dlclose, and libunwind_trace_last_rbp.patch tells us rbp where its fast walk ended
#    (see each); they are applied in that order, right after extraction, and again when one
#    is added (a patch changed in place needs a fresh build tree: the old one is in already);
#  - no C++-exception support, no ptrace/coredump/setjmp parts, no shared library.
# The tarball is Debian's orig tarball, pinned by hash. Offline builds pass the path of a local
# copy: -DLEAKTRACK_LIBUNWIND_TARBALL=/path/libunwind_1.6.2.orig.tar.gz.
include(ExternalProject)

set(LEAKTRACK_LIBUNWIND_TARBALL
  "http://deb.debian.org/debian/pool/main/libu/libunwind/libunwind_1.6.2.orig.tar.gz"
  CACHE STRING "libunwind 1.6.2 source tarball (URL or local path)")
set(LEAKTRACK_LIBUNWIND_SHA256
  "4a6aec666991fb45d0889c44aede8ad6eb108071c3554fcdff671f9c94794976")

set(lt_unwind_prefix ${CMAKE_BINARY_DIR}/third_party/libunwind)
set(lt_unwind_cflags
  "-O2 -g -fPIC -fvisibility=hidden -ftls-model=initial-exec -fno-stack-protector -DNDEBUG")
set(lt_unwind_force_include ${CMAKE_CURRENT_LIST_DIR}/libunwind_force_include.h)
set(lt_unwind_glibc_compat ${CMAKE_CURRENT_LIST_DIR}/../glibc_compat.h)
set(lt_unwind_patches
  ${CMAKE_CURRENT_LIST_DIR}/libunwind_trace_cache_generation.patch
  ${CMAKE_CURRENT_LIST_DIR}/libunwind_trace_last_rbp.patch)
# Each is skipped when it is already in (it reverses cleanly): a re-run of the step must not fail.
# (No ';' in the command: CMake would split it into a list there.)
set(lt_unwind_patch_command "")
foreach(p ${lt_unwind_patches})
  string(APPEND lt_unwind_patch_command
    "(patch -p1 -R -s -f --dry-run -i '${p}' >/dev/null 2>&1 || patch -p1 -s -f -i '${p}') && ")
endforeach()
string(APPEND lt_unwind_patch_command "true")

# A local copy is used alone (CMake refuses a path inside a list of URLs); a URL gets
# snapshot.debian.org as the fallback for when the pool has moved on.
if(EXISTS "${LEAKTRACK_LIBUNWIND_TARBALL}")
  set(lt_unwind_urls "${LEAKTRACK_LIBUNWIND_TARBALL}")
else()
  set(lt_unwind_urls "${LEAKTRACK_LIBUNWIND_TARBALL}"
    "http://snapshot.debian.org/archive/debian/20230101T000000Z/pool/main/libu/libunwind/libunwind_1.6.2.orig.tar.gz")
endif()

ExternalProject_Add(libunwind_static
  URL ${lt_unwind_urls}
  URL_HASH SHA256=${LEAKTRACK_LIBUNWIND_SHA256}
  DOWNLOAD_NO_PROGRESS TRUE
  DOWNLOAD_EXTRACT_TIMESTAMP FALSE  # keep the tarball's: newer Makefile.am would re-run automake
  PREFIX ${lt_unwind_prefix}
  SOURCE_DIR ${lt_unwind_prefix}/src/libunwind
  BUILD_IN_SOURCE TRUE
  PATCH_COMMAND sh -c "${lt_unwind_patch_command}"
  # configure probes functions by linking, so the renames are only applied to the real build.
  CONFIGURE_COMMAND <SOURCE_DIR>/configure --quiet --enable-static --disable-shared --disable-conservative-checks --disable-cxx-exceptions
    --disable-coredump --disable-ptrace --disable-setjmp --disable-minidebuginfo
    --disable-zlibdebuginfo --disable-documentation --disable-tests --disable-weak-backtrace
    --disable-unwind-header CFLAGS=${lt_unwind_cflags}
  # Runs again only when a force-included header changed: compile everything again then (make
  # itself does not notice a header given on the command line).
  BUILD_COMMAND make -s -C src clean
  COMMAND make -s -C src libunwind.la
    "CFLAGS=${lt_unwind_cflags} -include ${lt_unwind_force_include} -include ${lt_unwind_glibc_compat}"
  INSTALL_COMMAND ""
  BUILD_BYPRODUCTS ${lt_unwind_prefix}/src/libunwind/src/.libs/libunwind.a
  LOG_CONFIGURE TRUE LOG_BUILD TRUE LOG_INSTALL TRUE LOG_OUTPUT_ON_FAILURE TRUE)
ExternalProject_Add_StepDependencies(libunwind_static build ${lt_unwind_force_include}
                                    ${lt_unwind_glibc_compat})
# A new or changed patch file runs the patch step again in an existing build tree (the ones
# already in are skipped), and with it everything after.
ExternalProject_Add_StepDependencies(libunwind_static patch ${lt_unwind_patches})

# The generated headers (libunwind.h, libunwind-common.h) land next to the sources.
file(MAKE_DIRECTORY ${lt_unwind_prefix}/src/libunwind/include)
add_library(leaktrack_libunwind STATIC IMPORTED GLOBAL)
set_target_properties(leaktrack_libunwind PROPERTIES
  IMPORTED_LOCATION ${lt_unwind_prefix}/src/libunwind/src/.libs/libunwind.a
  INTERFACE_INCLUDE_DIRECTORIES ${lt_unwind_prefix}/src/libunwind/include)
add_dependencies(leaktrack_libunwind libunwind_static)
