package trailgen

import (
	"strconv"
	"time"

	"github.com/sentinel-check/sentinel-check/sessions"
)

// JSON writing: every member ends with a comma, and end() turns the last
// comma of an object into its closing brace.

func (g *gen) key(k string) {
	g.buf = append(g.buf, '"')
	g.buf = append(g.buf, k...)
	g.buf = append(g.buf, '"', ':')
}

func (g *gen) str(k, v string) {
	g.key(k)
	g.buf = append(g.buf, '"')
	g.buf = append(g.buf, v...)
	g.buf = append(g.buf, '"', ',')
}

func (g *gen) raw(k, v string) {
	g.key(k)
	g.buf = append(g.buf, v...)
	g.buf = append(g.buf, ',')
}

func (g *gen) int(k string, v int) {
	g.key(k)
	g.buf = strconv.AppendInt(g.buf, int64(v), 10)
	g.buf = append(g.buf, ',')
}

func (g *gen) obj(k string) {
	g.key(k)
	g.buf = append(g.buf, '{')
}

func (g *gen) end() {
	if g.buf[len(g.buf)-1] == ',' {
		g.buf[len(g.buf)-1] = '}'
	} else {
		g.buf = append(g.buf, '}')
	}
	g.buf = append(g.buf, ',')
}

// endRecord closes the record object without a trailing comma.
func (g *gen) endRecord() {
	g.end()
	g.buf = g.buf[:len(g.buf)-1]
}

func (g *gen) time(k string, t time.Time) {
	g.key(k)
	g.buf = append(g.buf, '"')
	g.buf = t.UTC().AppendFormat(g.buf, "2006-01-02T15:04:05Z")
	g.buf = append(g.buf, '"', ',')
}

const (
	alnumChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	upperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexChars   = "0123456789abcdef"
	b64Chars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func (g *gen) pick(chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.r.IntN(len(chars))]
	}
	return string(b)
}

func (g *gen) alnum(n int) string { return g.pick(alnumChars, n) }
func (g *gen) hex(n int) string   { return g.pick(hexChars, n) }
func (g *gen) keyID(prefix string) string {
	return prefix + g.pick(upperChars, 16)
}

func (g *gen) uuid() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	const h = hexChars
	out := make([]byte, 36)
	j := 0
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			out[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = a >> (60 - 4*i) & 0xf
		} else {
			nib = b >> (60 - 4*(i-16)) & 0xf
		}
		out[j] = h[nib]
		j++
	}
	out[14] = '4'
	out[19] = h[8+int(b>>2)&3]
	return string(out)
}

func (g *gen) ip() string {
	switch g.r.IntN(4) {
	case 0:
		return "10." + strconv.Itoa(g.r.IntN(256)) + "." + strconv.Itoa(g.r.IntN(256)) + "." + strconv.Itoa(1+g.r.IntN(254))
	case 1:
		return "198.51.100." + strconv.Itoa(1+g.r.IntN(254))
	case 2:
		return "203.0.113." + strconv.Itoa(1+g.r.IntN(254))
	}
	return "192.0.2." + strconv.Itoa(1+g.r.IntN(254))
}

func (g *gen) when() time.Time {
	return g.slot.Add(time.Duration(g.r.Int64N(300)) * time.Second)
}

// serviceRoles are service-linked roles: service, role name, session prefix.
var serviceRoles = [][3]string{
	{"rds.amazonaws.com", "AWSServiceRoleForRDS", "dbi-"},
	{"ecs.amazonaws.com", "AWSServiceRoleForECS", "ecs-service-scheduler-"},
	{"autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", "AutoScaling-"},
	{"elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing", "ElasticLoadBalancing-"},
	{"config.amazonaws.com", "AWSServiceRoleForConfig", "AWSConfig-"},
	{"guardduty.amazonaws.com", "AWSServiceRoleForAmazonGuardDuty", "GuardDuty-"},
}

// ssoSuffix is the stable suffix IAM Identity Center gives a permission
// set's role in each account.
var ssoSuffix = map[string]string{
	ProdAccount:    "3c1f9a0b5d7e2846",
	StagingAccount: "8e2d4b6a0c1f3957",
	SandboxAccount: "5a7c9e1b3d2f4068",
}

var (
	users  = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe"}
	agents = []string{
		"aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
		"aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.198.1",
		"Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.76",
		"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.770 Linux/5.10.228-198.880.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"aws-sdk-js/3.699.0 ua/2.1 os/linux#5.10.228 lang/js md/nodejs#20.18.1 api/dynamodb#3.699.0",
		"Terraform/1.10.2 (+https://www.terraform.io) terraform-provider-aws/5.81.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6",
	}
	services = []string{"ec2.amazonaws.com", "lambda.amazonaws.com", "rds.amazonaws.com", "ecs-tasks.amazonaws.com", "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "config.amazonaws.com", "cloudformation.amazonaws.com"}
	roles    = []string{"ProdAdmin", "ProdReadOnly", "Developer", "ci-runner", "lambda-orders-exec", "ecs-task-payments", "AWSReservedSSO_AdministratorAccess_8f3a1c2b4d5e6f70", "OrganizationAccountAccessRole"}
	errs     = []string{"AccessDenied", "ThrottlingException", "Client.UnauthorizedOperation", "NoSuchBucketPolicy", "ResourceNotFoundException", "ValidationException", "Client.InvalidInstanceID.NotFound"}
)

func (g *gen) oneOf(list []string) string { return list[g.r.IntN(len(list))] }

// caller writes a userIdentity and returns what sourceIPAddress and
// userAgent fit it.
type callerKind int

const (
	callerIAMUser callerKind = iota
	callerAssumedRole
	callerService
	callerRoot
)

func (g *gen) randomCallerKind() callerKind {
	switch p := g.r.IntN(100); {
	case p < 25:
		return callerIAMUser
	case p < 80:
		return callerAssumedRole
	case p < 98:
		return callerService
	}
	return callerRoot
}

type callerInfo struct {
	arn, ip, agent string
}

// userIdentity writes the caller. roleName and sessionName apply to
// assumed roles; si is a caller session's sourceIdentity.
func (g *gen) userIdentity(kind callerKind, roleName, sessionName, si string) callerInfo {
	acct := g.account
	g.obj("userIdentity")
	var c callerInfo
	switch kind {
	case callerIAMUser:
		u := g.oneOf(users)
		c = callerInfo{arn: "arn:aws:iam::" + acct + ":user/" + u, ip: g.ip(), agent: g.oneOf(agents)}
		g.str("type", "IAMUser")
		g.str("principalId", "AIDA"+g.pick(upperChars, 17))
		g.str("arn", c.arn)
		g.str("accountId", acct)
		g.str("accessKeyId", g.keyID("AKIA"))
		g.str("userName", u)
	case callerAssumedRole:
		if roleName == "" {
			roleName = g.oneOf(roles)
		}
		if sessionName == "" {
			sessionName = g.oneOf(users) + "-" + g.hex(6)
		}
		c = callerInfo{arn: "arn:aws:sts::" + acct + ":assumed-role/" + roleName + "/" + sessionName, ip: g.ip(), agent: g.oneOf(agents)}
		rid := "AROA" + g.pick(upperChars, 17)
		g.str("type", "AssumedRole")
		g.str("principalId", rid+":"+sessionName)
		g.str("arn", c.arn)
		g.str("accountId", acct)
		g.str("accessKeyId", g.keyID("ASIA"))
		g.obj("sessionContext")
		g.obj("sessionIssuer")
		g.str("type", "Role")
		g.str("principalId", rid)
		g.str("arn", "arn:aws:iam::"+acct+":role/"+roleName)
		g.str("accountId", acct)
		g.str("userName", roleName)
		g.end()
		g.obj("webIdFederationData")
		g.end()
		g.obj("attributes")
		g.time("creationDate", g.slot.Add(-time.Duration(g.r.IntN(3600))*time.Second))
		g.str("mfaAuthenticated", "false")
		g.end()
		if si != "" {
			g.str("sourceIdentity", si)
		}
		g.end()
	case callerService:
		svc := g.oneOf(services)
		c = callerInfo{ip: svc, agent: svc}
		g.str("type", "AWSService")
		g.str("invokedBy", svc)
	case callerRoot:
		c = callerInfo{arn: "arn:aws:iam::" + acct + ":root", ip: g.ip(), agent: agents[4]}
		g.str("type", "Root")
		g.str("principalId", acct)
		g.str("arn", c.arn)
		g.str("accountId", acct)
		g.str("accessKeyId", g.keyID("ASIA"))
	}
	g.end()
	return c
}

func (g *gen) tail(source string, readOnly bool, management bool) {
	g.str("requestID", g.uuid())
	g.str("eventID", g.uuid())
	if readOnly {
		g.raw("readOnly", "true")
	} else {
		g.raw("readOnly", "false")
	}
	g.str("eventType", "AwsApiCall")
	if management {
		g.raw("managementEvent", "true")
	} else {
		g.raw("managementEvent", "false")
	}
	g.str("recipientAccountId", g.account)
	if management {
		g.str("eventCategory", "Management")
	} else {
		g.str("eventCategory", "Data")
	}
	g.obj("tlsDetails")
	g.str("tlsVersion", "TLSv1.3")
	g.str("cipherSuite", "TLS_AES_128_GCM_SHA256")
	g.str("clientProvidedHostHeader", source[:len(source)-len(".amazonaws.com")]+"."+g.region+".amazonaws.com")
	g.end()
}

// event is one kind of non-STS call.
type event struct {
	source, name string
	readOnly     bool
	management   bool
	weight       int
	params       func(g *gen) // writes requestParameters members; nil writes null
	response     func(g *gen) // writes responseElements members; nil writes null
}

var events = []event{
	{"ec2.amazonaws.com", "DescribeInstances", true, true, 14, func(g *gen) {
		g.obj("instancesSet")
		g.raw("items", `[{"instanceId":"i-0`+g.hex(16)+`"}]`)
		g.end()
		g.obj("filterSet")
		g.end()
	}, nil},
	{"ec2.amazonaws.com", "DescribeSecurityGroups", true, true, 5, func(g *gen) {
		g.obj("securityGroupSet")
		g.end()
		g.obj("securityGroupIdSet")
		g.raw("items", `[{"groupId":"sg-0`+g.hex(16)+`"}]`)
		g.end()
	}, nil},
	{"ec2.amazonaws.com", "CreateNetworkInterface", false, true, 3, func(g *gen) {
		g.str("subnetId", "subnet-0"+g.hex(16))
		g.str("description", "AWS Lambda VPC ENI-orders-"+g.uuid())
		g.obj("groupSet")
		g.raw("items", `[{"groupId":"sg-0`+g.hex(16)+`"}]`)
		g.end()
	}, func(g *gen) {
		g.str("requestId", g.uuid())
		g.obj("networkInterface")
		g.str("networkInterfaceId", "eni-0"+g.hex(16))
		g.str("subnetId", "subnet-0"+g.hex(16))
		g.str("vpcId", "vpc-0"+g.hex(16))
		g.str("availabilityZone", g.region+"a")
		g.str("privateIpAddress", g.ip())
		g.str("status", "pending")
		g.end()
	}},
	{"s3.amazonaws.com", "GetBucketAcl", true, true, 6, func(g *gen) {
		b := "orders-data-" + g.hex(8)
		g.raw("acl", `""`)
		g.str("bucketName", b)
		g.str("Host", b+".s3."+g.region+".amazonaws.com")
	}, nil},
	{"s3.amazonaws.com", "ListBuckets", true, true, 2, func(g *gen) {
		g.str("Host", "s3."+g.region+".amazonaws.com")
	}, nil},
	{"kms.amazonaws.com", "Decrypt", true, true, 12, func(g *gen) {
		g.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
		g.obj("encryptionContext")
		g.str("aws:lambda:FunctionArn", "arn:aws:lambda:"+g.region+":"+g.account+":function:orders-"+g.hex(6))
		g.end()
	}, nil},
	{"kms.amazonaws.com", "GenerateDataKey", true, true, 6, func(g *gen) {
		g.str("keyId", "arn:aws:kms:"+g.region+":"+g.account+":key/"+g.uuid())
		g.str("keySpec", "AES_256")
	}, nil},
	{"sts.amazonaws.com", "GetCallerIdentity", true, true, 4, nil, nil},
	{"sts.amazonaws.com", "GetSessionToken", true, true, 1, func(g *gen) {
		g.int("durationSeconds", 43200)
	}, func(g *gen) {
		g.obj("credentials")
		g.str("accessKeyId", g.keyID("ASIA"))
		g.str("sessionToken", g.pick(b64Chars, 420))
		g.str("expiration", "Nov 17, 2026, 12:00:00 AM")
		g.end()
	}},
	{"iam.amazonaws.com", "GetRole", true, true, 4, func(g *gen) {
		g.str("roleName", g.oneOf(roles))
	}, nil},
	{"iam.amazonaws.com", "CreateRole", false, true, 1, func(g *gen) {
		g.str("roleName", "app-"+g.hex(8))
		g.str("assumeRolePolicyDocument", `{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"Service\": \"lambda.amazonaws.com\"},\n    \"Action\": \"sts:AssumeRole\"\n  }]\n}`)
	}, func(g *gen) {
		g.obj("role")
		g.str("path", "/")
		g.str("roleName", "app-"+g.hex(8))
		g.str("roleId", "AROA"+g.pick(upperChars, 17))
		g.str("arn", "arn:aws:iam::"+g.account+":role/app-"+g.hex(8))
		g.str("createDate", "Nov 16, 2026, 10:00:00 AM")
		g.end()
	}},
	{"ssm.amazonaws.com", "GetParameter", true, true, 8, func(g *gen) {
		g.str("name", "/orders/prod/db-"+g.hex(4))
		g.raw("withDecryption", "true")
	}, nil},
	{"ssm.amazonaws.com", "UpdateInstanceInformation", false, true, 6, func(g *gen) {
		g.str("instanceId", "i-0"+g.hex(16))
		g.str("agentVersion", "3.3.1142.0")
		g.str("agentStatus", "Active")
		g.str("platformType", "Linux")
		g.str("platformName", "Amazon Linux")
		g.str("platformVersion", "2023")
		g.str("iPAddress", g.ip())
		g.str("computerName", "ip-10-0-1-"+strconv.Itoa(g.r.IntN(255))+".ec2.internal")
		g.str("agentName", "amazon-ssm-agent")
	}, nil},
	{"secretsmanager.amazonaws.com", "GetSecretValue", true, true, 5, func(g *gen) {
		g.str("secretId", "arn:aws:secretsmanager:"+g.region+":"+g.account+":secret:orders/db-"+g.alnum(6))
	}, nil},
	{"logs.amazonaws.com", "CreateLogStream", false, true, 5, func(g *gen) {
		g.str("logGroupName", "/aws/lambda/orders-"+g.hex(6))
		g.str("logStreamName", "2026/11/16/[$LATEST]"+g.hex(32))
	}, nil},
	{"dynamodb.amazonaws.com", "DescribeTable", true, true, 4, func(g *gen) {
		g.str("tableName", "orders-"+g.hex(4))
	}, nil},
	{"lambda.amazonaws.com", "GetFunction20150331v2", true, true, 2, func(g *gen) {
		g.str("functionName", "arn:aws:lambda:"+g.region+":"+g.account+":function:orders-"+g.hex(6))
	}, nil},
	{"rds.amazonaws.com", "DescribeDBInstances", true, true, 3, func(g *gen) {
		g.int("maxRecords", 100)
	}, nil},
	{"cloudtrail.amazonaws.com", "LookupEvents", true, true, 1, func(g *gen) {
		g.int("maxResults", 50)
		g.raw("lookupAttributes", `[{"attributeKey":"EventName","attributeValue":"AssumeRole"}]`)
	}, nil},
	{"monitoring.amazonaws.com", "GetMetricData", true, true, 4, func(g *gen) {
		g.str("startTime", "Nov 16, 2026, 9:00:00 AM")
		g.str("endTime", "Nov 16, 2026, 10:00:00 AM")
	}, nil},
	{"ecr.amazonaws.com", "GetAuthorizationToken", true, true, 2, nil, nil},
	{"elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", true, true, 2, func(g *gen) {
		g.str("targetGroupArn", "arn:aws:elasticloadbalancing:"+g.region+":"+g.account+":targetgroup/orders/"+g.hex(16))
	}, nil},
}

var eventWeights = func() []int {
	var cum []int
	total := 0
	for _, e := range events {
		total += e.weight
		cum = append(cum, total)
	}
	return cum
}()

func (g *gen) record() {
	if g.r.Float64() < g.o.AssumeRoleRate {
		g.assumeRole()
		return
	}
	x := g.r.IntN(eventWeights[len(eventWeights)-1])
	k := 0
	for eventWeights[k] <= x {
		k++
	}
	e := &events[k]
	g.buf = append(g.buf, '{')
	g.str("eventVersion", "1.09")
	c := g.userIdentity(g.randomCallerKind(), "", "", "")
	g.time("eventTime", g.when())
	g.str("eventSource", e.source)
	g.str("eventName", e.name)
	g.str("awsRegion", g.region)
	g.str("sourceIPAddress", c.ip)
	g.str("userAgent", c.agent)
	failed := g.r.IntN(100) < 8
	if failed {
		code := g.oneOf(errs)
		g.str("errorCode", code)
		g.str("errorMessage", "User: "+c.arn+" is not authorized to perform: "+e.source[:len(e.source)-len(".amazonaws.com")]+":"+e.name+" because no identity-based policy allows the action")
	}
	if e.params == nil {
		g.raw("requestParameters", "null")
	} else {
		g.obj("requestParameters")
		e.params(g)
		g.end()
	}
	if e.response == nil || failed {
		g.raw("responseElements", "null")
	} else {
		g.obj("responseElements")
		e.response(g)
		g.end()
	}
	g.tail(e.source, e.readOnly, e.management)
	g.endRecord()
}

// assumeRole writes an sts assume-role call and, for broker roles, the
// session record its category needs.
func (g *gen) assumeRole() {
	g.sum.AssumeRole++
	var broker []string
	for _, r := range brokerRoleList {
		if r[13:25] == g.account {
			broker = append(broker, r)
		}
	}
	if len(broker) > 0 && g.r.IntN(100) < 70 {
		g.brokerCall(g.oneOf(broker))
		return
	}
	g.otherCall()
}

type call struct {
	name        string
	kind        callerKind
	callerRole  string
	callerSess  string
	callerSI    string
	role        string
	sessionName string
	si          string
	failed      bool
}

func (g *gen) brokerCall(role string) {
	u := g.oneOf(users)
	t := g.when()
	c := call{name: "AssumeRole", kind: callerAssumedRole, callerRole: "SentinelBroker", callerSess: "sentinel-server", role: role, sessionName: "sentinel-" + u}
	if g.r.IntN(100) < 8 {
		c.failed = true
		c.kind = callerIAMUser
		g.sum.Failed++
		g.write(c, t)
		return
	}
	// Request ids are unique per (file, call) so that no two identities of
	// one user collide (up to 65,536 files of 65,536 calls).
	req := uint32(g.fileIdx)<<16 | uint32(g.sum.AssumeRole&0xffff)
	req *= 0x9E3779B1
	req ^= req >> 16
	brokerSI := func() string {
		switch p := g.r.IntN(10); {
		case p < 7:
			return "sentinel:" + u + ":direct:" + hex8(req)
		case p < 9:
			return "sentinel:" + u + ":" + g.hex(8) + ":" + hex8(req)
		}
		return "sentinel:" + u + ":" + hex8(req)
	}
	var cat string
	switch p := g.r.IntN(100); {
	case p < 60:
		cat = Tracked
	case p < 72:
		cat = NoSourceIdentity
	case p < 78:
		cat = Foreign
	case p < 86:
		cat = Orphaned
	case p < 93:
		cat = Revoked
	default:
		cat = Expired
	}
	g.sum.ByCategory[cat]++
	switch cat {
	case NoSourceIdentity:
		if g.r.IntN(2) == 0 {
			c.kind, c.callerRole, c.callerSess = callerIAMUser, "", ""
		} else {
			c.callerRole, c.callerSess = "ci-runner", "deploy-"+g.hex(6)
		}
		c.sessionName = "script-" + g.hex(6)
	case Foreign:
		c.si = u + "@example.com"
	default:
		c.si = brokerSI()
		if cat == Tracked && g.r.IntN(100) < 15 {
			// Role chaining: the identity is on the caller's session.
			c.callerSI, c.si = c.si, ""
			c.callerRole, c.callerSess = roleName(role), "sentinel-"+u
		}
	}
	g.write(c, t)
	si := c.si
	if si == "" {
		si = c.callerSI
	}
	profile := BrokerRoles[role]
	rec := sessions.Record{
		ID:               g.uuid(),
		User:             u,
		Profile:          profile,
		ServerInstanceID: "srv-eu-west-1a",
		SourceIdentity:   si,
		RequestCount:     int64(1 + g.r.IntN(40)),
	}
	minutes := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	switch cat {
	case Tracked:
		rec.Status = sessions.StatusActive
		rec.StartedAt = t.Add(-minutes(1 + g.r.IntN(30)))
		rec.ExpiresAt = rec.StartedAt.Add(time.Hour)
		rec.LastAccessAt = t.Add(minutes(g.r.IntN(20)))
		rec.UpdatedAt = rec.LastAccessAt
	case Revoked:
		rec.Status = sessions.StatusRevoked
		rec.StartedAt = t.Add(-3 * time.Hour)
		rec.ExpiresAt = t.Add(time.Hour)
		rec.UpdatedAt = t.Add(-minutes(30 + g.r.IntN(60)))
		rec.LastAccessAt = rec.UpdatedAt
		rec.RevokedBy = "security@example.com"
		rec.RevokedReason = "credentials reported on a public paste site"
	case Expired:
		rec.Status = sessions.StatusExpired
		rec.StartedAt = t.Add(-4 * time.Hour)
		rec.ExpiresAt = t.Add(-2 * time.Hour)
		rec.LastAccessAt = rec.ExpiresAt.Add(-minutes(10))
		rec.UpdatedAt = rec.ExpiresAt
	default:
		return
	}
	rec.StartedAt, rec.ExpiresAt, rec.LastAccessAt, rec.UpdatedAt = rec.StartedAt.UTC(), rec.ExpiresAt.UTC(), rec.LastAccessAt.UTC(), rec.UpdatedAt.UTC()
	rec.CreatedAt = rec.StartedAt
	rec.TTL = rec.ExpiresAt.Add(7 * 24 * time.Hour).Unix()
	g.ses = append(g.ses, rec)
}

func hex8(v uint32) string {
	const h = hexChars
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = h[v&0xf]
		v >>= 4
	}
	return string(b)
}

func roleName(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}

// otherCall is an assume-role call outside the broker: AWS services into
// their roles, OIDC deployments, the audit role, a legacy role no profile
// covers.
func (g *gen) otherCall() {
	t := g.when()
	acct := g.account
	var c call
	switch p := g.r.IntN(100); {
	case p < 55:
		sr := serviceRoles[g.r.IntN(len(serviceRoles))]
		c = call{name: "AssumeRole", kind: callerService, role: "arn:aws:iam::" + acct + ":role/aws-service-role/" + sr[0] + "/" + sr[1], sessionName: sr[2] + g.hex(8)}
	case p < 70 && acct == ProdAccount:
		c = call{name: "AssumeRoleWithWebIdentity", role: "arn:aws:iam::" + acct + ":role/GitHubDeploy", sessionName: "GitHubActions"}
	case p < 78:
		c = call{name: "AssumeRole", kind: callerService, role: "arn:aws:iam::" + acct + ":role/SecurityAudit", sessionName: "audit-scan"}
	case p < 85:
		c = call{name: "AssumeRoleWithSAML", role: "arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_" + ssoSuffix[acct], sessionName: g.oneOf(users) + "@example.com"}
	default:
		c = call{name: "AssumeRole", kind: callerIAMUser, role: "arn:aws:iam::" + acct + ":role/LegacyAdmin", sessionName: "legacy-cron"}
	}
	if c.kind == callerIAMUser && g.r.IntN(100) < 30 {
		c.failed = true
		g.sum.Failed++
	} else {
		g.sum.Other++
	}
	g.write(c, t)
}

// write writes an assume-role record.
func (g *gen) write(c call, t time.Time) {
	g.buf = append(g.buf, '{')
	g.str("eventVersion", "1.08")
	var ci callerInfo
	switch c.name {
	case "AssumeRoleWithWebIdentity":
		g.obj("userIdentity")
		g.str("type", "WebIdentityUser")
		g.str("principalId", "arn:aws:iam::"+g.account+":oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:example/orders:ref:refs/heads/main")
		g.str("userName", "repo:example/orders:ref:refs/heads/main")
		g.str("identityProvider", "arn:aws:iam::"+g.account+":oidc-provider/token.actions.githubusercontent.com")
		g.end()
		ci = callerInfo{ip: "192.0.2." + strconv.Itoa(1+g.r.IntN(254)), agent: "aws-sdk-js/3.699.0 configure-aws-credentials-for-github-actions"}
	case "AssumeRoleWithSAML":
		g.obj("userIdentity")
		g.str("type", "SAMLUser")
		g.str("principalId", "abc123:"+c.sessionName)
		g.str("userName", c.sessionName)
		g.str("identityProvider", "arn:aws:iam::"+g.account+":saml-provider/AWSSSO_"+g.hex(16)+"_DO_NOT_DELETE")
		g.end()
		ci = callerInfo{ip: g.ip(), agent: agents[4]}
	default:
		ci = g.userIdentity(c.kind, c.callerRole, c.callerSess, c.callerSI)
	}
	g.time("eventTime", t)
	g.str("eventSource", "sts.amazonaws.com")
	g.str("eventName", c.name)
	g.str("awsRegion", g.region)
	g.str("sourceIPAddress", ci.ip)
	g.str("userAgent", ci.agent)
	if c.failed {
		g.str("errorCode", "AccessDenied")
		caller := ci.arn
		if caller == "" {
			caller = "arn:aws:iam::" + g.account + ":user/unknown"
		}
		g.str("errorMessage", "User: "+caller+" is not authorized to perform: sts:"+c.name+" on resource: "+c.role)
		g.raw("requestParameters", "null")
		g.raw("responseElements", "null")
	} else {
		g.obj("requestParameters")
		g.str("roleArn", c.role)
		g.str("roleSessionName", c.sessionName)
		g.int("durationSeconds", 3600)
		if c.si != "" {
			g.str("sourceIdentity", c.si)
		}
		g.end()
		g.obj("responseElements")
		g.obj("credentials")
		g.str("accessKeyId", g.keyID("ASIA"))
		g.str("sessionToken", g.pick(b64Chars, 600))
		g.str("expiration", t.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM"))
		g.end()
		g.obj("assumedRoleUser")
		g.str("assumedRoleId", "AROA"+g.pick(upperChars, 17)+":"+c.sessionName)
		g.str("arn", "arn:aws:sts::"+g.account+":assumed-role/"+roleName(c.role)+"/"+c.sessionName)
		g.end()
		if c.si != "" {
			g.str("sourceIdentity", c.si)
		}
		g.end()
		g.raw("resources", `[{"accountId":"`+g.account+`","type":"AWS::IAM::Role","ARN":"`+c.role+`"}]`)
	}
	g.tail("sts.amazonaws.com", true, true)
	g.endRecord()
}
