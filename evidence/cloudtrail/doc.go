// Package cloudtrail is trailcase's only door to the CloudTrail API: it
// lists the public keys that signed a region's digest files
// (ListPublicKeys), so that digest chains can be validated offline.
// Parsing and checking a key is the digest package's; this package only
// asks CloudTrail for them.
//
// It never writes to CloudTrail and never prints.
package cloudtrail
