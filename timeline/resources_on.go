//go:build !noresources

package timeline

// ctAffected is what a CloudTrail record says it acted on.
type ctAffected struct {
	Resources         []ctResource `json:"resources"`
	RequestParameters *ctParams    `json:"requestParameters"`
}

// list returns the record's resources (ctResources).
func (a *ctAffected) list() []string { return ctResources(a.Resources, a.RequestParameters) }

// indexNamesAndResources: events are indexed under their name (TermEvent)
// and resources (TermResource).
const indexNamesAndResources = true
