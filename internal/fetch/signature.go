package fetch

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/sysroots"
)

// VerifyFile checks the detached OpenPGP signature sigPath over dataPath
// with the pin's key, and that the key is the one whose fingerprint is pinned.
func VerifyFile(pin sysroots.Pin, dataPath, sigPath string) error {
	keyArmor, err := pin.Key()
	if err != nil {
		return err
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(keyArmor))
	if err != nil {
		return fmt.Errorf("pin %s: reading signing key: %w", pin.Name, err)
	}
	want := strings.ToUpper(pin.Signature.Fingerprint)
	if len(ring) != 1 || strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint)) != want {
		return fmt.Errorf("pin %s: key file %s is not key %s", pin.Name, pin.Signature.Key, want)
	}
	sig, err := os.ReadFile(sigPath)
	if err != nil {
		return err
	}
	data, err := os.Open(dataPath)
	if err != nil {
		return err
	}
	defer data.Close()
	check := openpgp.CheckDetachedSignature
	if bytes.Contains(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
		check = openpgp.CheckArmoredDetachedSignature
	}
	if _, err := check(ring, data, bytes.NewReader(sig), nil); err != nil {
		return badinput.Errorf("pin %s: signature %s does not verify with key %s (%v): the mirror holds a wrong or tampered signature; remove it or replace it with upstream's", pin.Name, sigPath, want, err)
	}
	return nil
}
