/* B1 helper (libbigtls.so, dlopened): 1 MiB of __thread data, so each thread's first touch makes
 * __tls_get_addr allocate the block with malloc, inside the dynamic loader. */
__thread char g_big_tls[1 << 20];

int TouchBigTls(int seed) {
  g_big_tls[seed % (1 << 20)] = (char)seed;
  g_big_tls[(1 << 20) - 1] = 1;
  return g_big_tls[seed % (1 << 20)] + g_big_tls[(1 << 20) - 1];
}
