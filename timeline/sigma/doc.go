// Package sigma runs Sigma detection and correlation rules over trailcase
// events.
//
// It owns: reading rules (YAML, Sigma rule and correlation specification),
// compiling each rule once into a matcher tree, the logsources and field
// names trailcase defines for its three sources and its normalised fields,
// the correlation state (bounded; see CorrelationLimits) and the built-in
// rule pack embedded from rules/*.yml.
//
// It never reads the case, prints, or decides what a finding looks like to
// a user: callers hand it events in time order and receive Results.
//
// Why not an existing Go Sigma library: the best-known one
// (bradleyjkemp/sigma-go, MIT) evaluates detections over generic maps,
// parses correlation rules but does not evaluate them (no event_count,
// value_count, temporal or temporal_ordered state), and is not served by
// the module proxy this project builds from. trailcase needs correlation,
// lazy access to the raw CloudTrail record and no allocation per event, so
// the engine is written here. See docs/findings.md for the logsources,
// field names and supported features.
package sigma
