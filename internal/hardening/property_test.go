package hardening

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// "No wrong compliant": random policies, trails and session records, with
// the ground truth (which event is tracked, which rule governs it) computed
// here from how the scenario was generated, never from the report. Whenever
// an event that a require_server_session rule governs is not tracked, the
// run must fail with --fail-on error.

var (
	propIterations = flag.Int("hardening.iterations", 200, "scenarios the property test generates")
	propSeed       = flag.Uint64("hardening.seed", 1, "seed of the first scenario")
)

var propBase = time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)

type genRule struct {
	name, effect string
	profiles     []string
	users        []string
	modes        []string
	hours        *[2]int // start and end minute of the day, UTC
}

// matches is the reference evaluation of a rule for an event: CloudTrail
// shows no mode, so it is "server"; without a broker identity there is no user.
func (r genRule) matches(profile, user string, hasUser bool, t time.Time) bool {
	globs := func(gs []string, s string) bool {
		for _, g := range gs {
			if p, ok := strings.CutSuffix(g, "*"); ok && strings.HasPrefix(s, p) || g == s {
				return true
			}
		}
		return false
	}
	if r.profiles != nil && !globs(r.profiles, profile) {
		return false
	}
	if r.users != nil && !(hasUser && globs(r.users, user)) {
		return false
	}
	if r.modes != nil && !globs(r.modes, "server") {
		return false
	}
	if r.hours != nil {
		m := t.Hour()*60 + t.Minute()
		s, e := r.hours[0], r.hours[1]
		if s < e && !(m >= s && m < e) || s > e && !(m >= s || m < e) {
			return false
		}
	}
	return true
}

func (r genRule) hcl() string {
	list := func(xs []string) string { return `["` + strings.Join(xs, `", "`) + `"]` }
	var b strings.Builder
	fmt.Fprintf(&b, "rule %q {\n  effect = %q\n", r.name, r.effect)
	if r.profiles != nil {
		fmt.Fprintf(&b, "  profiles = %s\n", list(r.profiles))
	}
	if r.users != nil {
		fmt.Fprintf(&b, "  users = %s\n", list(r.users))
	}
	if r.modes != nil {
		fmt.Fprintf(&b, "  mode = %s\n", list(r.modes))
	}
	if r.hours != nil {
		fmt.Fprintf(&b, "  time {\n    hours {\n      start = \"%02d:%02d\"\n      end   = \"%02d:%02d\"\n    }\n  }\n",
			r.hours[0]/60, r.hours[0]%60, r.hours[1]/60, r.hours[1]%60)
	}
	b.WriteString("}\n")
	return b.String()
}

// Kinds of generated events.
const (
	kNoSI         = iota // no SourceIdentity
	kForeign             // a SourceIdentity that is not the broker's
	kLive                // broker identity with a live record: tracked
	kLegacyLive          // the 3-part form with a live record: tracked
	kCallerLive          // broker identity on the caller (role chaining), live record: tracked
	kRevokedAfter        // record revoked after the event: tracked
	kOrphan              // broker identity, no record
	kRevoked             // record revoked before the event
	kExpired             // record expired before the event
	kFailed              // refused call: no session
	kOutside             // outside the window
	kDuplicate           // a copy of an earlier event in another file
	kinds
)

var kindNames = [...]string{"no-si", "foreign", "live", "legacy-live", "caller-live", "revoked-after", "orphan", "revoked", "expired", "failed", "outside", "duplicate"}

type genEvent struct {
	ev       ctEvent
	kind     int
	profile  string // "" = no profile maps the role
	user     string
	hasUser  bool
	file     int
	tracked  bool // ground truth
	session  bool // a successful session inside the window, counted once
	required bool // its governing rule is require_server_session
}

type scenario struct {
	seed     uint64
	profiles []string
	rules    []genRule
	events   []genEvent
	records  []sessRec
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func generate(seed uint64) scenario {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	sc := scenario{seed: seed}
	for i := range 1 + r.IntN(4) {
		sc.profiles = append(sc.profiles, fmt.Sprintf("p%d", i))
	}
	anyProfile := func() string { return pick(r, sc.profiles...) }
	for i := range 1 + r.IntN(4) {
		g := genRule{name: fmt.Sprintf("r%d", i),
			effect: pick(r, "require_server_session", "require_server_session", "require_server_session", "require_server", "require_approval", "allow", "deny")}
		switch r.IntN(6) {
		case 0:
			g.profiles = []string{anyProfile()}
		case 1:
			g.profiles = []string{"p*"}
		case 2:
			g.profiles = []string{anyProfile(), anyProfile()}
		case 3:
			g.profiles = []string{"nobody"}
		}
		switch r.IntN(5) {
		case 0:
			g.users = []string{"alice"}
		case 1:
			g.users = []string{"b*"}
		case 2:
			g.users = []string{"*"}
		}
		switch r.IntN(6) {
		case 0:
			g.modes = []string{"server"}
		case 1:
			g.modes = []string{"cli"}
		case 2:
			g.modes = []string{"cli", "server"}
		}
		if r.IntN(4) == 0 {
			s, e := r.IntN(24*4)*15, r.IntN(24*4)*15
			if s != e {
				g.hours = &[2]int{s, e}
			}
		}
		sc.rules = append(sc.rules, g)
	}
	files := 1 + r.IntN(3)
	seen := map[string]bool{}
	for i := range r.IntN(13) {
		k := r.IntN(kinds)
		if k == kDuplicate && len(sc.events) == 0 {
			k = kNoSI
		}
		if k == kDuplicate {
			d := sc.events[r.IntN(len(sc.events))]
			d.kind, d.file, d.session = kDuplicate, r.IntN(files), false
			sc.events = append(sc.events, d)
			continue
		}
		g := genEvent{kind: k, file: r.IntN(files), user: pick(r, "alice", "bob", "bert", "carol")}
		pi := r.IntN(len(sc.profiles) + 1)
		role := "arn:aws:iam::999988887777:role/Elsewhere"
		if pi < len(sc.profiles) {
			g.profile = sc.profiles[pi]
			role = fmt.Sprintf("arn:aws:iam::111122223333:role/R%d-%s", pi, pick(r, "admin", "ro"))
		}
		t := propBase.Add(time.Duration(r.IntN(24*60)) * time.Minute)
		if k == kOutside {
			t = propBase.Add(-48 * time.Hour)
		}
		req := fmt.Sprintf("%08x", r.Uint32())
		approval := pick(r, "direct", fmt.Sprintf("%08x", r.Uint32()))
		si := "sentinel:" + g.user + ":" + approval + ":" + req
		g.ev = ctEvent{ID: fmt.Sprintf("ev-%d-%d", seed, i), Role: role, Time: t}
		rec := liveRec(fmt.Sprintf("rec-%d-%d", seed, i), g.user, g.profile, si, t.Add(-time.Hour), 2*time.Hour)
		switch k {
		case kNoSI, kOutside:
		case kForeign:
			g.ev.SI = pick(r, "jenkins-42", "sentinel:"+g.user, "SENTINEL:"+g.user+":direct:"+req, "sentinel:"+g.user+":direct:"+req+"x")
		case kLive:
			g.ev.SI = si
			sc.records = append(sc.records, rec)
		case kLegacyLive:
			g.ev.SI = "sentinel:" + g.user + ":" + req
			rec.SourceIdentity = g.ev.SI
			sc.records = append(sc.records, rec)
		case kCallerLive:
			g.ev.CallerSI = si
			sc.records = append(sc.records, rec)
		case kRevokedAfter:
			g.ev.SI = si
			rec.Status, rec.UpdatedAt = "revoked", stamp(t.Add(30*time.Minute))
			sc.records = append(sc.records, rec)
		case kOrphan:
			g.ev.SI = si
		case kRevoked:
			g.ev.SI = si
			rec.Status, rec.UpdatedAt = "revoked", stamp(t.Add(-30*time.Minute))
			sc.records = append(sc.records, rec)
		case kExpired:
			g.ev.SI = si
			rec = liveRec(rec.ID, g.user, g.profile, si, t.Add(-5*time.Hour), time.Hour)
			sc.records = append(sc.records, rec)
		case kFailed:
			g.ev.SI = si
			g.ev.ErrorCode = "AccessDenied"
		}
		g.hasUser = g.ev.SI != "" && k != kForeign || g.ev.CallerSI != ""
		g.tracked = k == kLive || k == kLegacyLive || k == kCallerLive || k == kRevokedAfter
		g.session = k != kFailed && k != kOutside && !seen[g.ev.ID]
		seen[g.ev.ID] = true
		if g.session && g.profile != "" {
			for _, rule := range sc.rules {
				if rule.matches(g.profile, g.user, g.hasUser, t) {
					g.required = rule.effect == "require_server_session"
					break
				}
			}
		}
		sc.events = append(sc.events, g)
	}
	return sc
}

func (sc scenario) policy() string {
	var b strings.Builder
	for i, p := range sc.profiles {
		fmt.Fprintf(&b, "profile %q {\n  role_arns = [\"arn:aws:iam::111122223333:role/R%d-*\"]\n}\n", p, i)
	}
	for _, r := range sc.rules {
		b.WriteString(r.hcl())
	}
	return b.String()
}

// gap reports whether some event that demands a tracked session is not tracked.
func (sc scenario) gap() (bool, string) {
	for _, g := range sc.events {
		if g.required && !g.tracked {
			return true, fmt.Sprintf("%s (%s) in %s", g.ev.ID, kindNames[g.kind], g.profile)
		}
	}
	return false, ""
}

func (sc scenario) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d\n%s", sc.seed, sc.policy())
	for _, g := range sc.events {
		fmt.Fprintf(&b, "  %s %-13s profile=%-3s user=%-5s hasUser=%-5v %s tracked=%v session=%v required=%v file=%d\n",
			g.ev.ID, kindNames[g.kind], g.profile, g.user, g.hasUser, g.ev.Time.Format("15:04"), g.tracked, g.session, g.required, g.file)
	}
	return b.String()
}

func runScenario(t *testing.T, sc scenario) (result, *report) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "policy.hcl"), []byte(sc.policy()))
	byFile := map[int][]ctEvent{}
	for _, g := range sc.events {
		byFile[g.file] = append(byFile[g.file], g.ev)
	}
	writeFile(t, filepath.Join(dir, "trail", "empty.json"), []byte(`{"Records":[]}`))
	for f, evs := range byFile {
		writeFile(t, filepath.Join(dir, "trail", fmt.Sprintf("f%d.json", f)), trailDoc(evs))
	}
	recs := sc.records
	if recs == nil {
		recs = []sessRec{}
	}
	writeJSON(t, filepath.Join(dir, "sessions.json"), recs)
	res := runBin(t, dir, nil, 30*time.Second, "check", "--policy", "policy.hcl", "--cloudtrail", "trail",
		"--sessions", "sessions.json", "--since", propBase.Format(time.RFC3339), "--until", propBase.Add(24*time.Hour).Format(time.RFC3339),
		"--format", "json=out.json", "--fail-on", "error", "--base-dir", dir)
	return res, readReport(t, filepath.Join(dir, "out.json"))
}

func TestNoWrongCompliant(t *testing.T) {
	gaps, clean, kindsSeen := 0, 0, map[int]int{}
	start := time.Now()
	for i := range uint64(*propIterations) {
		sc := generate(*propSeed + i)
		for _, g := range sc.events {
			kindsSeen[g.kind]++
		}
		res, rep := runScenario(t, sc)
		if res.code != 0 && res.code != 1 {
			t.Fatalf("exit code %d; stderr:\n%s\n%s", res.code, res.stderr, sc.describe())
		}
		if rep == nil {
			t.Fatalf("no report written\n%s", sc.describe())
		}
		hasGap, example := sc.gap()
		if hasGap {
			gaps++
			if res.code == 0 {
				t.Fatalf("WRONG COMPLIANT: %s demands a tracked session and is not tracked, but the run exits 0\n%s", example, sc.describe())
			}
			if !rep.has("SC1001") {
				t.Errorf("%s is not tracked but there is no SC1001 finding\n%s", example, sc.describe())
			}
		} else {
			clean++
			if rep.has("SC1001") {
				t.Errorf("every event that demands a tracked session is tracked, but SC1001 fired: %+v\n%s", rep.Findings, sc.describe())
			}
		}
		// Per profile, the report's counts are the ground truth's.
		want := map[string][3]int{} // sessions, tracked, gap
		for _, g := range sc.events {
			if !g.session || g.profile == "" {
				continue
			}
			w := want[g.profile]
			w[0]++
			if g.tracked {
				w[1]++
			}
			if g.required && !g.tracked {
				w[2] = 1
			}
			want[g.profile] = w
		}
		for _, p := range rep.Profiles {
			w := want[p.Profile]
			if p.Sessions != w[0] || p.Tracked != w[1] || p.HasGap != (w[2] == 1) {
				t.Errorf("profile %s: %d sessions, %d tracked, gap %v; ground truth %d, %d, %v\n%s",
					p.Profile, p.Sessions, p.Tracked, p.HasGap, w[0], w[1], w[2] == 1, sc.describe())
			}
		}
		if t.Failed() {
			return
		}
	}
	var ks []string
	for k, n := range kindsSeen {
		ks = append(ks, fmt.Sprintf("%s=%d", kindNames[k], n))
	}
	sort.Strings(ks)
	t.Logf("%d scenarios (%d with a gap, %d without) in %v; events by kind: %s", *propIterations, gaps, clean, time.Since(start).Round(time.Millisecond), strings.Join(ks, " "))
	if gaps < *propIterations/10 || clean < *propIterations/10 {
		t.Errorf("the generator is lopsided: %d scenarios with a gap, %d without", gaps, clean)
	}
}
