package mkbundle

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Assembly is what mkbundle needs to know about a .NET assembly: who it is,
// what it references, and which runtime it was built for.
type Assembly struct {
	Name       string // simple name, e.g. "System.Xml"
	Version    Version
	IsExe      bool   // has a managed entry point
	Runtime    string // metadata version string, e.g. "v4.0.30319"
	References []Reference
	// TargetFramework is the value of [assembly: TargetFramework(...)] if
	// present, e.g. ".NETFramework,Version=v4.5" or ".NETCoreApp,Version=v3.1".
	TargetFramework string
	// ModuleRefs are the ModuleRef table's names, in table order;
	// PInvoked, sorted, the ones [DllImport] methods name: the native
	// libraries the assembly may load.
	ModuleRefs []string
	PInvoked   []string
}

// Reference is one row of the AssemblyRef table.
type Reference struct {
	Name    string
	Version Version
}

// Version is an assembly version.
type Version struct{ Major, Minor, Build, Revision uint16 }

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.Revision)
}

// FormatError says why a file is not an assembly mcc can bundle. Kind is a
// short machine-readable reason.
type FormatError struct {
	Kind   string // "native-elf", "native-pe", "not-pe", "corrupt", "truncated", "netcore"
	Detail string
}

func (e *FormatError) Error() string { return e.Detail }

func formatErr(kind, format string, args ...any) error {
	return &FormatError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// ReadAssembly parses the CLI metadata of a PE file (ECMA-335 partition II).
// It never panics on malformed input; every failure is a *FormatError.
func ReadAssembly(data []byte) (a *Assembly, err error) {
	defer func() {
		// debug/pe and the table walker index slices from untrusted
		// lengths; they check bounds, but a corrupt file must never crash us.
		if r := recover(); r != nil {
			a, err = nil, formatErr("corrupt", "corrupt assembly: %v", r)
		}
	}()
	switch {
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return nil, formatErr("native-elf", "is a native ELF executable or library, not a .NET assembly")
	case !bytes.HasPrefix(data, []byte("MZ")):
		return nil, formatErr("not-pe", "is not a .NET assembly (no PE/MZ header)")
	}
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, formatErr("corrupt", "is a corrupt PE file: %v", err)
	}
	if err := checkSections(f, len(data)); err != nil {
		return nil, err
	}
	cliDir, err := cliDirectory(f)
	if err != nil {
		return nil, err
	}
	img := &image{data: data, f: f}
	cli, err := img.at(cliDir.VirtualAddress, 72)
	if err != nil {
		return nil, formatErr("corrupt", "corrupt CLI header: %v", err)
	}
	mdRVA := binary.LittleEndian.Uint32(cli[8:])
	mdSize := binary.LittleEndian.Uint32(cli[12:])
	entryToken := binary.LittleEndian.Uint32(cli[20:])
	md, err := img.at(mdRVA, mdSize)
	if err != nil {
		return nil, formatErr("corrupt", "corrupt metadata location: %v", err)
	}
	if err := img.checkCLIData(cli); err != nil {
		return nil, err
	}
	m, err := parseMetadata(md)
	if err != nil {
		return nil, formatErr("corrupt", "corrupt metadata: %v", err)
	}
	if err := img.checkMethodBodies(m); err != nil {
		return nil, formatErr("corrupt", "corrupt method bodies: %v", err)
	}
	a = &Assembly{Runtime: m.version, IsExe: f.Characteristics&pe.IMAGE_FILE_DLL == 0 && entryToken != 0}
	if m.rows[tAssembly] == 0 {
		return nil, formatErr("corrupt", "is a .NET module without an assembly manifest")
	}
	if err := m.readAssembly(a); err != nil {
		return nil, formatErr("corrupt", "corrupt metadata tables: %v", err)
	}
	return a, nil
}

// cliDirectory is the data directory of the CLI header, which only .NET
// assemblies have.
func cliDirectory(f *pe.File) (pe.DataDirectory, error) {
	var dirs []pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		dirs = oh.DataDirectory[:oh.NumberOfRvaAndSizes]
	case *pe.OptionalHeader64:
		dirs = oh.DataDirectory[:oh.NumberOfRvaAndSizes]
	default:
		return pe.DataDirectory{}, formatErr("corrupt", "is a corrupt PE file: no optional header")
	}
	const cliHeaderDir = 14
	if len(dirs) <= cliHeaderDir || dirs[cliHeaderDir].VirtualAddress == 0 {
		return pe.DataDirectory{}, formatErr("native-pe", "is a native Windows executable, not a .NET assembly (no CLI header)")
	}
	return dirs[cliHeaderDir], nil
}

// image maps RVAs to file bytes through the section table.
type image struct {
	data []byte
	f    *pe.File
}

// at returns size bytes at rva. Like Mono's loader, it looks only in the
// sections' raw data: what lies past it is zeros in memory, not in the file.
func (im *image) at(rva, size uint32) ([]byte, error) {
	for _, s := range im.f.Sections {
		if rva >= s.VirtualAddress && uint64(rva)+uint64(size) <= uint64(s.VirtualAddress)+uint64(s.Size) {
			off := uint64(s.Offset) + uint64(rva-s.VirtualAddress)
			if off+uint64(size) > uint64(len(im.data)) {
				return nil, fmt.Errorf("RVA %#x+%d beyond end of file", rva, size)
			}
			return im.data[off : off+uint64(size)], nil
		}
	}
	return nil, fmt.Errorf("RVA %#x not in any section", rva)
}

// checkSections refuses a file cut short. Mono refuses an image whose
// sections run past the end of the file, but only when it loads it, at run
// time; a bundle must not carry one.
func checkSections(f *pe.File, size int) error {
	for _, s := range f.Sections {
		if end := uint64(s.Offset) + uint64(s.Size); end > uint64(size) {
			return formatErr("truncated", "is truncated: its section %s ends at byte %d, but the file has %d bytes: copy it again or rebuild it", s.Name, end, size)
		}
	}
	return nil
}

// checkCLIData checks that the managed resources and the strong-name
// signature the CLI header points at (II.25.3.3) are in the file.
func (im *image) checkCLIData(cli []byte) error {
	for _, d := range []struct {
		what string
		at   int
	}{{"managed resources", 24}, {"strong-name signature", 32}} {
		rva, size := binary.LittleEndian.Uint32(cli[d.at:]), binary.LittleEndian.Uint32(cli[d.at+4:])
		if rva == 0 && size == 0 {
			continue
		}
		if _, err := im.at(rva, size); err != nil {
			return formatErr("corrupt", "corrupt CLI header: its %s: %v", d.what, err)
		}
	}
	return nil
}

// checkMethodBodies checks that every method's IL body (II.25.4) lies
// whole in the file: a body cut short fails only when the method runs.
func (im *image) checkMethodBodies(m *metadata) error {
	for row := 1; row <= int(m.rows[tMethodDef]); row++ {
		rva, err := m.cell(tMethodDef, row, 0)
		if err != nil {
			return err
		}
		if rva == 0 { // abstract, extern or runtime-provided
			continue
		}
		h, err := im.at(rva, 1)
		if err != nil {
			return fmt.Errorf("method %d: %v", row, err)
		}
		var size uint64
		switch h[0] & 3 {
		case 2: // tiny header: the code size is in the top six bits
			size = 1 + uint64(h[0]>>2)
		case 3: // fat header: 12 bytes, then CodeSize bytes of IL
			fat, err := im.at(rva, 12)
			if err != nil {
				return fmt.Errorf("method %d: %v", row, err)
			}
			size = uint64(fat[1]>>4)*4 + uint64(binary.LittleEndian.Uint32(fat[4:]))
		default:
			return fmt.Errorf("method %d: bad IL header %#x", row, h[0])
		}
		if size > 1<<32-1 {
			return fmt.Errorf("method %d: body of %d bytes", row, size)
		}
		if _, err := im.at(rva, uint32(size)); err != nil {
			return fmt.Errorf("method %d: %v", row, err)
		}
	}
	return nil
}

// Metadata table numbers (ECMA-335 II.22) that mkbundle reads.
const (
	tModule                 = 0x00
	tTypeRef                = 0x01
	tTypeDef                = 0x02
	tField                  = 0x04
	tMethodDef              = 0x06
	tParam                  = 0x08
	tInterfaceImpl          = 0x09
	tMemberRef              = 0x0A
	tCustomAttribute        = 0x0C
	tDeclSecurity           = 0x0E
	tStandAloneSig          = 0x11
	tEvent                  = 0x14
	tProperty               = 0x17
	tModuleRef              = 0x1A
	tTypeSpec               = 0x1B
	tAssembly               = 0x20
	tAssemblyRef            = 0x23
	tFile                   = 0x26
	tExportedType           = 0x27
	tManifestResource       = 0x28
	tGenericParam           = 0x2A
	tMethodSpec             = 0x2B
	tGenericParamConstraint = 0x2C
	numTables               = 0x2D
)

// Column kinds.
const (
	cU16 = iota + 1
	cU32
	cString
	cGUID
	cBlob
	cTable // simple index into the table in colSpec.ref
	cCoded // coded index of colSpec.coded
)

type colSpec struct {
	kind  int
	ref   int // table for cTable
	coded int // coded index kind for cCoded
}

// Coded index kinds (II.24.2.6): the tables each can point into.
var codedTables = [][]int{
	{tTypeDef, tTypeRef, tTypeSpec}, // 0 TypeDefOrRef
	{tField, tParam, tProperty},     // 1 HasConstant
	{tMethodDef, tField, tTypeRef, tTypeDef, tParam, // 2 HasCustomAttribute
		tInterfaceImpl, tMemberRef, tModule, tDeclSecurity, tProperty, tEvent,
		tStandAloneSig, tModuleRef, tTypeSpec, tAssembly, tAssemblyRef, tFile,
		tExportedType, tManifestResource, tGenericParam, tGenericParamConstraint, tMethodSpec},
	{tField, tParam},                                        // 3 HasFieldMarshal
	{tTypeDef, tMethodDef, tAssembly},                       // 4 HasDeclSecurity
	{tTypeDef, tTypeRef, tModuleRef, tMethodDef, tTypeSpec}, // 5 MemberRefParent
	{tEvent, tProperty},                                     // 6 HasSemantics
	{tMethodDef, tMemberRef},                                // 7 MethodDefOrRef
	{tField, tMethodDef},                                    // 8 MemberForwarded
	{tFile, tAssemblyRef, tExportedType},                    // 9 Implementation
	{-1, -1, tMethodDef, tMemberRef, -1},                    // 10 CustomAttributeType
	{tModule, tModuleRef, tAssemblyRef, tTypeRef},           // 11 ResolutionScope
	{tTypeDef, tMethodDef},                                  // 12 TypeOrMethodDef
}

const (
	ciTypeDefOrRef = iota
	ciHasConstant
	ciHasCustomAttribute
	ciHasFieldMarshal
	ciHasDeclSecurity
	ciMemberRefParent
	ciHasSemantics
	ciMethodDefOrRef
	ciMemberForwarded
	ciImplementation
	ciCustomAttributeType
	ciResolutionScope
	ciTypeOrMethodDef
)

var (
	u16 = colSpec{kind: cU16}
	u32 = colSpec{kind: cU32}
	str = colSpec{kind: cString}
	gid = colSpec{kind: cGUID}
	blb = colSpec{kind: cBlob}
)

func idx(t int) colSpec   { return colSpec{kind: cTable, ref: t} }
func coded(c int) colSpec { return colSpec{kind: cCoded, coded: c} }

// tableSchemas lists every table's columns (II.22), needed to find where
// the tables mkbundle reads begin.
var tableSchemas = [numTables][]colSpec{
	0x00: {u16, str, gid, gid, gid},
	0x01: {coded(ciResolutionScope), str, str},
	0x02: {u32, str, str, coded(ciTypeDefOrRef), idx(tField), idx(tMethodDef)},
	0x03: {idx(tField)},
	0x04: {u16, str, blb},
	0x05: {idx(tMethodDef)},
	0x06: {u32, u16, u16, str, blb, idx(tParam)},
	0x07: {idx(tParam)},
	0x08: {u16, u16, str},
	0x09: {idx(tTypeDef), coded(ciTypeDefOrRef)},
	0x0A: {coded(ciMemberRefParent), str, blb},
	0x0B: {u16, coded(ciHasConstant), blb},
	0x0C: {coded(ciHasCustomAttribute), coded(ciCustomAttributeType), blb},
	0x0D: {coded(ciHasFieldMarshal), blb},
	0x0E: {u16, coded(ciHasDeclSecurity), blb},
	0x0F: {u16, u32, idx(tTypeDef)},
	0x10: {u32, idx(tField)},
	0x11: {blb},
	0x12: {idx(tTypeDef), idx(tEvent)},
	0x13: {idx(tEvent)},
	0x14: {u16, str, coded(ciTypeDefOrRef)},
	0x15: {idx(tTypeDef), idx(tProperty)},
	0x16: {idx(tProperty)},
	0x17: {u16, str, blb},
	0x18: {u16, idx(tMethodDef), coded(ciHasSemantics)},
	0x19: {idx(tTypeDef), coded(ciMethodDefOrRef), coded(ciMethodDefOrRef)},
	0x1A: {str},
	0x1B: {blb},
	0x1C: {u16, coded(ciMemberForwarded), str, idx(tModuleRef)},
	0x1D: {u32, idx(tField)},
	0x1E: {u32, u32},
	0x1F: {u32},
	0x20: {u32, u16, u16, u16, u16, u32, blb, str, str},
	0x21: {u32},
	0x22: {u32, u32, u32},
	0x23: {u16, u16, u16, u16, u32, blb, str, str, blb},
	0x24: {u32, idx(tAssemblyRef)},
	0x25: {u32, u32, u32, idx(tAssemblyRef)},
	0x26: {u32, str, blb},
	0x27: {u32, u32, str, str, coded(ciImplementation)},
	0x28: {u32, u32, str, coded(ciImplementation)},
	0x29: {idx(tTypeDef), idx(tTypeDef)},
	0x2A: {u16, u16, coded(ciTypeOrMethodDef), str},
	0x2B: {coded(ciMethodDefOrRef), blb},
	0x2C: {idx(tGenericParam), coded(ciTypeDefOrRef)},
}

type metadata struct {
	version       string
	strings, blob []byte
	heapSizes     byte
	rows          [64]uint32
	tables        [numTables][]byte // each table's bytes
	rowSize       [numTables]int
	colOff        [numTables][]int
	colSize       [numTables][]int
}

func parseMetadata(md []byte) (*metadata, error) {
	r := reader{b: md}
	if r.u32() != 0x424A5342 {
		return nil, errors.New("bad metadata signature")
	}
	r.skip(8) // major, minor, reserved
	vlen := r.u32()
	if vlen > 256 {
		return nil, fmt.Errorf("metadata version length %d", vlen)
	}
	m := &metadata{version: strings.TrimRight(string(r.bytes(int(vlen))), "\x00")}
	r.skip(2) // flags
	nstreams := int(r.u16())
	var tildeStream []byte
	for i := 0; i < nstreams && r.err == nil; i++ {
		off, size := r.u32(), r.u32()
		name := r.cstring4()
		if r.err != nil {
			break
		}
		if uint64(off)+uint64(size) > uint64(len(md)) {
			return nil, fmt.Errorf("stream %q beyond metadata", name)
		}
		s := md[off : off+size]
		switch name {
		case "#~", "#-":
			tildeStream = s
		case "#Strings":
			m.strings = s
		case "#Blob":
			m.blob = s
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if tildeStream == nil {
		return nil, errors.New("no #~ table stream")
	}
	return m, m.parseTables(tildeStream)
}

func (m *metadata) parseTables(s []byte) error {
	r := reader{b: s}
	r.skip(6)
	m.heapSizes = r.u8()
	r.skip(1)
	valid := r.u64()
	r.skip(8) // sorted
	for t := 0; t < 64; t++ {
		if valid&(1<<t) != 0 {
			m.rows[t] = r.u32()
			if t >= numTables && m.rows[t] != 0 {
				return fmt.Errorf("unknown metadata table %#x", t)
			}
		}
	}
	if m.heapSizes&0x40 != 0 { // extra data in ENC (#-) streams
		r.skip(4)
	}
	if r.err != nil {
		return r.err
	}
	for t := 0; t < numTables; t++ {
		size := 0
		for _, c := range tableSchemas[t] {
			w := m.colWidth(c)
			m.colOff[t] = append(m.colOff[t], size)
			m.colSize[t] = append(m.colSize[t], w)
			size += w
		}
		m.rowSize[t] = size
		n := uint64(size) * uint64(m.rows[t])
		if n > uint64(len(r.b)-r.off) {
			return fmt.Errorf("table %#x (%d rows) beyond its stream", t, m.rows[t])
		}
		m.tables[t] = r.bytes(int(n))
	}
	return r.err
}

func (m *metadata) colWidth(c colSpec) int {
	switch c.kind {
	case cU16:
		return 2
	case cU32:
		return 4
	case cString:
		return heapWidth(m.heapSizes & 1)
	case cGUID:
		return heapWidth(m.heapSizes & 2)
	case cBlob:
		return heapWidth(m.heapSizes & 4)
	case cTable:
		if m.rows[c.ref] < 1<<16 {
			return 2
		}
		return 4
	case cCoded:
		tabs := codedTables[c.coded]
		bits := 0
		for 1<<bits < len(tabs) {
			bits++
		}
		var most uint32
		for _, t := range tabs {
			if t >= 0 && m.rows[t] > most {
				most = m.rows[t]
			}
		}
		if most < 1<<(16-bits) {
			return 2
		}
		return 4
	}
	panic("unknown column kind")
}

func heapWidth(big byte) int {
	if big != 0 {
		return 4
	}
	return 2
}

// cell reads column col of row (1-based) of table t.
func (m *metadata) cell(t, row, col int) (uint32, error) {
	if row < 1 || uint32(row) > m.rows[t] {
		return 0, fmt.Errorf("row %d of table %#x out of range", row, t)
	}
	off := (row-1)*m.rowSize[t] + m.colOff[t][col]
	b := m.tables[t][off:]
	if m.colSize[t][col] == 2 {
		return uint32(binary.LittleEndian.Uint16(b)), nil
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (m *metadata) str(i uint32) (string, error) {
	if uint64(i) >= uint64(len(m.strings)) {
		if i == 0 {
			return "", nil
		}
		return "", fmt.Errorf("string index %#x out of range", i)
	}
	s := m.strings[i:]
	if n := bytes.IndexByte(s, 0); n >= 0 {
		s = s[:n]
	}
	if !utf8.Valid(s) {
		return "", fmt.Errorf("string at %#x is not UTF-8", i)
	}
	return string(s), nil
}

func (m *metadata) blobAt(i uint32) ([]byte, error) {
	if uint64(i) >= uint64(len(m.blob)) {
		return nil, fmt.Errorf("blob index %#x out of range", i)
	}
	b := m.blob[i:]
	n, w := compressedUint(b)
	if w == 0 || uint64(w)+uint64(n) > uint64(len(b)) {
		return nil, fmt.Errorf("blob at %#x overruns the heap", i)
	}
	return b[w : w+int(n)], nil
}

// compressedUint decodes II.23.2's compressed unsigned integer; w is its
// width in bytes, 0 if invalid.
func compressedUint(b []byte) (v uint32, w int) {
	switch {
	case len(b) >= 1 && b[0]&0x80 == 0:
		return uint32(b[0]), 1
	case len(b) >= 2 && b[0]&0xC0 == 0x80:
		return uint32(b[0]&0x3F)<<8 | uint32(b[1]), 2
	case len(b) >= 4 && b[0]&0xE0 == 0xC0:
		return uint32(b[0]&0x1F)<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), 4
	}
	return 0, 0
}

func (m *metadata) version4(t, row, first int) (Version, error) {
	var v [4]uint16
	for i := range v {
		x, err := m.cell(t, row, first+i)
		if err != nil {
			return Version{}, err
		}
		v[i] = uint16(x)
	}
	return Version{v[0], v[1], v[2], v[3]}, nil
}

func (m *metadata) readAssembly(a *Assembly) error {
	var err error
	if a.Version, err = m.version4(tAssembly, 1, 1); err != nil {
		return err
	}
	nameIdx, _ := m.cell(tAssembly, 1, 7)
	if a.Name, err = m.str(nameIdx); err != nil {
		return err
	}
	if a.Name == "" {
		return errors.New("assembly has no name")
	}
	for row := 1; row <= int(m.rows[tAssemblyRef]); row++ {
		v, err := m.version4(tAssemblyRef, row, 0)
		if err != nil {
			return err
		}
		ni, _ := m.cell(tAssemblyRef, row, 6)
		name, err := m.str(ni)
		if err != nil {
			return err
		}
		a.References = append(a.References, Reference{Name: name, Version: v})
	}
	a.TargetFramework = m.targetFramework()
	return m.readNatives(a)
}

// targetFramework finds [assembly: System.Runtime.Versioning.TargetFramework(
// "...")] and returns its string, or "" if absent or unreadable.
func (m *metadata) targetFramework() string {
	const assemblyTag = 14 // HasCustomAttribute index of the Assembly table
	for row := 1; row <= int(m.rows[tCustomAttribute]); row++ {
		parent, err := m.cell(tCustomAttribute, row, 0)
		if err != nil || parent != 1<<5|assemblyTag {
			continue
		}
		typ, _ := m.cell(tCustomAttribute, row, 1)
		if typ&7 != 3 { // constructor must be a MemberRef
			continue
		}
		cls, err := m.cell(tMemberRef, int(typ>>3), 0)
		if err != nil || cls&7 != 1 { // parent must be a TypeRef
			continue
		}
		ni, err1 := m.cell(tTypeRef, int(cls>>3), 1)
		nsi, err2 := m.cell(tTypeRef, int(cls>>3), 2)
		if err1 != nil || err2 != nil {
			continue
		}
		name, _ := m.str(ni)
		ns, _ := m.str(nsi)
		if name != "TargetFrameworkAttribute" || ns != "System.Runtime.Versioning" {
			continue
		}
		vi, _ := m.cell(tCustomAttribute, row, 2)
		val, err := m.blobAt(vi)
		if err != nil || len(val) < 3 || val[0] != 1 || val[1] != 0 {
			continue
		}
		n, w := compressedUint(val[2:])
		if w == 0 || 2+w+int(n) > len(val) {
			continue
		}
		return string(val[2+w : 2+w+int(n)])
	}
	return ""
}

// reader reads little-endian values, remembering the first overrun.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		if r.err == nil {
			r.err = io.ErrUnexpectedEOF
		}
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) skip(n int) { r.bytes(n) }
func (r *reader) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}
func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}
func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}
func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// cstring4 reads a NUL-terminated name padded to a 4-byte boundary (II.24.2.2).
func (r *reader) cstring4() string {
	if r.err != nil {
		return ""
	}
	rest := r.b[r.off:]
	n := bytes.IndexByte(rest, 0)
	if n < 0 || n > 32 {
		r.err = errors.New("bad stream name")
		return ""
	}
	s := string(rest[:n])
	r.skip((n + 4) &^ 3)
	return s
}
