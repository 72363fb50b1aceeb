#!/usr/bin/env bash
# Static checks on libleaktrack.so itself (STYLE.md 4.7, TORTURE.md "Static checks in CI"):
#  - exports: exactly the malloc family, operator new/delete, the signal-disposition
#    functions (sigaction, signal and variants: D2), dlclose (G4) and our control API;
#  - imports: no stdio, no C++ runtime (exceptions, iostreams, operator new), no malloc hooks,
#    no time-of-day locale functions (tzset lock), no pthread_getattr_np;
#  - TLS: initial-exec only (no DTPMOD64/DTPOFF64 relocations), at most 256 bytes;
#  - libunwind is linked in statically: no libunwind.so / libgcc_s in DT_NEEDED, and no _Unwind_*
#    symbol defined at all, so exceptions and cancellation bind to libgcc_s as without us (G1);
#  - with zlib linked in (static): DT_NEEDED is libc.so.6 and, for glibc before 2.34, libdl.so.2
#    and libpthread.so.0; no zlib function is imported, so the shim loads into an image that has
#    no zlib, and a program's own deflate cannot take the shim's calls;
#  - no symbol version newer than GLIBC_2.17 is required (preload/glibc_compat.h), so the shim
#    loads into programs of every glibc since 2.17.
# usage: so_checks.sh path/to/libleaktrack.so static|shared
set -euo pipefail
so=$1 zlib=${2:-shared}
fail() { echo "FAIL: $*"; exit 1; }

exports=$(nm -D --defined-only "$so" | awk '$2 ~ /[TWVBDR]/ {print $3}' | sort)
allowed="malloc free calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc
pvalloc malloc_usable_size dlclose leaktrack_dump leaktrack_version leaktrack_attach
leaktrack_settings leaktrack_dump_handler_ours leaktrack_dump_requested leaktrack_dump_listener
leaktrack_dump_dirs leaktrack_dump_request_files
sigaction __sigaction signal bsd_signal sysv_signal __sysv_signal sigset ssignal
_Znwm _Znam _ZnwmRKSt9nothrow_t _ZnamRKSt9nothrow_t _ZnwmSt11align_val_t _ZnamSt11align_val_t
_ZnwmSt11align_val_tRKSt9nothrow_t _ZnamSt11align_val_tRKSt9nothrow_t _ZdlPv _ZdaPv _ZdlPvm
_ZdaPvm _ZdlPvSt11align_val_t _ZdaPvSt11align_val_t _ZdlPvmSt11align_val_t _ZdaPvmSt11align_val_t
_ZdlPvRKSt9nothrow_t _ZdaPvRKSt9nothrow_t _ZdlPvSt11align_val_tRKSt9nothrow_t
_ZdaPvSt11align_val_tRKSt9nothrow_t"
expected=$(echo $allowed | tr ' ' '\n' | sort)
[[ "$exports" == "$expected" ]] || fail "exports differ from the allowlist:
$(diff <(echo "$expected") <(echo "$exports") || true)"

imports=$(nm -D --undefined-only "$so" | awk '{print $2}' | sed 's/@.*//')
forbidden='^(printf|fprintf|sprintf|snprintf|vsnprintf|puts|fputs|fwrite|fopen|fclose|perror|'\
'strerror|localtime.*|tzset|__cxa_throw|__cxa_allocate_exception|__cxa_guard_acquire|_Znwm|_Znam|'\
'_ZSt.*|__malloc_hook|__free_hook|__realloc_hook|__memalign_hook|pthread_getattr_np|'\
'sigprocmask|pipe2|_Unwind_.*)$'
bad=$(echo "$imports" | grep -E "$forbidden" || true)
[[ -z "$bad" ]] || fail "forbidden imports: $bad"

relocs=$(readelf -rW "$so" | grep -cE "DTPMOD64|DTPOFF64" || true)
[[ "$relocs" == 0 ]] || fail "$relocs general-dynamic TLS relocations"
tls=$(( $(readelf -lW "$so" | awk '$1 == "TLS" {print $6}') ))
[[ -n "$tls" && "$tls" -le 256 ]] || fail "TLS MemSiz ${tls:-none} > 256 bytes"

needed=$(readelf -dW "$so" | awk '/NEEDED/ {gsub(/[\[\]]/, "", $5); print $5}')
bad=$(echo "$needed" | grep -E '^lib(unwind|gcc_s|stdc\+\+)' || true)
[[ -z "$bad" ]] || fail "DT_NEEDED must not list $bad (libunwind is linked in statically)"
if [[ "$zlib" == static ]]; then
  [[ "$(echo $needed | tr ' ' '\n' | sort | xargs)" == "libc.so.6 libdl.so.2 libpthread.so.0" ]] ||
    fail "DT_NEEDED is '$(echo $needed)', want libc.so.6, libdl.so.2 and libpthread.so.0"
  zlib_imports=$(echo "$imports" | grep -E '^(deflate|inflate|crc32|adler32|zlib).*' || true)
  [[ -z "$zlib_imports" ]] || fail "zlib functions imported: $zlib_imports"
fi
newest=$(objdump -T "$so" | grep -oE '\(GLIBC_[0-9.]+\)|GLIBC_[0-9.]+ ' | tr -d '() ' | sort -uV | tail -1)
[[ "$(printf '%s\n' "$newest" GLIBC_2.17 | sort -V | tail -1)" == GLIBC_2.17 ]] ||
  fail "requires $newest: older glibc would refuse to load the shim (see preload/glibc_compat.h): $(objdump -T "$so" | grep -F "$newest")"
unwind_defs=$(nm "$so" 2>/dev/null | awk '$2 ~ /[TtWw]/ && $3 ~ /^_Unwind_/' || true)
[[ -z "$unwind_defs" ]] || fail "defines _Unwind_* (would shadow libgcc_s): $unwind_defs"

echo "PASS: $(echo "$exports" | wc -l) exports, TLS ${tls} bytes, DT_NEEDED $(echo $needed), newest $newest"
