//go:build !linux

package store

import "os"

// Without /proc mcc cannot see other processes: nothing is held open, every
// download owner counts as alive, and no leftover process is found.

type fileID struct{}

func idOf(os.FileInfo) fileID               { return fileID{} }
func changeStamp(os.FileInfo) string        { return "" } // no stamp: always re-hash
func openFiles() map[fileID]bool            { return nil }
func processAlive(int) bool                 { return true }
func killProcessesIn(string) (killed []int) { return nil }

// ProcessesIn finds nothing without /proc.
func ProcessesIn(string) []int { return nil }
