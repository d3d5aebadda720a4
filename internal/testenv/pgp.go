package testenv

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/mcc-build/mcc/sysroots"
)

// Key is an OpenPGP key a test makes, standing in for an upstream's
// signing key, so signature checks are tested without real artifacts.
type Key struct {
	entity      *openpgp.Entity
	Armored     []byte // the public key, as a pin's key file holds it
	Fingerprint string // as a pin writes it: 40 upper-case hex digits
}

// NewKey makes a key (EdDSA: milliseconds, where RSA takes seconds).
func NewKey(t testing.TB, name string) Key {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", name+"@example.invalid", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err == nil {
		err = e.Serialize(w)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return Key{entity: e, Armored: buf.Bytes(), Fingerprint: strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))}
}

// Sign makes a detached signature over data, armored or binary.
func (k Key) Sign(t testing.TB, data []byte, armored bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	sign := openpgp.DetachSign
	if armored {
		sign = openpgp.ArmoredDetachSign
	}
	if err := sign(&buf, k.entity, bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Signs says in p that k signs its artifact, with the signature named
// p.File+".asc" and found at sigLocs.
func (k Key) Signs(p *sysroots.Pin, sigLocs ...string) {
	p.Signature = &sysroots.Signature{File: p.File + ".asc", Locations: sigLocs, Key: "keys/test.asc", Fingerprint: k.Fingerprint, ArmoredKey: k.Armored}
}
