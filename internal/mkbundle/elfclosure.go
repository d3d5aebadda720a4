package mkbundle

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// GlibcLibDirs is where the glibc fallback looks for shared libraries: the
// multiarch directories of a Debian system in ld.so's order, then /usr/lib
// where Debian's Mono keeps its native helpers (and looks for them).
var GlibcLibDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib", "/lib64", "/lib"}

// SharedLibrary is one file of an ELF closure, by the path the loader will
// look it up at (its SONAME in a library directory, or the interpreter).
type SharedLibrary struct {
	Path   string // where it goes in the image, e.g. /lib/x86_64-linux-gnu/libc.so.6
	Source string // the file to copy (symlinks resolved)
}

// LibraryClosure finds every shared library the roots need, transitively,
// by reading PT_INTERP and DT_NEEDED, and looking names up in dirs. roots
// are executables or libraries given by path; libraries named by a bare
// SONAME in roots (e.g. a runtime's dlopen targets) are looked up too and
// included. The result is sorted by Path.
func LibraryClosure(roots []string, dirs []string) ([]SharedLibrary, error) {
	c := &libClosure{dirs: dirs, seen: map[string]SharedLibrary{}}
	for _, r := range roots {
		if !filepath.IsAbs(r) {
			if err := c.need(r, "the runtime"); err != nil {
				return nil, err
			}
			continue
		}
		c.queue = append(c.queue, r)
	}
	for len(c.queue) > 0 {
		p := c.queue[0]
		c.queue = c.queue[1:]
		if err := c.readNeeds(p); err != nil {
			return nil, err
		}
	}
	out := make([]SharedLibrary, 0, len(c.seen))
	for _, l := range c.seen {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// libClosure is LibraryClosure's walk: the libraries found, by the name
// they were needed as, and the files still to read.
type libClosure struct {
	dirs  []string
	seen  map[string]SharedLibrary
	queue []string
}

// need finds the library name (a path, or a SONAME looked up in c.dirs)
// that from needs, and queues it to be read.
func (c *libClosure) need(name, from string) error {
	if _, ok := c.seen[name]; ok {
		return nil
	}
	var found string
	if filepath.IsAbs(name) {
		found = name
	} else {
		for _, d := range c.dirs {
			p := filepath.Join(d, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				found = p
				break
			}
		}
	}
	if found == "" {
		return fmt.Errorf("shared library %s (needed by %s) not found in %s", name, from, strings.Join(c.dirs, ", "))
	}
	src, err := filepath.EvalSymlinks(found)
	if err != nil {
		return err
	}
	c.seen[name] = SharedLibrary{Path: found, Source: src}
	c.queue = append(c.queue, found)
	return nil
}

// readNeeds reads the interpreter (PT_INTERP) and the libraries
// (DT_NEEDED) the ELF file p needs.
func (c *libClosure) readNeeds(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err == nil {
				if err := c.need(strings.TrimRight(string(b), "\x00"), p); err != nil {
					return err
				}
			}
		}
	}
	libs, _ := f.ImportedLibraries()
	for _, l := range libs {
		if err := c.need(l, p); err != nil {
			return err
		}
	}
	return nil
}
