package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SPDX 2.3 JSON, only the fields mcc fills.
type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string         `json:"SPDXID"`
	Name             string         `json:"name"`
	VersionInfo      string         `json:"versionInfo,omitempty"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	PrimaryPurpose   string         `json:"primaryPackagePurpose,omitempty"`
	Comment          string         `json:"comment,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

type sbomInput struct {
	Name      string
	InImage   string
	Platform  v1.Platform
	BinarySHA string
	Info      binaryInfo
	Toolchain []Component
	Pins      []pinUse
	CAFiles   []CAFile
	Created   time.Time
}

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

func spdxID(kind, name string) string {
	return "SPDXRef-" + kind + "-" + strings.Trim(spdxIDUnsafe.ReplaceAllString(name, "-"), "-")
}

func noAssertion(s string) string {
	if s == "" {
		return "NOASSERTION"
	}
	return s
}

// buildSBOM describes one image: its binary (with the Go modules and build
// settings it records), the toolchain that built it, and the pinned
// packages in the image. The document is a pure function of its input.
func buildSBOM(in sbomInput) ([]byte, error) {
	imageID := "SPDXRef-Image"
	binID := spdxID("File", in.Name)
	s := &sbom{doc: spdxDoc{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              in.Name + " " + platformString(in.Platform),
		CreationInfo:      spdxCreation{Created: in.Created.UTC().Format(time.RFC3339), Creators: []string{"Tool: mcc"}},
		DocumentDescribes: []string{imageID},
	}}
	s.rel("SPDXRef-DOCUMENT", "DESCRIBES", imageID)
	s.pkg(spdxPackage{
		SPDXID: imageID, Name: in.Name, PrimaryPurpose: "CONTAINER",
		Comment: "FROM scratch OCI image for " + platformString(in.Platform) + " built by mcc",
	})
	s.pkg(binaryPackage(in, binID))
	s.rel(imageID, "CONTAINS", binID)
	if in.Info.Go != nil {
		s.addGo(in.Info.Go, binID)
	}
	s.addToolchain(in.Toolchain, binID)
	s.addPins(in.Pins, imageID)
	s.addCAFiles(in.CAFiles, imageID)
	return s.encode()
}

// sbom is an SPDX document being filled, package by package.
type sbom struct{ doc spdxDoc }

// pkg adds a package; the fields SPDX requires and mcc cannot know say so.
func (s *sbom) pkg(p spdxPackage) {
	p.DownloadLocation = noAssertion(p.DownloadLocation)
	p.LicenseConcluded = noAssertion(p.LicenseConcluded)
	p.LicenseDeclared = noAssertion(p.LicenseDeclared)
	p.CopyrightText = noAssertion(p.CopyrightText)
	s.doc.Packages = append(s.doc.Packages, p)
}

func (s *sbom) rel(a, typ, b string) {
	s.doc.Relationships = append(s.doc.Relationships, spdxRelationship{a, typ, b})
}

// binaryPackage is the executable, with what its Go build info says of it.
func binaryPackage(in sbomInput, binID string) spdxPackage {
	bin := spdxPackage{
		SPDXID: binID, Name: in.Name, PrimaryPurpose: "APPLICATION",
		Checksums: []spdxChecksum{{"SHA256", in.BinarySHA}},
		Comment:   "installed at " + in.InImage,
	}
	gi := in.Info.Go
	if gi == nil {
		return bin
	}
	bin.VersionInfo = in.Info.Version
	if in.Info.Source != "" {
		bin.DownloadLocation = "git+" + in.Info.Source
		if in.Info.Revision != "" {
			bin.DownloadLocation += "@" + in.Info.Revision
		}
	}
	var settings []string
	for _, s := range gi.Settings {
		settings = append(settings, s.Key+"="+s.Value)
	}
	bin.Comment += "; Go build settings: " + strings.Join(settings, " ")
	if gi.Main.Path != "" {
		bin.ExternalRefs = []spdxRef{{"PACKAGE-MANAGER", "purl", purlGo(gi.Main.Path, gi.Main.Version)}}
	}
	return bin
}

// addGo adds the Go toolchain that built binID and the modules it links.
func (s *sbom) addGo(gi *debug.BuildInfo, binID string) {
	goID := spdxID("Toolchain", "go")
	s.pkg(spdxPackage{
		SPDXID: goID, Name: "go", VersionInfo: gi.GoVersion, PrimaryPurpose: "APPLICATION",
		LicenseDeclared: "BSD-3-Clause",
		ExternalRefs:    []spdxRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/stdlib@" + gi.GoVersion}},
	})
	s.rel(goID, "BUILD_TOOL_OF", binID)
	deps := append([]*debug.Module(nil), gi.Deps...)
	sort.Slice(deps, func(i, j int) bool { return deps[i].Path < deps[j].Path })
	for _, m := range deps {
		if m.Replace != nil {
			m = m.Replace
		}
		id := spdxID("Module", m.Path+"-"+m.Version)
		p := spdxPackage{
			SPDXID: id, Name: m.Path, VersionInfo: m.Version, PrimaryPurpose: "LIBRARY",
			ExternalRefs: []spdxRef{{"PACKAGE-MANAGER", "purl", purlGo(m.Path, m.Version)}},
		}
		if m.Sum != "" {
			p.Comment = "go.sum " + m.Sum
		}
		s.pkg(p)
		s.rel(binID, "DEPENDS_ON", id)
	}
}

// addToolchain adds the C toolchain components that built binID.
func (s *sbom) addToolchain(comps []Component, binID string) {
	for _, c := range comps {
		id := spdxID("Toolchain", c.Name+"-"+c.Version)
		p := spdxPackage{SPDXID: id, Name: c.Name, VersionInfo: c.Version, PrimaryPurpose: "SOURCE"}
		if c.SHA256 != "" {
			p.Checksums = []spdxChecksum{{"SHA256", c.SHA256}}
		}
		if c.PURL != "" {
			p.ExternalRefs = []spdxRef{{"PACKAGE-MANAGER", "purl", c.PURL}}
		}
		s.pkg(p)
		s.rel(id, "BUILD_TOOL_OF", binID)
	}
}

// addPins adds the pinned module zips the image has files from.
func (s *sbom) addPins(pins []pinUse, imageID string) {
	for _, u := range pins {
		mod, ver := pinModule(u.Pin)
		id := spdxID("Pin", u.Pin.Name)
		s.pkg(spdxPackage{
			SPDXID: id, Name: mod, VersionInfo: ver, PrimaryPurpose: "LIBRARY",
			LicenseDeclared: "BSD-3-Clause",
			Checksums:       []spdxChecksum{{"SHA256", u.Pin.SHA256}},
			Comment:         "pin " + u.Pin.Name + " (" + u.Pin.Version + "), the module zip " + u.Pin.File + " (go.sum " + u.Pin.H1 + "): " + u.Holds,
			ExternalRefs:    []spdxRef{{"PACKAGE-MANAGER", "purl", purlGo(mod, ver)}},
		})
		s.rel(imageID, "CONTAINS", id)
	}
}

// addCAFiles adds the --ca-file certificates the image trusts.
func (s *sbom) addCAFiles(files []CAFile, imageID string) {
	for _, f := range files {
		id := spdxID("CAFile", f.Name+"-"+f.SHA256[:16])
		s.pkg(spdxPackage{
			SPDXID: id, Name: f.Name, PrimaryPurpose: "FILE",
			Checksums: []spdxChecksum{{"SHA256", f.SHA256}},
			Comment: fmt.Sprintf("CA certificates added with --ca-file, trusted through %s and (Mono bundles) %s: %s",
				CACertsFile, MonoTrustDir, strings.Join(f.Subjects, "; ")),
		})
		s.rel(imageID, "CONTAINS", id)
	}
}

// encode names the document and writes it as indented JSON.
func (s *sbom) encode() ([]byte, error) {
	// The namespace must be unique per document; a hash of the content
	// makes it so without making the document differ between builds.
	body, err := json.Marshal(s.doc)
	if err != nil {
		return nil, err
	}
	s.doc.DocumentNamespace = fmt.Sprintf("urn:mcc:spdx:%x", sha256.Sum256(body))
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.doc); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func purlGo(path, version string) string {
	p := "pkg:golang/" + path
	if version != "" && version != "(devel)" {
		p += "@" + version
	}
	return p
}
