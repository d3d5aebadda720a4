package image

import (
	"bytes"
	"crypto/sha1"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"sort"
	"unicode/utf16"
	"unicode/utf8"
)

// SubjectHash is OpenSSL's X509_NAME_hash of a DER Name (a certificate's
// RawSubject): the first four bytes, little-endian, of the SHA-1 of the
// name's canonical encoding. It names the files of a hashed certificate
// directory (`%08x.N`), the layout BoringSSL's X509_LOOKUP_hash_dir reads
// (external/boringssl/crypto/x509/by_dir.c and x_name.c in Mono's source,
// the same as `openssl x509 -noout -subject_hash` prints).
func SubjectHash(rawName []byte) (uint32, error) {
	canon, err := canonicalName(rawName)
	if err != nil {
		return 0, err
	}
	sum := sha1.Sum(canon)
	return binary.LittleEndian.Uint32(sum[:4]), nil
}

// canonicalName is x509_name_canon: each RDN re-encoded as a DER SET of its
// attributes with string values canonicalised, the SETs concatenated
// without the outer SEQUENCE. An empty name has an empty encoding.
func canonicalName(raw []byte) ([]byte, error) {
	var rdns []asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("subject is not a DER Name: %v", err)
	}
	var out []byte
	for _, rdn := range rdns {
		if rdn.Class != asn1.ClassUniversal || rdn.Tag != asn1.TagSet {
			return nil, fmt.Errorf("subject RDN has tag %d, want SET", rdn.Tag)
		}
		var attrs [][]byte
		for rest := rdn.Bytes; len(rest) > 0; {
			var atv struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}
			var err error
			if rest, err = asn1.Unmarshal(rest, &atv); err != nil {
				return nil, fmt.Errorf("subject attribute: %v", err)
			}
			a, err := canonicalAttribute(atv.Type, atv.Value)
			if err != nil {
				return nil, err
			}
			attrs = append(attrs, a)
		}
		out = append(out, derSetOf(attrs)...)
	}
	return out, nil
}

func canonicalAttribute(oid asn1.ObjectIdentifier, v asn1.RawValue) ([]byte, error) {
	o, err := asn1.Marshal(oid)
	if err != nil {
		return nil, err
	}
	val := v.FullBytes
	if v.Class == asn1.ClassUniversal {
		if s, ok, err := stringToUTF8(v.Tag, v.Bytes); err != nil {
			return nil, err
		} else if ok {
			val = derTLV(asn1.TagUTF8String, canonicalString(s))
		}
	}
	return derTLV(0x30, append(o, val...)), nil
}

// stringToUTF8 is ASN1_STRING_to_UTF8 for the string types OpenSSL
// canonicalises (ASN1_MASK_CANON); ok is false for other types, whose
// encoding is kept as it is.
func stringToUTF8(tag int, b []byte) (s []byte, ok bool, err error) {
	switch tag {
	case asn1.TagUTF8String:
		if !utf8.Valid(b) {
			return nil, false, fmt.Errorf("subject has an invalid UTF8String")
		}
		return b, true, nil
	case asn1.TagPrintableString, asn1.TagT61String, asn1.TagIA5String, 26 /* VisibleString */ :
		// One byte per character, read as Latin-1 (OpenSSL's tag2nbyte).
		r := make([]byte, 0, len(b))
		for _, c := range b {
			r = utf8.AppendRune(r, rune(c))
		}
		return r, true, nil
	case asn1.TagBMPString:
		if len(b)%2 != 0 {
			return nil, false, fmt.Errorf("subject has a BMPString of odd length")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		// OpenSSL reads BMPString as UCS-2: no surrogate pairs.
		r := make([]byte, 0, len(b))
		for _, c := range u {
			if utf16.IsSurrogate(rune(c)) {
				return nil, false, fmt.Errorf("subject has a BMPString with a surrogate")
			}
			r = utf8.AppendRune(r, rune(c))
		}
		return r, true, nil
	case 28: // UniversalString, UCS-4
		if len(b)%4 != 0 {
			return nil, false, fmt.Errorf("subject has a UniversalString of bad length")
		}
		r := make([]byte, 0, len(b))
		for i := 0; i < len(b); i += 4 {
			c := rune(binary.BigEndian.Uint32(b[i:]))
			if !utf8.ValidRune(c) {
				return nil, false, fmt.Errorf("subject has a UniversalString with an invalid character")
			}
			r = utf8.AppendRune(r, c)
		}
		return r, true, nil
	}
	return nil, false, nil
}

// canonicalString is asn1_string_canon after the UTF-8 conversion: ASCII
// white space trimmed at both ends and runs of it collapsed to one space,
// ASCII letters lowered; bytes with the high bit set are copied.
func canonicalString(s []byte) []byte {
	space := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	for len(s) > 0 && space(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && space(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case space(c):
			out = append(out, ' ')
			for i+1 < len(s) && space(s[i+1]) {
				i++
			}
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return out
}

// derSetOf encodes a SET OF with DER's element order (ascending by
// encoding, as OpenSSL's i2d sorts it).
func derSetOf(elems [][]byte) []byte {
	sort.SliceStable(elems, func(i, j int) bool { return bytes.Compare(elems[i], elems[j]) < 0 })
	return derTLV(0x31, bytes.Join(elems, nil))
}

// derTLV encodes one universal tag with a definite DER length.
func derTLV(tag byte, content []byte) []byte {
	out := []byte{tag}
	n := len(content)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	default:
		var l []byte
		for ; n > 0; n >>= 8 {
			l = append([]byte{byte(n)}, l...)
		}
		out = append(out, 0x80|byte(len(l)))
		out = append(out, l...)
	}
	return append(out, content...)
}
