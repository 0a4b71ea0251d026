// Package sign makes and checks OpenSSH signatures (the SSHSIG format
// that "ssh-keygen -Y sign" writes) in the namespace "trailcase", so
// that anyone can check a signed custody entry or report with ssh-keygen
// and no trailcase installed.
//
// It loads Ed25519 private keys in OpenSSH format (asking its caller for
// a passphrase only when the key is encrypted), generates new ones,
// signs messages, verifies signatures and reads allowed-signers files.
// Keys, the wire encoding and the signatures themselves come from
// golang.org/x/crypto/ssh. It never prints, never prompts and never
// reads flags or the environment: a passphrase comes from a function
// its caller gives.
package sign
