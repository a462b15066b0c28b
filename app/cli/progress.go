package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressMin is the smallest log that gets a bar: short exports finish
// before a bar would mean anything.
const progressMin = 2000

// progressEvery limits redraws to 10 a second.
const progressEvery = 100 * time.Millisecond

const barWidth = 30

// progress draws a one-line text bar on w (stderr), redrawn in place with
// a carriage return, at most 10 times a second.
type progress struct {
	w     io.Writer
	label string
	now   func() time.Time
	last  time.Time
	drawn bool
	count int
	total int
}

func newProgress(w io.Writer, label string, now func() time.Time) *progress {
	return &progress{w: w, label: label, now: now}
}

// update is the ExportJSONL progress callback.
func (p *progress) update(done, total int) {
	p.count, p.total = done, total
	if total < progressMin {
		return
	}
	t := p.now()
	if p.drawn && t.Sub(p.last) < progressEvery && done < total {
		return
	}
	p.last, p.drawn = t, true
	p.draw()
}

func (p *progress) draw() {
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(p.count)/float64(p.total))
	}
	n := int(frac * barWidth)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %3.0f%%", p.label, strings.Repeat("#", n), strings.Repeat(".", barWidth-n), p.count, p.total, frac*100)
}

// done ends the bar's line, if one was drawn.
func (p *progress) done() {
	if p.drawn {
		p.draw()
		fmt.Fprintln(p.w)
	}
}
