package fleet

import "strings"

// DeskLog is the store's log of the records written before any run (the
// journal's "desk" log). Every desk has its own, so on the wire it is
// named after the desk: DeskLogWire. Run logs keep their names: after a
// takeover the new primary continues the same run log.
const DeskLog = "desk"

// deskLogPrefix starts the wire name of a desk log.
const deskLogPrefix = DeskLog + "-"

// DeskFP8 is the short form of a desk key fingerprint: its first 8 hex
// digits, lower case ("" when it has fewer).
func DeskFP8(fingerprint string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(fingerprint) {
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') {
			b.WriteRune(c)
			if b.Len() == 8 {
				return b.String()
			}
		}
	}
	return ""
}

// DeskLogWire is the wire name of the desk log of the desk whose key has
// fingerprint: "desk-<fp8>" ("desk" when the desk has no key).
func DeskLogWire(fingerprint string) string {
	if fp := DeskFP8(fingerprint); fp != "" {
		return deskLogPrefix + fp
	}
	return DeskLog
}

// WireLog is the name a desk's local log show has in the evidence stream
// (subject, Sd-Show, Nats-Msg-Id): the desk log is per desk, a run log
// keeps its name.
func WireLog(show, fingerprint string) string {
	if show == DeskLog {
		return DeskLogWire(fingerprint)
	}
	return show
}

// IsDeskLogWire reports whether wire names a desk log on the wire
// ("desk", or "desk-" and 8 hex digits), and whose (fp8, "" for "desk").
func IsDeskLogWire(wire string) (fp8 string, ok bool) {
	if wire == DeskLog {
		return "", true
	}
	rest, found := strings.CutPrefix(wire, deskLogPrefix)
	if !found || len(rest) != 8 || DeskFP8(rest) != rest {
		return "", false
	}
	return rest, true
}

// LocalLog is the local log a wire name stands for on the desk whose key
// has fingerprint: its own desk log is "desk"; another desk's desk log is
// not a log of this desk (mine false); a run keeps its name.
func LocalLog(wire, fingerprint string) (show string, mine bool) {
	fp, ok := IsDeskLogWire(wire)
	if !ok {
		return wire, true
	}
	if fp == "" || fp == DeskFP8(fingerprint) {
		return DeskLog, true
	}
	return wire, false
}
