// Package fleet joins a desk to an agency's fleet of studios over NATS
// with JetStream: the shared library (key-value buckets), off-box
// evidence (a per-studio stream of show-log records), hot standby and the
// agency overview. A desk with no fleet configured never loads any of it.
//
// Every name a desk uses on the wire is built here, so the hub's
// permissions (perms.go) and the desk's traffic cannot drift apart.
package fleet

import (
	"fmt"
	"regexp"
)

// Names of the shared, agency-wide objects.
const (
	// LibraryBucket is the shared library: presets, device templates,
	// shows and word lists, readable by every studio and written by the
	// agency (or a producer with library rights).
	LibraryBucket = "sd_lib"
	// Root is the first token of every studio subject.
	Root = "sd"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// CheckID validates a studio id: 1–32 of a–z, 0–9 and "-", starting with
// a letter or digit. Ids become subject tokens, stream and bucket names,
// so nothing else is allowed.
func CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("studio id %q: want 1 to 32 of a-z, 0-9 and '-', starting with a letter or digit", id)
	}
	return nil
}

// Studio is the set of wire names that belong to one studio.
type Studio struct{ ID string }

// Subjects returns the studio's subject wildcard (sd.<id>.>).
func (s Studio) Subjects() string { return Root + "." + s.ID + ".>" }

// LogSubject is where the show log of show (a run name, or "desk") is
// published: sd.<id>.log.<show>. Show names are store log names, which
// may hold characters that are not valid subject tokens; they are
// escaped by Token.
func (s Studio) LogSubject(show string) string { return Root + "." + s.ID + ".log." + Token(show) }

// LogStream is the studio's evidence stream (SD_LOG_<id>).
func (s Studio) LogStream() string { return "SD_LOG_" + s.ID }

// Heartbeat is where the primary desk's status goes once a second
// (sd.<id>.status), read by the hub's overview and by standbys.
func (s Studio) Heartbeat() string { return Root + "." + s.ID + ".status" }

// Bucket is the studio's own key-value bucket: its copy of library items,
// the leader lease and the state a standby follows (sd_s_<id>).
func (s Studio) Bucket() string { return "sd_s_" + s.ID }

// Inbox is the studio's reply-subject prefix, so replies to one studio
// cannot be read by another (_INBOX_<id>).
func (s Studio) Inbox() string { return "_INBOX_" + s.ID }

// Token makes s a single valid subject token: bytes outside
// [A-Za-z0-9_-] are written as ~XX (hex), so the mapping is one to one.
func Token(s string) string {
	if s == "" {
		return "~"
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			out = append(out, c)
		default:
			out = append(out, '~', hex[c>>4], hex[c&15])
		}
	}
	return string(out)
}

// Untoken reverses Token.
func Untoken(t string) (string, error) {
	if t == "~" {
		return "", nil
	}
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		if t[i] != '~' {
			out = append(out, t[i])
			continue
		}
		if i+2 >= len(t) {
			return "", fmt.Errorf("subject token %q: cut escape at %d", t, i)
		}
		var b byte
		for _, h := range t[i+1 : i+3] {
			b <<= 4
			switch {
			case h >= '0' && h <= '9':
				b |= byte(h - '0')
			case h >= 'A' && h <= 'F':
				b |= byte(h-'A') + 10
			default:
				return "", fmt.Errorf("subject token %q: bad escape at %d", t, i)
			}
		}
		out = append(out, b)
		i += 2
	}
	return string(out), nil
}
