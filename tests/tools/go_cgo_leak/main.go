// A Go service whose C code leaks, for go_program_test.sh: `goleak N READY STOP` leaks N
// buffers of 64 KiB through a C function (cgo), writes READY, then waits for STOP to exist
// (at most 60 s) and exits 0. The leak is in C, where libleaktrack.so sees it; the Go runtime
// around it keeps every signal for itself, which is what the test is about.
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
		C.leak_buffer(64 << 10)
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
