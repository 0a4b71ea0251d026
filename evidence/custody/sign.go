package custody

import (
	"fmt"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/sign"
	"github.com/trailcase/trailcase/store"
)

// SignWith returns the signer that signs each custody entry appended to
// a case with key: the entry's Signature is the SSHSIG signature of the
// hex of its SignedHash, and Signer names the key. Give it to
// store.Store.SignCustody; the key itself is never stored.
func SignWith(key *sign.Key) store.CustodySigner {
	pub := sign.AuthorizedKey(key.PublicKey())
	return func(e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
		sig, err := key.Sign([]byte(e.SignedHash().String()))
		if err != nil {
			return e, err
		}
		e.Signature, e.Signer = string(sig), pub
		return e, nil
	}
}

// Signature problem kinds.
const (
	ProblemSignatureInvalid = finding.CustodySignatureInvalid
	ProblemSignerUnknown    = finding.CustodySignerUnknown
)

// A SignerCount says how many entries one key signed.
type SignerCount struct {
	Fingerprint string   `json:"fingerprint"`          // SHA256:…, as ssh-keygen -l prints it
	Principals  []string `json:"principals,omitempty"` // from the allowed-signers file
	Entries     []uint64 `json:"entries"`
}

// Signatures is what CheckSignatures found.
type Signatures struct {
	Signed, Unsigned int
	Signers          []SignerCount // in the order first seen
	Problems         []finding.Finding
}

// CheckSignatures checks the signature of every signed entry: that it is
// a valid SSHSIG signature in the namespace trailcase of the entry's
// SignedHash, by the key the entry names. With allowed (nil: no
// allowed-signers file given), an entry signed by a key the file does not
// allow is a problem too. Unsigned entries are counted, never a problem:
// a case may be signed from some point on. Every entry is checked.
func CheckSignatures(entries []evidence.CustodyEntry, allowed sign.AllowedSigners) Signatures {
	var r Signatures
	seen := map[string]int{}
	for _, e := range entries {
		if e.Signature == "" && e.Signer == "" {
			r.Unsigned++
			continue
		}
		r.Signed++
		obj := fmt.Sprintf("custody entry %d", e.Seq)
		pub, err := sign.Verify([]byte(e.Signature), []byte(e.SignedHash().String()))
		if err == nil && sign.AuthorizedKey(pub) != e.Signer {
			err = fmt.Errorf("signed by %s, but the entry names another signer", sign.Fingerprint(pub))
		}
		if err != nil {
			r.Problems = append(r.Problems, finding.New(ProblemSignatureInvalid, obj, err.Error()))
			continue
		}
		fp := sign.Fingerprint(pub)
		principals, ok := allowed.Allows(pub)
		if allowed != nil && !ok {
			r.Problems = append(r.Problems, finding.New(ProblemSignerUnknown, obj, "signed by "+fp+", a key the allowed-signers file does not list"))
		}
		i, found := seen[fp]
		if !found {
			i = len(r.Signers)
			seen[fp] = i
			r.Signers = append(r.Signers, SignerCount{Fingerprint: fp, Principals: principals})
		}
		r.Signers[i].Entries = append(r.Signers[i].Entries, e.Seq)
	}
	return r
}

// Entries returns every custody entry of st, oldest first.
func Entries(st *store.Store) ([]evidence.CustodyEntry, error) {
	var out []evidence.CustodyEntry
	err := st.Custody(func(e evidence.CustodyEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}
