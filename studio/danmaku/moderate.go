package danmaku

// ModOp is an operator's moderation action on the feed.
type ModOp int

// The moderation actions Moderate applies.
const (
	ModPin ModOp = iota + 1
	ModUnpin
	ModHide
	ModBlock
	ModDismiss
)

// Moderate applies op to id (a line id, a viewer id for ModBlock, a
// question group id for ModDismiss) only once commit has succeeded, under
// the pipeline's lock, so that the show log holds a record if and only if
// the action took effect:
//   - found is false (and commit is not called) when there is nothing to
//     act on: the line scrolled out of memory, is hidden (pin), the group
//     was answered, the block list is full;
//   - a commit error leaves the feed unchanged and is returned.
func (p *Pipeline) Moderate(op ModOp, id string, commit func() error) (found bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch op {
	case ModPin:
		it := p.findRecent(id)
		if it == nil || it.Hidden {
			return false, nil
		}
		if err := commit(); err != nil {
			return true, err
		}
		for _, w := range p.wall {
			if w.ID == id {
				return true, nil
			}
		}
		if len(p.wall) >= p.cfg.WallCap {
			copy(p.wall, p.wall[1:])
			p.wall = p.wall[:len(p.wall)-1]
		}
		p.wall = append(p.wall, *it)
	case ModUnpin:
		pinned := false
		for _, w := range p.wall {
			pinned = pinned || w.ID == id
		}
		if !pinned {
			return false, nil
		}
		if err := commit(); err != nil {
			return true, err
		}
		p.unpinLocked(id)
	case ModHide:
		it := p.findRecent(id)
		if it == nil {
			return false, nil
		}
		if err := commit(); err != nil {
			return true, err
		}
		p.hideLocked(it)
	case ModBlock:
		if id == "" {
			return false, nil
		}
		if _, ok := p.blocked[id]; !ok && len(p.blocked) >= p.cfg.MaxBlocked {
			return false, nil
		}
		if err := commit(); err != nil {
			return true, err
		}
		p.blocked[id] = struct{}{}
		for i := 0; i < p.recentLen; i++ {
			it := &p.recent[(p.recentNext-1-i+2*len(p.recent))%len(p.recent)]
			if it.ViewerID == id {
				p.hideLocked(it)
			}
		}
	case ModDismiss:
		held := false
		for _, g := range p.questions.groups {
			held = held || g.id == id
		}
		if !held {
			return false, nil
		}
		if err := commit(); err != nil {
			return true, err
		}
		p.questions.dismiss(id)
	default:
		return false, nil
	}
	return true, nil
}
