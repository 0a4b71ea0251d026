package timeline

import (
	"strings"
	"time"
)

// NACLHint is the annotation of a REJECT flow record on the reply
// direction of a flow that was accepted the other way.
const NACLHint = "a network ACL (stateless) dropped the reply; a security group would have allowed it"

// naclWindow is how far apart in time the accepted request and the
// rejected reply may start: flow records aggregate up to ten minutes.
const naclWindow = 11 * time.Minute

// maxAnnotateBuffer bounds how many events the annotator holds back while
// it waits for the other direction of a flow.
const maxAnnotateBuffer = 50000

// flowKey is a flow's 5-tuple as logged.
type flowKey struct {
	src, dst     string
	sport, dport int
	proto        string
}

func (k flowKey) reverse() flowKey {
	return flowKey{src: k.dst, dst: k.src, sport: k.dport, dport: k.sport, proto: k.proto}
}

// flowKeyOf returns the 5-tuple of a flow record with both addresses.
func flowKeyOf(e *Event) (flowKey, bool) {
	if e.Source != SourceVPCFlow || e.isGap() {
		return flowKey{}, false
	}
	src, ok1 := NormalizeIP(e.SrcIP)
	dst, ok2 := NormalizeIP(e.DstIP)
	if !ok1 || !ok2 {
		return flowKey{}, false
	}
	return flowKey{src: src, dst: dst, sport: e.SrcPort, dport: e.DstPort, proto: strings.ToLower(e.Protocol)}, true
}

// naclAnnotator adds NACLHint to REJECT flow records whose reverse 5-tuple
// was ACCEPTed near in time, unless the case's AWS Config history
// already explained the REJECT (confighint.go). Events pass through in order; each is held
// back until the stream has moved naclWindow past it, so an ACCEPT logged
// just after its rejected reply still counts.
type naclAnnotator struct {
	out     func(*Match) error
	buf     []*Match // held back, in order
	head    int
	accepts map[flowKey][]time.Time // ACCEPTs in the buffer
	rejects map[flowKey][]*Match    // REJECT candidates in the buffer, not annotated yet
}

func newNACLAnnotator(out func(*Match) error) *naclAnnotator {
	return &naclAnnotator{out: out, accepts: map[flowKey][]time.Time{}, rejects: map[flowKey][]*Match{}}
}

func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d <= naclWindow && d >= -naclWindow
}

// push takes the next event (in time order).
func (a *naclAnnotator) push(m *Match) error {
	e := m.Event
	if k, ok := flowKeyOf(e); ok {
		switch strings.ToUpper(e.Action) {
		case "ACCEPT":
			rev := k.reverse()
			if rs := a.rejects[rev]; len(rs) > 0 {
				kept := rs[:0]
				for _, r := range rs {
					if near(r.Event.Time, e.Time) {
						r.Event.Annotations = append(r.Event.Annotations, NACLHint)
					} else {
						kept = append(kept, r)
					}
				}
				a.setRejects(rev, kept)
			}
			a.accepts[k] = append(a.accepts[k], e.Time)
		case "REJECT":
			if FlowDirectionHint(e) != FlowInitiator && !hasConfigHint(e) {
				hinted := false
				for _, t := range a.accepts[k.reverse()] {
					if near(t, e.Time) {
						e.Annotations = append(e.Annotations, NACLHint)
						hinted = true
						break
					}
				}
				if !hinted {
					a.rejects[k] = append(a.rejects[k], m)
				}
			}
		}
	}
	a.buf = append(a.buf, m)
	for a.head < len(a.buf) {
		old := a.buf[a.head]
		if len(a.buf)-a.head <= maxAnnotateBuffer && !old.Event.Time.Add(naclWindow).Before(e.Time) {
			break
		}
		if err := a.release(); err != nil {
			return err
		}
	}
	if a.head > 4096 && a.head*2 > len(a.buf) {
		n := copy(a.buf, a.buf[a.head:])
		clear(a.buf[n:])
		a.buf, a.head = a.buf[:n], 0
	}
	return nil
}

func (a *naclAnnotator) setRejects(k flowKey, rs []*Match) {
	if len(rs) == 0 {
		delete(a.rejects, k)
	} else {
		a.rejects[k] = rs
	}
}

// release emits the oldest held event and forgets it.
func (a *naclAnnotator) release() error {
	m := a.buf[a.head]
	a.buf[a.head] = nil
	a.head++
	if k, ok := flowKeyOf(m.Event); ok {
		switch strings.ToUpper(m.Event.Action) {
		case "ACCEPT":
			if ts := a.accepts[k]; len(ts) > 0 {
				if len(ts) == 1 {
					delete(a.accepts, k)
				} else {
					a.accepts[k] = ts[1:]
				}
			}
		case "REJECT":
			if rs := a.rejects[k]; len(rs) > 0 {
				kept := rs[:0]
				for _, r := range rs {
					if r != m {
						kept = append(kept, r)
					}
				}
				a.setRejects(k, kept)
			}
		}
	}
	return a.out(m)
}

// flush emits everything held back.
func (a *naclAnnotator) flush() error {
	for a.head < len(a.buf) {
		if err := a.release(); err != nil {
			return err
		}
	}
	a.buf, a.head = a.buf[:0], 0
	return nil
}
