package mkbundle

import (
	"bytes"
	"fmt"
	"os"

	"github.com/mcc-build/mcc/internal/atomicfile"
	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/userfile"
)

// DefaultMachineConfig is Debian Mono's 4.5 machine.config; WebClient,
// HttpListener and ConfigurationManager read their sections from it.
const DefaultMachineConfig = "/etc/mono/4.5/machine.config"

// DefaultDllMap maps the native libraries Mono's class libraries import to
// the names a glibc system installs. The static runtime answers all of
// them from linked-in code whatever the name; the glibc fallback needs the
// real file names.
const DefaultDllMap = `<configuration>
	<dllmap dll="i:cygwin1.dll" target="libc.so.6" os="!windows" />
	<dllmap dll="libc" target="libc.so.6" os="!windows" />
	<dllmap dll="System.Native" target="libmono-native.so.0" os="!windows" />
	<dllmap dll="MonoPosixHelper" target="libMonoPosixHelper.so" os="!windows" />
	<dllmap dll="libMonoPosixHelper" target="libMonoPosixHelper.so" os="!windows" />
</configuration>
`

// Options says what to bundle and with which runtime.
type Options struct {
	App     string   // the program, an .exe with an entry point
	Extras  []string // more assemblies to include (and their references)
	LibDirs []string // class-library directories; DefaultLibDirs if empty

	Runtime       string // Mono runtime executable the bundle is appended to
	MachineConfig string // DefaultMachineConfig if empty
	DllMap        string // mono config with <dllmap>s; DefaultDllMap if empty
}

// Result describes a written bundle.
type Result struct {
	Path    string
	Size    int64
	Members []*Member
}

// Bundle writes the bundle for opts to out (mode 0755), replacing it
// atomically.
func Bundle(opts Options, out string) (*Result, error) {
	libs := opts.LibDirs
	if len(libs) == 0 {
		libs = DefaultLibDirs
	}
	for _, d := range libs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, badinput.Errorf("class-library directory %s does not exist: install mono-devel or pass --lib DIR", d)
		}
	}
	members, err := Closure(opts.App, opts.Extras, libs)
	if err != nil {
		return nil, err
	}
	mc := opts.MachineConfig
	if mc == "" {
		mc = DefaultMachineConfig
	}
	if err := userfile.CheckInput(opts.Runtime); err != nil {
		return nil, badinput.Errorf("Mono runtime: %v", err)
	}
	if err := userfile.CheckInput(mc); err != nil {
		return nil, badinput.Errorf("machine.config: %v: install mono-runtime or give its path", err)
	}
	runtime, err := os.ReadFile(opts.Runtime)
	if err != nil {
		return nil, fmt.Errorf("reading Mono runtime: %w", err)
	}
	if _, _, err := ReadResources(runtime); err == nil {
		return nil, badinput.Errorf("Mono runtime %s already carries a bundle: give the plain runtime", opts.Runtime)
	}
	machineConfig, err := os.ReadFile(mc)
	if err != nil {
		return nil, fmt.Errorf("reading machine.config: %w", err)
	}
	dllmap := opts.DllMap
	if dllmap == "" {
		dllmap = DefaultDllMap
	}
	entries := make([]Resource, 0, len(members)+2)
	for _, m := range members {
		entries = append(entries, Resource{Kind: "assembly:" + m.FileName, Data: m.Data})
	}
	entries = append(entries,
		Resource{Kind: "systemconfig:", Data: []byte(dllmap)},
		Resource{Kind: "machineconfig:", Data: machineConfig})

	var buf bytes.Buffer
	if err := Write(&buf, runtime, entries); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(out, buf.Bytes(), 0o755); err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	return &Result{Path: out, Size: int64(buf.Len()), Members: members}, nil
}
