package mkbundle

import "sort"

// Metadata tables of P/Invoke (ECMA-335 II.22.22, II.22.31).
const tImplMap = 0x1C

// readNatives fills a.ModuleRefs and a.PInvoked: every ModuleRef, and the
// ones an ImplMap row (a [DllImport] method) names. Other ModuleRefs name
// the files of a multi-module assembly, which are not native libraries.
func (m *metadata) readNatives(a *Assembly) error {
	for row := 1; row <= int(m.rows[tModuleRef]); row++ {
		ni, err := m.cell(tModuleRef, row, 0)
		if err != nil {
			return err
		}
		name, err := m.str(ni)
		if err != nil {
			return err
		}
		a.ModuleRefs = append(a.ModuleRefs, name)
	}
	used := map[string]bool{}
	for row := 1; row <= int(m.rows[tImplMap]); row++ {
		scope, err := m.cell(tImplMap, row, 3)
		if err != nil {
			return err
		}
		if scope == 0 || int(scope) > len(a.ModuleRefs) {
			continue // a row without a library Mono would refuse at call time
		}
		used[a.ModuleRefs[scope-1]] = true
	}
	for n := range used {
		a.PInvoked = append(a.PInvoked, n)
	}
	sort.Strings(a.PInvoked)
	return nil
}
