package timeline

import "slices"

// Most text logs name their fields the same way on every line: the flow
// log versions and the ELB line kinds. Version 3 of the stored event
// writes such a set of names as the number of a list below, not name by
// name. The lists are part of the stored form: they are written here once
// and never changed or reordered (the parsers' own tables may grow; a new
// way of naming gets a new list at the end).
//
// A list is some leading names of an order, with extra names after them,
// sorted when the names come from a map (whose keys are stored sorted):
// list k with n fields is fieldList(k, n).
type knownNames struct {
	order  []string
	extra  []string
	sorted bool
}

var knownFieldNames = [...]knownNames{
	// 1, 2: VPC flow log fields in AWS's order (versions 2 to 8), as a
	// parser's ordered list and as a map.
	{order: frozenFlowOrder},
	{order: frozenFlowOrder, sorted: true},
	// 3: ALB, 4: Classic: the line's fields and the three parts of the request.
	{order: []string{
		"type", "time", "elb", "client:port", "target:port",
		"request_processing_time", "target_processing_time", "response_processing_time",
		"elb_status_code", "target_status_code", "received_bytes", "sent_bytes",
		"request", "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn",
		"trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority",
		"request_creation_time", "actions_executed", "redirect_url", "error_reason",
		"target:port_list", "target_status_code_list", "classification",
		"classification_reason", "conn_trace_id", "transformed_host", "transformed_uri",
		"request_transform_status",
	}, extra: frozenRequestParts, sorted: true},
	{order: []string{
		"time", "elb", "client:port", "backend:port", "request_processing_time",
		"backend_processing_time", "response_processing_time", "elb_status_code",
		"backend_status_code", "received_bytes", "sent_bytes", "request", "user_agent",
		"ssl_cipher", "ssl_protocol",
	}, extra: frozenRequestParts, sorted: true},
	// 5: NLB TLS lines.
	{order: []string{
		"type", "version", "time", "elb", "listener", "client:port", "destination:port",
		"connection_time", "tls_handshake_time", "received_bytes", "sent_bytes",
		"incoming_tls_alert", "chosen_cert_arn", "chosen_cert_serial", "tls_cipher",
		"tls_protocol_version", "tls_named_group", "domain_name", "alpn_fe_protocol",
		"alpn_be_protocol", "alpn_client_preference_list", "tls_connection_creation_time",
	}, sorted: true},
	// 6: ALB connection log lines.
	{order: []string{
		"time", "client_ip", "client_port", "listener_port", "tls_protocol", "tls_cipher",
		"tls_handshake_latency", "leaf_client_cert_subject", "leaf_client_cert_validity",
		"leaf_client_cert_serial_number", "tls_verify_status", "conn_trace_id",
	}, sorted: true},
}

var frozenFlowOrder = []string{
	"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
	"protocol", "packets", "bytes", "start", "end", "action", "log-status",
	"vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
	"region", "az-id", "sublocation-type", "sublocation-id",
	"pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
	"ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
	"ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
	"ecs-task-arn", "ecs-task-id",
	"reject-reason",
}

var frozenRequestParts = []string{"request_method", "request_url", "request_protocol"}

// fieldLists[k-1][n] is list k with n fields, or nil.
var fieldLists = func() [][][]string {
	out := make([][][]string, len(knownFieldNames))
	for k, l := range knownFieldNames {
		out[k] = make([][]string, len(l.order)+len(l.extra)+1)
		for m := 1; m <= len(l.order); m++ {
			names := slices.Concat(l.order[:m], l.extra)
			if l.sorted {
				slices.Sort(names)
			}
			out[k][len(names)] = names
		}
	}
	return out
}()

// fieldList returns list k (1-based) with n fields, or nil.
func fieldList(k, n uint64) []string {
	if k == 0 || k > uint64(len(fieldLists)) || n >= uint64(len(fieldLists[k-1])) {
		return nil
	}
	return fieldLists[k-1][n]
}

// fieldListOf returns the number of the list that names holds, or 0.
// last is the answer for the previous call (the fields of one file keep
// their names): it is tried first.
func fieldListOf(names []string, last uint64) uint64 {
	if l := fieldList(last, uint64(len(names))); l != nil && slices.Equal(l, names) {
		return last
	}
	for k := range fieldLists {
		if l := fieldList(uint64(k+1), uint64(len(names))); l != nil && slices.Equal(l, names) {
			return uint64(k + 1)
		}
	}
	return 0
}
