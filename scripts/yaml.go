package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Sentinel errors wrapped by *LoadError, for callers that branch on the cause.
var (
	ErrBadDuration      error = &sentinel{"err.bad_duration"}
	ErrDuplicateID      error = &sentinel{"err.duplicate_id"}
	ErrBadUTF8          error = &sentinel{"err.bad_utf8"}
	ErrMissingColumn    error = &sentinel{"err.missing_column"}
	ErrUnknownKind      error = &sentinel{"err.unknown_kind"}
	ErrMissingField     error = &sentinel{"err.missing"}
	ErrUnknownField     error = &sentinel{"err.unknown_field"}
	ErrBadValue         error = &sentinel{"err.bad_value"}
	ErrDurationMismatch error = &sentinel{"err.duration_mismatch"}
	ErrDuplicatePhase   error = &sentinel{"err.duplicate_phase"}
	ErrSyntax           error = &sentinel{"err.syntax"}
	ErrTooLarge         error = &sentinel{"err.too_large"}
	// ErrNoRundown: no sheet of the workbook has a run-sheet header.
	ErrNoRundown error = &sentinel{"err.no_rundown"}
)

// Limits that keep arithmetic on durations far from overflow and make a
// mistyped unit ("5h" for "5m") fail loudly instead of planning a 5-hour slot
// nobody notices.
const (
	maxDuration     = 24 * time.Hour
	maxShowDuration = 7 * 24 * time.Hour
	maxFileSize     = 32 << 20
)

// LoadError is a problem in a script file, located by line (YAML) or by
// sheet and cell (XLSX).
type LoadError struct {
	File    string
	Line    int    // 1-based YAML line; 0 when not known
	Sheet   string // XLSX sheet name
	Cell    string // XLSX cell reference, e.g. "D7"
	Segment string // the segment concerned (title, else id), "" if none
	Field   string // the field concerned, "" if none
	Err     error
}

// Error formats as `show.yaml:14: segment "开场": duration "5x": not a duration`
// or `run.xlsx: Sheet1!D7: duration "5x": not a duration`.
func (e *LoadError) Error() string { return e.In(LangEN) }

// In renders the error in l: `run.xlsx：脚本!D7：时长 “5x”：不是有效的时长`.
func (e *LoadError) In(l Lang) string {
	sep, lineSep := ": ", ":"
	if l == LangZH {
		sep, lineSep = "：", "：第 "
	}
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Sheet != "" && e.Cell != "":
		b.WriteString(sep + e.Sheet + "!" + e.Cell)
	case e.Sheet != "":
		b.WriteString(sep + e.Sheet)
	case e.Line > 0:
		b.WriteString(lineSep + strconv.Itoa(e.Line))
		if l == LangZH {
			b.WriteString(" 行")
		}
	}
	if e.Segment != "" {
		b.WriteString(sep + M("loc.segment", e.Segment).In(l))
	}
	b.WriteString(sep)
	if e.Field != "" {
		b.WriteString(fieldName(e.Field).In(l) + " ")
	}
	if e.Err != nil {
		b.WriteString(Localize(e.Err, l))
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is finds the sentinels.
func (e *LoadError) Unwrap() error { return e.Err }

// LoadYAMLFile reads and decodes a show script file.
func LoadYAMLFile(path string) (*Show, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scripts: load %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scripts: load %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, &LoadError{File: filepath.Base(path), Err: errf("e.over_mib", ErrTooLarge, maxFileSize>>20)}
	}
	return LoadYAML(filepath.Base(path), data)
}

// LoadYAML decodes a show script. name is used in error messages only. It is
// all-or-nothing: on any error the show is nil.
func LoadYAML(name string, data []byte) (*Show, error) {
	if err := checkYAMLStructure(name, data); err != nil {
		return nil, err
	}
	if i := invalidUTF8At(data); i >= 0 {
		return nil, &LoadError{File: name, Line: 1 + bytes.Count(data[:i], []byte{'\n'}), Err: ErrBadUTF8}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &LoadError{File: name, Err: errf("e.empty_file", ErrMissingField)}
		}
		return nil, yamlSyntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlSyntaxError(name, err)
		}
		return nil, &LoadError{File: name, Line: extra.Line, Err: errf("e.more_docs", ErrSyntax)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &LoadError{File: name, Err: errf("e.empty_file", ErrMissingField)}
	}
	d := &yamlDecoder{file: name}
	s, err := d.show(doc.Content[0])
	if err != nil {
		return nil, err
	}
	if iss := checkStructure(s); iss != nil {
		return nil, d.located(s, iss)
	}
	if iss := checkInteractions(s); iss != nil {
		return nil, d.locatedIx(s, iss)
	}
	return s, nil
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a yaml.v3 parse error into a located LoadError.
func yamlSyntaxError(name string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &LoadError{File: name, Line: line, Err: errf("e.colon", ErrSyntax, m[2])}
	}
	return &LoadError{File: name, Err: errf("e.colon", ErrSyntax, strings.TrimPrefix(msg, "yaml: "))}
}

// lines remembers where each decoded element came from, so errors found
// after decoding (duplicate ids, phase sums) still name a line.
type lines struct {
	at     int
	fields map[string]int
}

func (l *lines) of(field string) int {
	if n, ok := l.fields[field]; ok {
		return n
	}
	return l.at
}

type yamlDecoder struct {
	file      string
	showLines lines
	segs      []lines
	phases    [][]lines
	points    [][][]lines
	ix        ixLines
}

func (d *yamlDecoder) fail(n *yaml.Node, seg, field string, err error) error {
	return &LoadError{File: d.file, Line: n.Line, Segment: seg, Field: field, Err: err}
}

// located turns a structure issue into a LoadError on the right line.
func (d *yamlDecoder) located(s *Show, iss *issue) error {
	e := &LoadError{File: d.file, Field: iss.label(), Err: iss.err}
	switch {
	case iss.seg < 0:
		e.Line = d.showLines.of(iss.field)
	case iss.point >= 0:
		e.Line = d.points[iss.seg][iss.phase][iss.point].of(iss.field)
	case iss.phase >= 0:
		e.Line = d.phases[iss.seg][iss.phase].of(iss.field)
	default:
		e.Line = d.segs[iss.seg].of(iss.field)
	}
	if iss.seg >= 0 {
		e.Segment = segmentLabel(&s.Segments[iss.seg], iss.seg)
	}
	if iss.dupOf >= 0 {
		e.Err = errf("e.first_at_line", iss.err, d.segs[iss.dupOf].at)
	}
	return e
}

// segmentLabel names a segment for humans: its title, else id, else #n.
func segmentLabel(g *Segment, i int) string {
	switch {
	case g.Title != "":
		return g.Title
	case g.ID != "":
		return g.ID
	}
	return "#" + strconv.Itoa(i+1)
}

// mapping walks a mapping node, rejecting aliases, duplicate keys and keys
// not in known, and calls fn for each value.
func (d *yamlDecoder) mapping(n *yaml.Node, what, seg string, l *lines, known []string, fn func(key string, v *yaml.Node) error) error {
	if n.Kind == yaml.AliasNode {
		return d.fail(n, seg, "", errf("e.aliases", ErrBadValue))
	}
	if n.Kind != yaml.MappingNode {
		return d.fail(n, seg, what, errf("e.want_mapping", ErrBadValue))
	}
	l.at = n.Line
	l.fields = make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return d.fail(k, seg, "", errf("e.plain_keys", ErrBadValue))
		}
		if !contains(known, k.Value) {
			return d.fail(k, seg, "", errf("e.unknown_field", ErrUnknownField, k.Value))
		}
		if first, dup := l.fields[k.Value]; dup {
			return d.fail(k, seg, k.Value, errf("e.given_twice", ErrBadValue, first))
		}
		if v.Kind == yaml.AliasNode {
			return d.fail(v, seg, k.Value, errf("e.aliases", ErrBadValue))
		}
		l.fields[k.Value] = v.Line
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *yamlDecoder) str(v *yaml.Node, seg, field string) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", d.fail(v, seg, field, errf("e.want_text", ErrBadValue))
	}
	if v.ShortTag() == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

// strList reads a list of plain texts.
func (d *yamlDecoder) strList(v *yaml.Node, seg, field string) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, d.fail(v, seg, field, errf("e.want_list", ErrBadValue))
	}
	var out []string
	for _, n := range v.Content {
		t, err := d.str(n, seg, field)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (d *yamlDecoder) dur(v *yaml.Node, seg, field string) (time.Duration, error) {
	if v.Kind != yaml.ScalarNode {
		return 0, d.fail(v, seg, field, errf("e.want_duration", ErrBadDuration))
	}
	if v.ShortTag() == "!!null" {
		return 0, nil
	}
	t, err := ParseDuration(v.Value)
	if err != nil {
		return 0, d.fail(v, seg, field, err)
	}
	return t, nil
}

func (d *yamlDecoder) boolean(v *yaml.Node, seg, field string) (bool, error) {
	if v.Kind == yaml.ScalarNode {
		switch strings.ToLower(v.Value) {
		case "true", "yes", "y", "on":
			return true, nil
		case "false", "no", "n", "off", "", "~", "null":
			return false, nil
		}
	}
	return false, d.fail(v, seg, field, errf("e.want_bool", v.Value, ErrBadValue))
}

func (d *yamlDecoder) show(n *yaml.Node) (*Show, error) {
	s := &Show{}
	known := []string{"id", "title", "point_cue", "warning", "danger", "adjustment_windows", "segments", "start", "coupons", "votes"}
	err := d.mapping(n, "show", "", &d.showLines, known, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "id":
			s.ID, err = d.str(v, "", key)
		case "title":
			s.Title, err = d.str(v, "", key)
		case "point_cue":
			s.PointCue, err = d.dur(v, "", key)
		case "warning":
			s.Warning, err = d.dur(v, "", key)
		case "danger":
			s.Danger, err = d.dur(v, "", key)
		case "adjustment_windows":
			n, convErr := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || convErr != nil || n < 0 || n > 100 {
				return d.fail(v, "", key, errf("e.want_whole", v.Value, ErrBadValue))
			}
			s.AdjustmentWindows = n
		case "segments":
			err = d.segments(s, v)
		case "start":
			s.Start, err = d.str(v, "", key)
		case "coupons":
			err = d.coupons(s, v)
		case "votes":
			err = d.votes(s, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (d *yamlDecoder) segments(s *Show, v *yaml.Node) error {
	if v.ShortTag() == "!!null" && v.Kind == yaml.ScalarNode {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return d.fail(v, "", "segments", errf("e.want_list", ErrBadValue))
	}
	if err := checkSegmentCount(d.file, len(v.Content)); err != nil {
		return err
	}
	for i, sn := range v.Content {
		g, err := d.segment(sn, i)
		if err != nil {
			return err
		}
		s.Segments = append(s.Segments, g)
	}
	return nil
}

// peek returns the scalar value of key in a mapping, for error labels.
func peek(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].ShortTag() != "!!null" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func (d *yamlDecoder) segment(n *yaml.Node, i int) (Segment, error) {
	var g Segment
	label := segmentLabel(&Segment{Title: peek(n, "title"), ID: peek(n, "id")}, i)
	d.segs = append(d.segs, lines{})
	d.phases = append(d.phases, nil)
	d.points = append(d.points, nil)
	known := []string{"id", "title", "kind", "duration", "notes", "product", "flagship", "preset", "recall_preset", "interaction", "phases", "host_lines"}
	err := d.mapping(n, "segment", label, &d.segs[i], known, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "id":
			g.ID, err = d.str(v, label, key)
		case "title":
			g.Title, err = d.str(v, label, key)
		case "kind":
			var k string
			k, err = d.str(v, label, key)
			g.Kind = normaliseKind(k)
		case "duration":
			g.Duration, err = d.dur(v, label, key)
		case "notes":
			g.Notes, err = d.str(v, label, key)
		case "product":
			g.Product, err = d.str(v, label, key)
		case "flagship":
			g.Flagship, err = d.boolean(v, label, key)
		case "preset":
			g.PresetID, err = d.str(v, label, key)
		case "recall_preset":
			g.RecallPreset, err = d.boolean(v, label, key)
		case "interaction":
			g.Interaction, err = d.str(v, label, key)
		case "phases":
			err = d.phaseList(&g, v, i, label)
		case "host_lines":
			g.HostLines, err = d.strList(v, label, key)
		}
		return err
	})
	return g, err
}

func (d *yamlDecoder) phaseList(g *Segment, v *yaml.Node, si int, label string) error {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return d.fail(v, label, "phases", errf("e.want_list", ErrBadValue))
	}
	for pi, pn := range v.Content {
		var p Phase
		d.phases[si] = append(d.phases[si], lines{})
		d.points[si] = append(d.points[si], nil)
		known := []string{"name", "duration", "points"}
		err := d.mapping(pn, "phase", label, &d.phases[si][pi], known, func(key string, v *yaml.Node) error {
			var err error
			switch key {
			case "name":
				p.Name, err = d.str(v, label, "phase name")
			case "duration":
				p.Duration, err = d.dur(v, label, "phase duration")
			case "points":
				err = d.pointList(&p, v, si, pi, label)
			}
			return err
		})
		if err != nil {
			return err
		}
		g.Phases = append(g.Phases, p)
	}
	return nil
}

func (d *yamlDecoder) pointList(p *Phase, v *yaml.Node, si, pi int, label string) error {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return d.fail(v, label, "points", errf("e.want_list", ErrBadValue))
	}
	for _, n := range v.Content {
		var sp SellingPoint
		l := lines{at: n.Line}
		// A point is either plain text or {text, duration}.
		if n.Kind == yaml.ScalarNode {
			t, err := d.str(n, label, "point")
			if err != nil {
				return err
			}
			sp.Text = t
		} else {
			err := d.mapping(n, "point", label, &l, []string{"text", "duration"}, func(key string, v *yaml.Node) error {
				var err error
				switch key {
				case "text":
					sp.Text, err = d.str(v, label, "point text")
				case "duration":
					sp.Duration, err = d.dur(v, label, "point duration")
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		d.points[si][pi] = append(d.points[si][pi], l)
		p.Points = append(p.Points, sp)
	}
	return nil
}

// SaveYAML encodes a show in the format LoadYAML reads; LoadYAML of the
// result gives back an equal show. A show LoadYAML would reject is refused.
func SaveYAML(s *Show) ([]byte, error) {
	if s == nil {
		return nil, errors.New("scripts: save: nil show")
	}
	if iss := checkStructure(s); iss != nil {
		return nil, iss.asError(s, "save")
	}
	if iss := checkInteractions(s); iss != nil {
		return nil, iss.asError(s, "save")
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	put(root, "id", str(s.ID))
	put(root, "title", str(s.Title))
	if s.PointCue > 0 {
		put(root, "point_cue", str(FormatDuration(s.PointCue)))
	}
	if s.Warning > 0 {
		put(root, "warning", str(FormatDuration(s.Warning)))
	}
	if s.Danger > 0 {
		put(root, "danger", str(FormatDuration(s.Danger)))
	}
	if s.AdjustmentWindows > 0 {
		put(root, "adjustment_windows", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(s.AdjustmentWindows)})
	}
	segs := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range s.Segments {
		segs.Content = append(segs.Content, segmentNode(&s.Segments[i]))
	}
	if s.Start != "" {
		put(root, "start", str(s.Start))
	}
	put(root, "segments", segs)
	interactionNodes(root, s)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("scripts: save: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("scripts: save: %w", err)
	}
	return buf.Bytes(), nil
}

func segmentNode(g *Segment) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	put(n, "id", str(g.ID))
	put(n, "title", str(g.Title))
	put(n, "kind", str(string(g.Kind)))
	if g.Duration > 0 {
		put(n, "duration", str(FormatDuration(g.Duration)))
	}
	if g.Product != "" {
		put(n, "product", str(g.Product))
	}
	if g.Flagship {
		put(n, "flagship", boolNode(true))
	}
	if g.PresetID != "" {
		put(n, "preset", str(g.PresetID))
	}
	if g.RecallPreset {
		put(n, "recall_preset", boolNode(true))
	}
	if g.Interaction != "" {
		put(n, "interaction", str(g.Interaction))
	}
	if g.Notes != "" {
		put(n, "notes", str(g.Notes))
	}
	if len(g.Phases) > 0 {
		ps := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range g.Phases {
			pn := &yaml.Node{Kind: yaml.MappingNode}
			put(pn, "name", str(p.Name))
			put(pn, "duration", str(FormatDuration(p.Duration)))
			if len(p.Points) > 0 {
				pts := &yaml.Node{Kind: yaml.SequenceNode}
				for _, sp := range p.Points {
					if sp.Duration == 0 {
						pts.Content = append(pts.Content, str(sp.Text))
						continue
					}
					m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
					put(m, "text", str(sp.Text))
					put(m, "duration", str(FormatDuration(sp.Duration)))
					pts.Content = append(pts.Content, m)
				}
				put(pn, "points", pts)
			}
			ps.Content = append(ps.Content, pn)
		}
		put(n, "phases", ps)
	}
	if len(g.HostLines) > 0 {
		hl := &yaml.Node{Kind: yaml.SequenceNode}
		for _, line := range g.HostLines {
			hl.Content = append(hl.Content, str(line))
		}
		put(n, "host_lines", hl)
	}
	return n
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// str makes a string scalar. Text the emitter might not read back verbatim
// (control characters, surrounding blanks, unusual line breaks) is double
// quoted, which escapes everything.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if needsQuoting(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func needsQuoting(s string) bool {
	if s != strings.TrimSpace(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0x2028 || r == 0x2029 || r == utf8.RuneError {
			return true
		}
	}
	return false
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// SaveYAMLFile writes a show to path atomically: it writes a temporary file
// in the same directory, syncs it and renames it over path, so a crash
// leaves either the old file or the new one, never half of one.
func SaveYAMLFile(path string, s *Show) error {
	data, err := SaveYAML(s)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("scripts: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("scripts: save %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("scripts: save %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("scripts: save %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("scripts: save %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("scripts: save %s: %w", path, err)
	}
	// Sync the directory so the rename itself survives a power cut; not every
	// platform supports it, and the data is already safe, so errors are ignored.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
