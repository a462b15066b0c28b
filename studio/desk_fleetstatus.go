package studio

// DanmakuReceived is how many comments the desk's danmaku pipeline has
// taken in since it started (ok is false when the desk has none). The
// fleet's status part turns it into comments per minute. Safe from any
// goroutine.
func (d *Desk) DanmakuReceived() (n int64, ok bool) {
	if d.cfg.Danmaku == nil {
		return 0, false
	}
	return d.cfg.Danmaku.Stats().Received, true
}
