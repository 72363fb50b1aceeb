/* A plugin fixture_attach_busy loads after the attach: its leak must be tracked too (the shim
 * redirects objects loaded later on its next sample: preload/attach.h). Linked with BIND_NOW,
 * so its GOT is in RELRO, which the shim may open only once ld.so has sealed it. */
#include <stdlib.h>
#include <string.h>

void* volatile plugin_sink;

__attribute__((noinline)) void plugin_leak(void) {
  void* p = malloc(4096);
  memset(p, 7, 4096);
  plugin_sink = p;
}
