package incident

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// flowRec is one flow record; fields that a format lacks are left out.
type flowRec struct {
	eni, instance, subnet      string
	src, dst                   string
	sport, dport, proto, flags int
	packets, bytes             int64
	start                      time.Time
	action, status, direction  string
	path                       string
}

const v5Header = "version account-id vpc-id subnet-id interface-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr packets bytes start end action log-status flow-direction traffic-path"

func (f *flowRec) v2() string {
	end := f.start.Add(time.Minute)
	if f.status != "OK" {
		return fmt.Sprintf("2 %s %s - - - - - - - %s %s - %s", Account, f.eni, unix(f.start), unix(end), f.status)
	}
	return fmt.Sprintf("2 %s %s %s %s %d %d %d %d %d %s %s %s OK", Account, f.eni, f.src, f.dst, f.sport, f.dport, f.proto,
		f.packets, f.bytes, unix(f.start), unix(end), f.action)
}

func (f *flowRec) v5() string {
	end := f.start.Add(time.Minute)
	if f.status != "OK" {
		return fmt.Sprintf("5 %s %s %s %s %s - - - - - - - - - - - %s %s - %s - -", Account, vpcID, f.subnet, f.eni, f.instance,
			unix(f.start), unix(end), f.status)
	}
	path := f.path
	if path == "" {
		path = "-"
	}
	return fmt.Sprintf("5 %s %s %s %s %s %s %s %d %d %d %d IPv4 %s %s %d %d %s %s %s OK %s %s", Account, vpcID, f.subnet, f.eni, f.instance,
		f.src, f.dst, f.sport, f.dport, f.proto, f.flags, f.src, f.dst, f.packets, f.bytes, unix(f.start), unix(end), f.action, f.direction, path)
}

// flowLogs writes the default-format log of the web subnet and the custom
// v5 log of the data subnet, one file per hour until they were deleted.
func (g *gen) flowLogs(files map[string][]byte) {
	v2, v5 := map[time.Time][]*flowRec{}, map[time.Time][]*flowRec{}
	add := func(m map[time.Time][]*flowRec, f *flowRec) {
		if f.start.Before(flowLogsDeleted) {
			h := f.start.Truncate(time.Hour)
			m[h] = append(m[h], f)
		}
	}
	web := func(src, dst string, sport, dport int, pk, by int64, t time.Time, action string) *flowRec {
		return &flowRec{eni: webENI, src: src, dst: dst, sport: sport, dport: dport, proto: 6, packets: pk, bytes: by, start: t, action: action, status: "OK"}
	}
	data := func(src, dst string, sport, dport, flags int, pk, by int64, t time.Time, action, dir string) *flowRec {
		f := &flowRec{eni: dataENI, instance: dataInstance, subnet: dataSubnet, src: src, dst: dst, sport: sport, dport: dport, proto: 6,
			flags: flags, packets: pk, bytes: by, start: t, action: action, status: "OK", direction: dir}
		if dir == "egress" {
			f.path = "1"
		}
		return f
	}
	for _, h := range hours(Start, flowLogsDeleted) {
		// Background: ALB health checks to the web host, DNS, patching
		// traffic, and an idle interface that logs NODATA.
		for i := 0; i < 3; i++ {
			t := h.Add(time.Duration(i*20)*time.Minute + g.jitter(time.Minute))
			port := 32768 + g.rnd.IntN(28000)
			add(v2, web("10.0.0.17", webHost, port, 80, 6, 520, t, "ACCEPT"))
			add(v2, web(webHost, "10.0.0.17", 80, port, 4, 612, t, "ACCEPT"))
		}
		t := h.Add(7*time.Minute + g.jitter(time.Minute))
		port := 32768 + g.rnd.IntN(28000)
		add(v2, &flowRec{eni: webENI, src: webHost, dst: "10.0.0.2", sport: port, dport: 53, proto: 17, packets: 1, bytes: 74, start: t, action: "ACCEPT", status: "OK"})
		add(v2, &flowRec{eni: idleENI, start: h.Add(30 * time.Minute), status: "NODATA"})
		port = 32768 + g.rnd.IntN(28000)
		t = h.Add(15*time.Minute + g.jitter(time.Minute))
		add(v5, data(dataHost, "52.216.8.120", port, 443, 2, 14, 2208, t, "ACCEPT", "egress"))
		add(v5, data("52.216.8.120", dataHost, 443, port, 18, 22, 28844, t, "ACCEPT", "ingress"))
		port = 32768 + g.rnd.IntN(28000)
		add(v5, data("10.0.3.10", dataHost, port, 5432, 2, 40, 5120, h.Add(40*time.Minute+g.jitter(time.Minute)), "ACCEPT", "ingress"))
		add(v5, data(dataHost, "10.0.3.10", 5432, port, 18, 38, 48211, h.Add(40*time.Minute+g.jitter(time.Minute)), "ACCEPT", "egress"))
		if h.Hour()%6 == 3 {
			add(v5, &flowRec{eni: dataENI, instance: dataInstance, subnet: dataSubnet, start: h.Add(50 * time.Minute), status: "SKIPDATA"})
		}
		// Internet noise: someone else's SSH scan, stopped by the
		// security group.
		add(v2, web("192.0.2.201", webHost, 40000+g.rnd.IntN(20000), 22, 1, 60, h.Add(50*time.Minute+g.jitter(5*time.Minute)), "REJECT"))
	}
	// The attacker: an RDP probe (rejected by the security group), SSH with
	// the pushed key, a probe of the data host whose replies the data
	// subnet's NACL drops, and the exfiltration from the web host.
	d1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(hh, mm, ss int) time.Time {
		return d1.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	}
	add(v2, web(AttackerIP, webHost, 40122, 3389, 2, 120, at(14, 16, 5), "REJECT"))
	for i, t := range []time.Time{at(14, 27, 12), at(14, 28, 12), at(14, 29, 12)} {
		add(v2, web(AttackerIP, webHost, 51514, 22, int64(30+i*11), int64(5480+i*2200), t, "ACCEPT"))
		add(v2, web(webHost, AttackerIP, 22, 51514, int64(28+i*9), int64(7311+i*5100), t, "ACCEPT"))
	}
	add(v5, data(AttackerIP, dataHost, 50122, 443, 2, 3, 180, at(14, 31, 40), "ACCEPT", "ingress"))
	add(v5, data(dataHost, AttackerIP, 443, 50122, 18, 3, 180, at(14, 31, 40), "REJECT", "egress"))
	add(v5, data(AttackerIP, dataHost, 50124, 443, 2, 3, 180, at(14, 32, 41), "ACCEPT", "ingress"))
	add(v5, data(dataHost, AttackerIP, 443, 50124, 18, 3, 180, at(14, 32, 41), "REJECT", "egress"))
	add(v2, web(webHost, AttackerIP, 41870, 443, 36410, 52_428_800, at(15, 1, 30), "ACCEPT"))
	add(v2, web(AttackerIP, webHost, 443, 41870, 18200, 1_092_000, at(15, 1, 30), "ACCEPT"))
	add(v2, web(AttackerIP, webHost, 51990, 22, 25, 4410, at(26, 14, 2), "ACCEPT"))
	add(v2, web(webHost, AttackerIP, 22, 51990, 22, 6120, at(26, 14, 2), "ACCEPT"))

	write := func(m map[time.Time][]*flowRec, flowLog string, header string, line func(*flowRec) string) {
		for _, h := range sortedHours(m) {
			recs := m[h]
			sort.SliceStable(recs, func(i, j int) bool { return recs[i].start.Before(recs[j].start) })
			var b strings.Builder
			b.WriteString(header + "\n")
			for _, f := range recs {
				b.WriteString(line(f) + "\n")
			}
			delivered := h.Add(time.Hour + 2*time.Minute + g.jitter(5*time.Minute))
			key := fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/%s_vpcflowlogs_%s_%s_%s_%s.log.gz", Account, Region, h.Format("2006/01/02"),
				Account, Region, flowLog, delivered.Format("20060102T1504Z"), g.hex(8))
			g.networkObject(files, key, []byte(b.String()), delivered)
		}
	}
	write(v2, flowLogV2, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status", (*flowRec).v2)
	write(v5, flowLogV5, v5Header, (*flowRec).v5)
}

func sortedHours[T any](m map[time.Time]T) []time.Time {
	hs := make([]time.Time, 0, len(m))
	for h := range m {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Before(hs[j]) })
	return hs
}

// networkObject adds a gzipped network log and its sidecar.
func (g *gen) networkObject(files map[string][]byte, key string, text []byte, delivered time.Time) {
	body := gz(text)
	files[NetworkBucket+"/"+key] = body
	files[NetworkBucket+"/"+key+".head.json"] = sidecar(body, nil, delivered, "nw."+g.hex(28), "GOVERNANCE", NetworkRetainUntil)
}

// albReq is one ALB request.
type albReq struct {
	at       time.Time
	client   string // ip:port as ALB writes it (IPv6 unbracketed)
	method   string
	path     string
	status   int
	ua       string
	sent     int64
	received int64
}

func (g *gen) albLine(r *albReq) string {
	created := r.at.Add(-time.Duration(3+g.rnd.IntN(40)) * time.Millisecond)
	target, tstatus, tproc := appTarget+":8080", fmt.Sprint(r.status), fmt.Sprintf("%.3f", 0.002+float64(g.rnd.IntN(80))/1000)
	return fmt.Sprintf(`https %s %s %s %s 0.000 %s 0.000 %d %s %d %d "%s https://shop.example.com:443%s HTTP/1.1" "%s" TLS_AES_128_GCM_SHA256 TLSv1.3 %s "Root=1-%08x-%s" "shop.example.com" "%s" 1 %s "forward" "-" "-" "%s" "%s" "-" "-" TID_%s`,
		r.at.UTC().Format("2006-01-02T15:04:05.000000Z"), albName, r.client, target, tproc, r.status, tstatus, r.received, r.sent,
		r.method, r.path, r.ua, targetGroup, r.at.Unix(), g.hex(24), certARN, created.UTC().Format("2006-01-02T15:04:05.000000Z"),
		target, tstatus, g.hex(32))
}

// albLogs writes the shop load balancer's access logs, one file per hour
// until the attacker turned them off.
func (g *gen) albLogs(files map[string][]byte) {
	byHour := map[time.Time][]*albReq{}
	add := func(r *albReq) {
		if r.at.Before(albLogsOff) {
			h := r.at.Truncate(time.Hour)
			byHour[h] = append(byHour[h], r)
		}
	}
	customers := []string{"198.51.100.131", "192.0.2.57", "198.51.100.203", "2001:db8:cafe::17", "192.0.2.190"}
	pages := []string{"/", "/products", "/products/42", "/cart", "/static/app.js", "/api/v1/cart"}
	uas := []string{consoleUA, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"}
	for _, h := range hours(Start, albLogsOff) {
		n := 3
		if h.Hour() >= 8 && h.Hour() < 22 {
			n = 7
		}
		for i := 0; i < n; i++ {
			c := customers[g.rnd.IntN(len(customers))]
			add(&albReq{at: h.Add(g.jitter(time.Hour)), client: fmt.Sprintf("%s:%d", c, 49152+g.rnd.IntN(16000)), method: "GET",
				path: pages[g.rnd.IntN(len(pages))], status: 200, ua: uas[g.rnd.IntN(len(uas))], sent: int64(900 + g.rnd.IntN(40000)), received: int64(300 + g.rnd.IntN(400))})
		}
	}
	// The attacker's scan and exploitation attempts.
	scan := []struct {
		path   string
		status int
		v6     bool
	}{
		{"/", 200, false}, {"/.env", 404, false}, {"/.git/config", 404, false}, {"/wp-login.php", 404, true},
		{"/actuator/env", 200, false}, {"/actuator/heapdump", 403, false}, {"/api/v1/debug?cmd=id", 500, true},
		{"/api/v1/upload?file=../../../../etc/passwd", 400, false}, {"/.aws/credentials", 404, true}, {"/ci/build-logs/latest.txt", 200, false},
	}
	base := AttackStart
	for i, s := range scan {
		client := fmt.Sprintf("%s:%d", AttackerIP, 41200+i)
		if s.v6 {
			client = fmt.Sprintf("%s:%d", AttackerIPv6, 41200+i)
		}
		add(&albReq{at: base.Add(time.Duration(i*47)*time.Second + g.jitter(time.Second)), client: client, method: "GET", path: s.path,
			status: s.status, ua: scannerUA, sent: int64(200 + g.rnd.IntN(900)), received: 240})
	}
	for _, h := range sortedHours(byHour) {
		reqs := byHour[h]
		sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].at.Before(reqs[j].at) })
		var b strings.Builder
		for _, r := range reqs {
			b.WriteString(g.albLine(r) + "\n")
		}
		delivered := h.Add(time.Hour + time.Duration(g.rnd.IntN(4))*time.Minute)
		key := fmt.Sprintf("AWSLogs/%s/elasticloadbalancing/%s/%s/%s_elasticloadbalancing_%s_%s_%s_%s_%s.log.gz", Account, Region,
			h.Format("2006/01/02"), Account, Region, albFileName, delivered.Format("20060102T1504Z"), albNodeIP, g.hex(8))
		g.networkObject(files, key, []byte(b.String()), delivered)
	}
}
