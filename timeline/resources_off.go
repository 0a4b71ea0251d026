//go:build noresources

package timeline

// Built with -tags noresources, CloudTrail records are read without their
// resources and no event is indexed under its name or resources: what
// ingest cost before they were added, for measuring what they add
// (docs/PERFORMANCE.md). Not for use: queries by event name or resource
// find nothing, and the package's tests expect resources.

// ctAffected reads nothing.
type ctAffected struct{}

func (a *ctAffected) list() []string { return nil }

const indexNamesAndResources = false
