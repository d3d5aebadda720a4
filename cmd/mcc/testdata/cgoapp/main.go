// A cgo program for mcc's tests: a C function, and os/user and net lookups
// that go through the C library when cgo is on.
package main

/*
static int triple(int x) { return 3 * x; }
*/
import "C"

import (
	"fmt"
	"net"
	"os/user"
	"runtime"
)

func main() {
	fmt.Printf("c=%d\n", int(C.triple(14)))
	u, err := user.LookupId("0")
	if err != nil {
		fmt.Println("user error:", err)
	} else {
		fmt.Printf("user=%s\n", u.Username)
	}
	addrs, err := net.LookupHost("localhost")
	fmt.Printf("localhost=%v err=%v\n", len(addrs) > 0, err)
	fmt.Printf("arch=%s\n", runtime.GOARCH)
}
