//go:build !musl

package main

const libc = "not-musl"
