package toolchains

import (
	"crypto/sha256"
	"encoding/hex"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
