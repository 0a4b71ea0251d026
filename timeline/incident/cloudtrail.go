package incident

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/trailcase/trailcase/digest/digesttest"
)

// record is a CloudTrail record, fields in CloudTrail's order.
type record struct {
	EventVersion        string      `json:"eventVersion"`
	UserIdentity        identity    `json:"userIdentity"`
	EventTime           string      `json:"eventTime"`
	EventSource         string      `json:"eventSource"`
	EventName           string      `json:"eventName"`
	AWSRegion           string      `json:"awsRegion"`
	SourceIPAddress     string      `json:"sourceIPAddress"`
	UserAgent           string      `json:"userAgent"`
	ErrorCode           string      `json:"errorCode,omitempty"`
	ErrorMessage        string      `json:"errorMessage,omitempty"`
	RequestParameters   any         `json:"requestParameters"`
	ResponseElements    any         `json:"responseElements"`
	AdditionalEventData any         `json:"additionalEventData,omitempty"`
	RequestID           string      `json:"requestID"`
	EventID             string      `json:"eventID"`
	ReadOnly            bool        `json:"readOnly"`
	Resources           []resource  `json:"resources,omitempty"`
	EventType           string      `json:"eventType"`
	ManagementEvent     bool        `json:"managementEvent"`
	RecipientAccountID  string      `json:"recipientAccountId"`
	EventCategory       string      `json:"eventCategory"`
	TLSDetails          *tlsDetails `json:"tlsDetails,omitempty"`

	at time.Time
}

type identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer *issuer         `json:"sessionIssuer,omitempty"`
	Attributes    sessionAttrs    `json:"attributes"`
	WebIDFed      json.RawMessage `json:"webIdFederationData,omitempty"`
}

type issuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttrs struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// actor is who makes calls: an identity, an address and a user agent.
type actor struct {
	id identity
	ip string
	ua string
}

func iamUser(name, principalID, key string) identity {
	return identity{Type: "IAMUser", PrincipalID: principalID, ARN: "arn:aws:iam::" + Account + ":user/" + name,
		AccountID: Account, AccessKeyID: key, UserName: name}
}

// roleSession is an assumed-role identity for a session created at created.
func roleSession(role, roleID, session, key string, created time.Time) identity {
	return identity{Type: "AssumedRole", PrincipalID: roleID + ":" + session,
		ARN:       "arn:aws:sts::" + Account + ":assumed-role/" + role + "/" + session,
		AccountID: Account, AccessKeyID: key,
		SessionContext: &sessionContext{
			SessionIssuer: &issuer{Type: "Role", PrincipalID: roleID, ARN: "arn:aws:iam::" + Account + ":role/" + role, AccountID: Account, UserName: role},
			Attributes:    sessionAttrs{CreationDate: created.UTC().Format(time.RFC3339), MFAAuthenticated: "false"},
		}}
}

func service(name string) identity { return identity{Type: "AWSService", InvokedBy: name} }

// Identities of the story.
var (
	ciUser      = iamUser("ci-deployer", "AIDA4CIDEPLOYER5XK2Q", LeakedKey)
	backdoor    = iamUser("svc-backup", "AIDA4SVCBACKUP7M3N8P", BackdoorKey)
	deployAdmin = struct{ role, id string }{"DeployAdmin", "AROA4DEPLOYADMIN6T2W"}
	dataLake    = struct{ role, id string }{"DataLakeReader", "AROA4DATALAKERDR3Q9Z"}
)

// ctGen collects the records of the story.
type ctGen struct {
	*gen
	recs []*record
}

// call adds a record made by a at t.
func (c *ctGen) call(a actor, t time.Time, source, name string, req, resp any) *record {
	host := source
	r := &record{EventVersion: "1.09", UserIdentity: a.id, EventTime: t.UTC().Format(time.RFC3339), EventSource: source,
		EventName: name, AWSRegion: Region, SourceIPAddress: a.ip, UserAgent: a.ua, RequestParameters: req, ResponseElements: resp,
		RequestID: c.uuid(), EventID: c.uuid(), ReadOnly: readOnly(name), EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: Account, EventCategory: "Management", at: t}
	if a.id.Type == "AWSService" {
		r.EventType = "AwsServiceEvent"
		if name == "AssumeRole" {
			r.EventType = "AwsApiCall"
		}
	} else {
		r.TLSDetails = &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: hostOf(host)}
	}
	c.recs = append(c.recs, r)
	return r
}

func hostOf(source string) string {
	switch source {
	case "iam.amazonaws.com", "sts.amazonaws.com":
		return source
	}
	return serviceName(source) + "." + Region + ".amazonaws.com"
}

func serviceName(source string) string {
	for i := 0; i < len(source); i++ {
		if source[i] == '.' {
			return source[:i]
		}
	}
	return source
}

func readOnly(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Lookup"} {
		if len(name) >= len(p) && name[:len(p)] == p {
			return true
		}
	}
	return false
}

// fail marks r as failed.
func (r *record) fail(code, msg string) *record {
	r.ErrorCode, r.ErrorMessage, r.ResponseElements = code, msg, nil
	return r
}

// data marks r as an S3 data event on an object or bucket.
func (r *record) data(arns ...string) *record {
	r.ManagementEvent, r.EventCategory = false, "Data"
	for _, a := range arns {
		typ := "AWS::S3::Object"
		if len(a) > 0 && !containsSlash(a) {
			typ = "AWS::S3::Bucket"
		}
		r.Resources = append(r.Resources, resource{ARN: a, AccountID: Account, Type: typ})
	}
	return r
}

func containsSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

type obj = map[string]any

// assume adds an AssumeRole by a and returns the actor of the new session.
func (c *ctGen) assume(a actor, t time.Time, role struct{ role, id string }, session, key string) actor {
	roleARN := "arn:aws:iam::" + Account + ":role/" + role.role
	exp := t.Add(time.Hour)
	sessID := roleSession(role.role, role.id, session, key, t)
	c.call(a, t, "sts.amazonaws.com", "AssumeRole",
		obj{"roleArn": roleARN, "roleSessionName": session, "durationSeconds": 3600},
		obj{"credentials": obj{"accessKeyId": key, "sessionToken": "IQoJb3JpZ2luX2VjE" + c.upper(40), "expiration": exp.Format("Jan 2, 2006, 3:04:05 PM")},
			"assumedRoleUser": obj{"assumedRoleId": role.id + ":" + session, "arn": sessID.ARN}}).
		Resources = []resource{{ARN: roleARN, AccountID: Account, Type: "AWS::IAM::Role"}}
	return actor{id: sessID, ip: a.ip, ua: a.ua}
}

// background adds the account's normal activity for hour h.
func (c *ctGen) background(h time.Time) {
	at := func(min int) time.Time { return h.Add(time.Duration(min)*time.Minute + c.jitter(50*time.Second)) }
	mon := actor{roleSession("MonitoringReadOnly", "AROA4MONITORING2R7K", "datadog", "ASIA"+c.upper(16), h), monitoringIP, monitorUA}
	c.call(mon, at(3), "ec2.amazonaws.com", "DescribeInstances", obj{"instancesSet": obj{}, "filterSet": obj{}}, nil)
	c.call(mon, at(33), "ec2.amazonaws.com", "DescribeVolumes", obj{"volumeSet": obj{}, "filterSet": obj{}}, nil)
	lambda := actor{service("lambda.amazonaws.com"), "lambda.amazonaws.com", "lambda.amazonaws.com"}
	c.call(lambda, at(10), "sts.amazonaws.com", "AssumeRole",
		obj{"roleArn": "arn:aws:iam::" + Account + ":role/order-processor-role", "roleSessionName": "order-processor"},
		obj{"credentials": obj{"accessKeyId": "ASIA" + c.upper(16), "sessionToken": "IQoJb3JpZ2luX2VjE" + c.upper(40), "expiration": h.Add(13 * time.Hour).Format("Jan 2, 2006, 3:04:05 PM")}})
	hour := h.Hour()
	if hour >= 8 && hour < 18 {
		alice := actor{roleSession("Developer", "AROA4DEVELOPER8N2V1", "alice@acme.example", "ASIA"+c.upper(16), h), officeIP, consoleUA}
		if hour == 8 {
			c.call(actor{identity{Type: "AssumedRole", PrincipalID: "AROA4DEVELOPER8N2V1:alice@acme.example",
				ARN: "arn:aws:sts::" + Account + ":assumed-role/Developer/alice@acme.example", AccountID: Account}, officeIP, consoleUA},
				at(1), "signin.amazonaws.com", "ConsoleLogin", nil, obj{"ConsoleLogin": "Success"}).EventType = "AwsConsoleSignIn"
		}
		c.call(alice, at(12), "ec2.amazonaws.com", "DescribeInstances", obj{"maxResults": 1000, "instancesSet": obj{}, "filterSet": obj{}}, nil)
		c.call(alice, at(41), "logs.amazonaws.com", "DescribeLogGroups", obj{"limit": 50}, nil)
	}
	if hour == 9 || hour == 11 || hour == 16 {
		c.ciDeploy(h.Add(20 * time.Minute))
	}
}

// ciDeploy is a legitimate deployment by the CI system.
func (c *ctGen) ciDeploy(t time.Time) {
	ci := actor{ciUser, ciIP, ciUA}
	c.call(ci, t, "sts.amazonaws.com", "GetCallerIdentity", nil, nil)
	run := fmt.Sprintf("gha-run-%d", 8000000+c.rnd.IntN(999999))
	s := c.assume(ci, t.Add(4*time.Second), deployAdmin, run, "ASIA"+c.upper(16))
	c.call(s, t.Add(9*time.Second), "ecr.amazonaws.com", "GetAuthorizationToken", obj{}, nil)
	c.call(s, t.Add(95*time.Second), "ecs.amazonaws.com", "UpdateService",
		obj{"cluster": "shop", "service": "shop-web", "forceNewDeployment": true}, obj{"service": obj{"serviceName": "shop-web", "status": "ACTIVE"}})
}

// attack adds the attacker's calls.
func (c *ctGen) attack() {
	d1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(base time.Time, h, m, s int) time.Time {
		return base.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	ak := actor{ciUser, AttackerIP, attackerUA}
	// Recon with the leaked key.
	c.call(ak, at(d1, 14, 12, 7), "sts.amazonaws.com", "GetCallerIdentity", nil, nil)
	c.call(ak, at(d1, 14, 13, 2), "s3.amazonaws.com", "ListBuckets", obj{"Host": "s3.amazonaws.com"}, nil)
	c.call(ak, at(d1, 14, 14, 40), "ec2.amazonaws.com", "DescribeInstances", obj{"instancesSet": obj{}, "filterSet": obj{}}, nil)
	c.call(ak, at(d1, 14, 15, 31), "iam.amazonaws.com", "ListAttachedUserPolicies", obj{"userName": "ci-deployer"}, nil).
		fail("AccessDenied", "User: "+LeakedUser+" is not authorized to perform: iam:ListAttachedUserPolicies on resource: user ci-deployer because no identity-based policy allows the iam:ListAttachedUserPolicies action")
	// Role chaining, first hop.
	admin := c.assume(ak, at(d1, 14, 19, 12), deployAdmin, "deploy-20250310", "ASIA4DEPLOYADMIN8R3T")
	c.call(admin, at(d1, 14, 21, 3), "sts.amazonaws.com", "GetCallerIdentity", nil, nil)
	c.call(admin, at(d1, 14, 22, 48), "iam.amazonaws.com", "ListRoles", obj{"maxItems": 1000}, nil)
	c.call(admin, at(d1, 14, 24, 10), "ec2.amazonaws.com", "DescribeSecurityGroups", obj{"securityGroupSet": obj{}, "filterSet": obj{}}, nil)
	c.call(admin, at(d1, 14, 26, 30), "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey",
		obj{"instanceId": webInstance, "instanceOSUser": "ec2-user", "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + c.upper(38)},
		obj{"requestId": c.uuid(), "success": true})
	// Second hop, data theft.
	data := c.assume(admin, at(d1, 14, 45, 5), dataLake, "sync", "ASIA4DATALAKESYNC5W9")
	c.call(data, at(d1, 14, 47, 20), "s3.amazonaws.com", "ListObjects",
		obj{"bucketName": dataBucket, "prefix": "exports/", "Host": dataBucket + ".s3.amazonaws.com"}, nil).data("arn:aws:s3:::" + dataBucket)
	for i := 0; i < 18; i++ {
		key := fmt.Sprintf("exports/customers-%02d.csv.gz", i+1)
		c.call(data, at(d1, 14, 48, 10+i*23), "s3.amazonaws.com", "GetObject",
			obj{"bucketName": dataBucket, "key": key, "Host": dataBucket + ".s3.amazonaws.com"}, nil).
			data("arn:aws:s3:::" + dataBucket + "/" + key)
	}
	// Persistence.
	c.call(admin, at(d1, 15, 5, 44), "iam.amazonaws.com", "CreateUser", obj{"userName": "svc-backup"},
		obj{"user": obj{"userName": "svc-backup", "userId": backdoor.PrincipalID, "arn": BackdoorUser, "path": "/", "createDate": "Mar 10, 2025, 3:05:44 PM"}})
	c.call(admin, at(d1, 15, 6, 2), "iam.amazonaws.com", "AttachUserPolicy",
		obj{"userName": "svc-backup", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, nil)
	c.call(admin, at(d1, 15, 6, 30), "iam.amazonaws.com", "CreateAccessKey", obj{"userName": "svc-backup"},
		obj{"accessKey": obj{"userName": "svc-backup", "accessKeyId": BackdoorKey, "status": "Active", "createDate": "Mar 10, 2025, 3:06:30 PM"}})

	// Day two: the backdoor, then covering tracks.
	d2 := d1.AddDate(0, 0, 1)
	bd := actor{backdoor, AttackerIP, attackerUA}
	c.call(bd, at(d2, 2, 10, 5), "sts.amazonaws.com", "GetCallerIdentity", nil, nil)
	c.call(bd, at(d2, 2, 11, 40), "s3.amazonaws.com", "ListBuckets", obj{"Host": "s3.amazonaws.com"}, nil)
	admin2 := c.assume(ak, at(d2, 2, 40, 9), deployAdmin, "deploy-20250311", "ASIA4DEPLOYADMIN2N6V")
	c.call(admin2, flowLogsDeleted, "ec2.amazonaws.com", "DeleteFlowLogs",
		obj{"DeleteFlowLogsRequest": obj{"FlowLogId": obj{"tag": 1, "content": []string{flowLogV2, flowLogV5}}}},
		obj{"DeleteFlowLogsResponse": obj{"unsuccessful": "", "requestId": c.uuid()}})
	c.call(admin2, albLogsOff, "elasticloadbalancing.amazonaws.com", "ModifyLoadBalancerAttributes",
		obj{"loadBalancerArn": "arn:aws:elasticloadbalancing:" + Region + ":" + Account + ":loadbalancer/" + albName,
			"attributes": []obj{{"key": "access_logs.s3.enabled", "value": "false"}}}, nil)
	c.call(admin2, at(d2, 2, 50, 12), "cloudtrail.amazonaws.com", "UpdateTrail",
		obj{"name": Trail, "enableLogFileValidation": false},
		obj{"name": Trail, "s3BucketName": CloudTrailBucket, "logFileValidationEnabled": false, "trailARN": "arn:aws:cloudtrail:" + Region + ":" + Account + ":trail/" + Trail})
	c.call(admin2, at(d2, 2, 51, 30), "s3.amazonaws.com", "DeleteObjects",
		obj{"bucketName": CloudTrailBucket, "delete": "", "Host": CloudTrailBucket + ".s3.amazonaws.com"}, nil).
		data("arn:aws:s3:::"+CloudTrailBucket).fail("AccessDenied", "Access Denied because object protected by object lock")
	c.call(admin2, at(d2, 2, 52, 44), "s3.amazonaws.com", "PutBucketLifecycle",
		obj{"bucketName": CloudTrailBucket, "lifecycle": "", "LifecycleConfiguration": obj{"Rule": obj{"ID": "cleanup", "Status": "Enabled", "Filter": obj{"Prefix": "AWSLogs/"}, "Expiration": obj{"Days": 1}}}}, nil)
	c.call(admin2, loggingStopped, "cloudtrail.amazonaws.com", "StopLogging", obj{"name": Trail}, nil)

	// The responder.
	ir := actor{roleSession("IncidentResponder", "AROA4RESPONDER4H8D2", "ir-jdoe", "ASIA"+c.upper(16), loggingStarted), responderIP, responderUA}
	c.call(ir, loggingStarted, "cloudtrail.amazonaws.com", "StartLogging", obj{"name": Trail}, nil)
	c.call(ir, loggingStarted.Add(70*time.Second), "cloudtrail.amazonaws.com", "UpdateTrail",
		obj{"name": Trail, "enableLogFileValidation": true},
		obj{"name": Trail, "s3BucketName": CloudTrailBucket, "logFileValidationEnabled": true})
	c.call(ir, loggingStarted.Add(9*time.Minute), "iam.amazonaws.com", "UpdateAccessKey",
		obj{"userName": "ci-deployer", "accessKeyId": LeakedKey, "status": "Inactive"}, nil)
	c.call(ir, loggingStarted.Add(10*time.Minute), "iam.amazonaws.com", "UpdateAccessKey",
		obj{"userName": "svc-backup", "accessKeyId": BackdoorKey, "status": "Inactive"}, nil)
	c.call(ir, loggingStarted.Add(12*time.Minute), "iam.amazonaws.com", "DetachUserPolicy",
		obj{"userName": "svc-backup", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, nil)
}

// logging reports whether the trail records events at t.
func logging(t time.Time) bool {
	return t.Before(loggingStopped.Add(time.Minute)) || !t.Before(loggingStarted)
}

// cloudTrail builds the records, the hourly log files and the digest chain.
func (g *gen) cloudTrail(files map[string][]byte, key *rsa.PrivateKey) error {
	c := &ctGen{gen: g}
	for _, h := range hours(Start, End) {
		c.background(h)
	}
	c.attack()
	byHour := map[time.Time][]*record{}
	for _, r := range c.recs {
		if !logging(r.at) {
			continue
		}
		h := r.at.Truncate(time.Hour)
		byHour[h] = append(byHour[h], r)
	}
	chain := digesttest.NewChain(key, Account, Region, Trail, CloudTrailBucket, "")
	chain.Start = Start.Add(time.Hour)
	delivered := map[time.Time][]*digesttest.Log{} // digest period start -> logs
	for _, h := range hours(Start, End) {
		recs := byHour[h]
		if len(recs) == 0 {
			continue
		}
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].at.Before(recs[j].at) })
		doc, err := json.Marshal(struct {
			Records []*record `json:"Records"`
		}{recs})
		if err != nil {
			return err
		}
		at := h.Add(time.Hour + 4*time.Minute + g.jitter(3*time.Minute))
		l, err := chain.NewLog(at, gz(doc))
		if err != nil {
			return err
		}
		delivered[at.Truncate(time.Hour)] = append(delivered[at.Truncate(time.Hour)], l)
	}
	for p := chain.Start; p.Before(End.Add(time.Hour)); p = p.Add(time.Hour) {
		switch {
		case !p.Before(lastDigestEnd) && p.Before(resumeDigests):
			continue
		case p.Equal(resumeDigests):
			chain.Skip(int(resumeDigests.Sub(lastDigestEnd) / time.Hour))
		}
		if _, err := chain.AddDigest(delivered[p]...); err != nil {
			return err
		}
	}
	for i, l := range chain.Logs {
		files[CloudTrailBucket+"/"+l.Key] = l.Body
		files[CloudTrailBucket+"/"+l.Key+digesttest.SidecarSuffix] = sidecar(l.Body, nil, l.Delivered,
			fmt.Sprintf("ct%04d.%s", i, g.hex(24)), "COMPLIANCE", RetainUntil)
	}
	for i, d := range chain.Digests {
		files[CloudTrailBucket+"/"+d.Key] = d.Body
		files[CloudTrailBucket+"/"+d.Key+digesttest.SidecarSuffix] = sidecar(d.Body,
			map[string]string{"signature": d.Signature, "signature-algorithm": "SHA256withRSA"}, d.LastModified,
			fmt.Sprintf("dg%04d.%s", i, g.hex(24)), "COMPLIANCE", RetainUntil)
	}
	return nil
}
