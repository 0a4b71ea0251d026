// Package findings tells a responder where to start: it runs the Sigma
// rules (the built-in pack and any given) over a case's events in time
// order, adds the integrity findings the checks stored and the coverage
// findings (the evidence that is not there), and condenses the case into
// a one-screen summary.
//
// It owns: turning rule results into findings (grouped per rule and
// principal or address, events capped), coverage detection (delivery gaps
// per source, account and region; digest-chain restarts; flow-log NODATA
// and SKIPDATA; StopLogging windows; load balancers and VPCs seen in
// CloudTrail without logs), the case summary (bounded counters), the
// per-event annotator the timeline uses, and the translation of simple
// rules to SQL over the Parquet export schema.
//
// Entry points: ForCase (findings of a case, for the findings command and
// the report), Summarise (findings plus the summary), NewAnnotator and
// EmitSQL. It reads the case, never writes it, and never prints.
package findings
