// Keeps libleaktrack.so loadable by every glibc since 2.17, although it is built against the
// build machine's (2.36 on Debian 12). Force-included (-include) into each source of the shared
// library; so_checks.sh fails the build's tests if a newer symbol version creeps in.
//
// glibc 2.34 moved the dl* and pthread_* functions into libc.so.6 under new symbol versions, so
// a shim linked as is requires GLIBC_2.34, and the loader of an older glibc (Debian 11, Ubuntu
// 20.04, RHEL 8: the images many services still run in) refuses it, and with it the program:
// "version `GLIBC_2.34' not found". Bound to the versions these functions have had since
// 2.2.5, the shim works with both: a new glibc keeps them in libc.so.6 for old binaries, an old
// one defines them in libdl.so.2 and libpthread.so.0, which the shim lists in DT_NEEDED for it
// (empty stubs on a new glibc). stat, lstat and fstat have no old version to bind to (they were
// inline wrappers of __xstat before 2.33): glibc_compat.cc defines them, hidden, as system calls.
#pragma once

#if defined(__x86_64__)
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlvsym,dlvsym@GLIBC_2.2.5");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
__asm__(".symver dladdr1,dladdr1@GLIBC_2.3.3");
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_key_create,pthread_key_create@GLIBC_2.2.5");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver pthread_setspecific,pthread_setspecific@GLIBC_2.2.5");
__asm__(".symver pthread_setname_np,pthread_setname_np@GLIBC_2.12");
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@GLIBC_2.2.5");
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.2.5");
#endif
