/* B2 helper (libie_tls1/2/3.so, dlopened by dlopen_tls): TLS_BYTES of initial-exec __thread
 * data, so the DSO carries DF_STATIC_TLS and dlopen must carve its block out of glibc's static
 * TLS surplus. Three of them leave little of that surplus for a later dlopen of the shim. */
#ifndef TLS_BYTES
#error "build with -DTLS_BYTES=n"
#endif

__thread char g_ie_tls[TLS_BYTES] __attribute__((tls_model("initial-exec")));

/* Writes v into this thread's block and returns the sum of the first and last byte. */
int TouchIeTls(int v) {
  g_ie_tls[0] = (char)v;
  g_ie_tls[TLS_BYTES - 1] = (char)(v + 1);
  return g_ie_tls[0] + g_ie_tls[TLS_BYTES - 1];
}

int IeTlsBytes(void) { return TLS_BYTES; }
