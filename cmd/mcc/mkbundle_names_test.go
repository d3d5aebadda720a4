package main

import "github.com/mcc-build/mcc/internal/mkbundle"

// The mkbundle tests here were written when these lived in this package;
// they name mkbundle's by their old names (test-only, so the command's own
// code carries no aliases).
type mkbundleResult = mkbundle.Summary

const hostsFile = mkbundle.HostsFile

var imageLibrary = mkbundle.ImageLibrary
