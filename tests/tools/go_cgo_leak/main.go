// A Go service whose C code leaks, for go_program_test.sh: `goleak N READY STOP` leaks N
// buffers of 64 KiB through a C function (cgo), the first N/4 called from openCache and the rest
// from openSession, writes READY, then waits for STOP to exist (at most 60 s) and exits 0. The
// leak is in C, where libleaktrack.so sees it; the profile must still tell the two Go callers
// apart. The Go runtime around it keeps every signal for itself.
package main

/*
#include <stdlib.h>
#include <string.h>

// noinline: the profile must show this function as the leak's allocation site.
__attribute__((noinline)) static void* leak_buffer(size_t n) {
  void* p = malloc(n);
  if (p != NULL) memset(p, 1, n);
  return p;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Two Go callers of the same C function, kept apart (noinline) as two call sites would be.
//
//go:noinline
func openCache() { C.leak_buffer(64 << 10) }

//go:noinline
func openSession() { C.leak_buffer(64 << 10) }

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: goleak N READY STOP")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		os.Exit(2)
	}
	for i := 0; i < n; i++ {
		if i < n/4 {
			openCache()
		} else {
			openSession()
		}
	}
	if err := os.WriteFile(os.Args[2], []byte("ready\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		os.Exit(1)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if _, err := os.Stat(os.Args[3]); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Println("leaked", n)
}
