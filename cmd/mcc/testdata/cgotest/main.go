// A cgo package with a test, for `mcc go test` and `mcc go run` under each
// target's qemu-user, and the musl build tag at work (tag_*.go).
package main

/*
static int triple(int x) { return 3 * x; }
*/
import "C"

import (
	"fmt"
	"runtime"
)

// Triple calls C: test files cannot use cgo themselves.
func Triple(x int) int { return int(C.triple(C.int(x))) }

func main() {
	fmt.Printf("triple=%d arch=%s tag=%s\n", Triple(14), runtime.GOARCH, libc)
}
