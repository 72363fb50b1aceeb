/* B1 helper preload (libno_tls.so): defines __tls_get_addr and aborts when anything calls it.
 * Preloaded before the shim, it proves the shim (and what it links) never uses general-dynamic
 * TLS on the allocation path, which would re-enter malloc from __tls_get_addr. */
#include <unistd.h>

void* __tls_get_addr(void* ti) {
  (void)ti;
  static const char kMsg[] = "no_tls: __tls_get_addr called\n";
  write(2, kMsg, sizeof kMsg - 1);
  _exit(66);
}
