package sign

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// An AllowedSigner is one line of an allowed-signers file.
type AllowedSigner struct {
	Principals []string // who the key belongs to, as the file names them
	Options    []string // e.g. namespaces="trailcase"
	Key        ssh.PublicKey
}

// AllowedSigners is an allowed-signers file, in the format of
// ssh-keygen(1) "ALLOWED SIGNERS": one key a line, as
// "principals [options] keytype base64-key [comment]", with blank lines
// and lines starting with # ignored.
type AllowedSigners []AllowedSigner

// ParseAllowedSigners reads an allowed-signers file; name is used in
// errors, which carry the line number.
func ParseAllowedSigners(name string, r io.Reader) (AllowedSigners, error) {
	var out AllowedSigners
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		principals, rest := cutPrincipals(line)
		if principals == "" || strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("%s:%d: want \"principals [options] keytype key\"", name, n)
		}
		key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, AllowedSigner{Principals: strings.Split(principals, ","), Options: options, Key: key})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// cutPrincipals splits the principals field (which may be in double
// quotes) from the rest of the line.
func cutPrincipals(line string) (principals, rest string) {
	if strings.HasPrefix(line, `"`) {
		if end := strings.Index(line[1:], `"`); end >= 0 {
			return line[1 : end+1], line[end+2:]
		}
		return "", ""
	}
	p, rest, _ := strings.Cut(line, " ")
	if i := strings.IndexByte(p, '\t'); i >= 0 {
		p, rest = line[:i], line[i+1:]
	}
	return p, rest
}

// Allows returns the principals of pub when the file allows it to sign
// in the namespace trailcase: a line with its key, not marked
// cert-authority, whose namespaces option (if any) names trailcase.
// Validity times (valid-after, valid-before) are not checked.
func (a AllowedSigners) Allows(pub ssh.PublicKey) ([]string, bool) {
	want := pub.Marshal()
	for _, s := range a {
		if !bytes.Equal(s.Key.Marshal(), want) || !s.allowsNamespace() {
			continue
		}
		return s.Principals, true
	}
	return nil, false
}

func (s AllowedSigner) allowsNamespace() bool {
	for _, o := range s.Options {
		name, val, _ := strings.Cut(o, "=")
		switch strings.ToLower(name) {
		case "cert-authority":
			return false
		case "namespaces":
			if !slices.Contains(strings.Split(strings.Trim(val, `"`), ","), Namespace) {
				return false
			}
		}
	}
	return true
}
