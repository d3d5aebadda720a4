// Package mkbundle turns a Mono program into one executable: it finds the
// closure of assemblies a program references by reading their metadata,
// and appends them, with a machine.config and a dllmap config, to a Mono
// runtime in the format Mono's main.c probes for (mkbundle --simple).
//
// Make is 'mcc mkbundle' whole: it checks a Job, plans the native
// libraries the assemblies P/Invoke, gets the runtime and writes the
// bundle and its image's contents. What lives elsewhere in mcc (the
// target, the toolchain store's runtimes, internal/image) comes through
// Env, which mccenv implements.
package mkbundle

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Resource is one item of a bundle's directory.
type Resource struct {
	Kind string // "assembly:NAME", "systemconfig:", "machineconfig:", "config:NAME", "env:", "options:"
	Data []byte
}

// bundleSignature ends every bundle; the 8 bytes before it locate the
// directory.
const bundleSignature = "xmonkeysloveplay"

// payloadAlign aligns the first payload: the runtime mmaps the payloads
// from there, and mmap offsets must be page multiples (64 KiB covers arm64
// kernels with large pages).
const payloadAlign = 64 << 10

// Write writes runtime followed by the entries, their directory and the
// trailer. The first assembly entry is the program Mono runs. Same inputs,
// same bytes: nothing time- or host-dependent goes in.
func Write(w io.Writer, runtime []byte, entries []Resource) error {
	var buf bytes.Buffer
	buf.Write(runtime)
	pad(&buf, payloadAlign)
	offsets := make([]uint64, len(entries))
	for i, e := range entries {
		offsets[i] = uint64(buf.Len())
		buf.Write(e.Data)
		pad(&buf, 8)
	}
	dir := uint64(buf.Len())
	le := binary.LittleEndian
	buf.Write(le.AppendUint32(nil, uint32(len(entries))))
	for i, e := range entries {
		if uint64(len(e.Data)) > 1<<32-1 {
			return fmt.Errorf("bundle entry %s is over 4 GiB", e.Kind)
		}
		buf.Write(le.AppendUint32(nil, uint32(len(e.Kind)+1)))
		buf.WriteString(e.Kind)
		buf.WriteByte(0)
		buf.Write(le.AppendUint64(nil, offsets[i]))
		buf.Write(le.AppendUint32(nil, uint32(len(e.Data))))
	}
	buf.Write(le.AppendUint64(nil, dir))
	buf.WriteString(bundleSignature)
	_, err := w.Write(buf.Bytes())
	return err
}

func pad(b *bytes.Buffer, align int) {
	if r := b.Len() % align; r != 0 {
		b.Write(make([]byte, align-r))
	}
}

// ReadResources parses the bundle appended to an executable: its entries and
// where the runtime ends. It is the inverse of Write, for tests and checks.
func ReadResources(b []byte) (runtimeEnd int, entries []Resource, err error) {
	n := len(b)
	if n < 24 || string(b[n-16:]) != bundleSignature {
		return 0, nil, fmt.Errorf("no bundle signature")
	}
	le := binary.LittleEndian
	dir := le.Uint64(b[n-24:])
	if dir >= uint64(n-24) {
		return 0, nil, fmt.Errorf("bundle directory offset %d out of range", dir)
	}
	r := reader{b: b[dir : n-24]}
	count := r.u32()
	runtimeEnd = int(dir)
	for i := uint32(0); i < count && r.err == nil; i++ {
		klen := int(r.u32())
		kind := r.bytes(klen)
		off, size := r.u64(), r.u32()
		if r.err != nil {
			break
		}
		if len(kind) == 0 || off+uint64(size) > dir {
			return 0, nil, fmt.Errorf("bundle entry %d out of range", i)
		}
		entries = append(entries, Resource{Kind: string(bytes.TrimRight(kind, "\x00")), Data: b[off : off+uint64(size)]})
		if int(off) < runtimeEnd {
			runtimeEnd = int(off)
		}
	}
	if r.err != nil {
		return 0, nil, fmt.Errorf("corrupt bundle directory: %v", r.err)
	}
	return runtimeEnd, entries, nil
}
