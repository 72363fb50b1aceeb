// H2: a Go program with cgo under the shim. The Go runtime installs its own handler for every
// signal (saving the shim's SIGUSR2 handler, forwarding only synchronous signals), so a
// `kill -USR2` is absorbed by Go; C.malloc is called from goroutines on cgo stacks, so the
// shim unwinds from C into Go frames that have no .eh_frame.
// 16 goroutines with GOMAXPROCS=2 call C.malloc/C.free (sizes 1..4096, pattern written and
// checked in C) for 3 s (TORTURE: 10 s); at 1.5 s the process sends itself SIGUSR2 (no
// signal.Notify, so Go ignores it in both runs). Output is deterministic: the goroutine count,
// corrupted blocks (0) and whether the signal was survived. Expected: same output and status as
// the baseline, no crash.
package main

/*
#include <stdlib.h>
#include <string.h>

// Allocates n bytes, fills them with v, checks them, frees. Returns 1 when the block is bad.
static int churn_one(size_t n, unsigned char v) {
  unsigned char* p = malloc(n);
  if (p == NULL) return 1;
  memset(p, v, n);
  int bad = p[0] != v || p[n - 1] != v;
  free(p);
  return bad;
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	runtime.GOMAXPROCS(2)
	const workers = 16
	deadline := time.Now().Add(3 * time.Second)
	var bad, calls int64
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			held := make([]unsafe.Pointer, 0, 64)
			for i := 0; time.Now().Before(deadline); i++ {
				n := C.size_t(1 + (i*37+id*101)%4096)
				atomic.AddInt64(&bad, int64(C.churn_one(n, C.uchar(id+i))))
				// Keep up to 64 blocks alive for a while: frees from another point in time.
				p := C.malloc(n)
				C.memset(p, C.int(id), n)
				held = append(held, p)
				if len(held) == cap(held) {
					for _, q := range held {
						if *(*byte)(q) != byte(id) {
							atomic.AddInt64(&bad, 1)
						}
						C.free(q)
					}
					held = held[:0]
				}
				atomic.AddInt64(&calls, 1)
			}
			for _, q := range held {
				C.free(q)
			}
		}(g)
	}
	time.Sleep(1500 * time.Millisecond)
	err := syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	wg.Wait()
	fmt.Printf("%d goroutines, GOMAXPROCS=%d: bad blocks %d, some calls made %v\n",
		workers, runtime.GOMAXPROCS(0), atomic.LoadInt64(&bad), atomic.LoadInt64(&calls) > 1000)
	fmt.Printf("kill(self, SIGUSR2) midway: err=%v, process survived\n", err)
}
