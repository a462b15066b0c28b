package danmaku

import "hash/maphash"

// idWindow remembers the last n platform message ids, to drop a message
// the platform delivers twice. An id is kept as a 128-bit keyed hash (two
// independently seeded 64-bit hashes), in a ring in arrival order, with an
// open-addressing index into the ring (linear probing, deletion by
// backward shift, so no tombstones build up). All of it is allocated once
// and holds no pointers: 65,536 ids take 1.5 MB that the collector never
// scans. A Go map used the same way — one delete and one insert per
// message — kept growing with the churn (6.8 MB after ten minutes at
// 2,000 messages a second).
//
// Two different ids are taken for one with a chance of about 2^-96 per
// message in a full window, which no show comes near.
type idWindow struct {
	ring  []idKey  // the ids, oldest at next once full
	next  int      // where the next id goes
	count int      // ids held
	slots []uint32 // 0: empty; else 1 + the id's place in ring
	mask  uint64   // len(slots) - 1
	seedA maphash.Seed
	seedB maphash.Seed
}

// idKey is an id's two hashes; the zero key is never stored.
type idKey [2]uint64

func newIDWindow(n int) *idWindow {
	n = max(n, 1)
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return &idWindow{ring: make([]idKey, n), slots: make([]uint32, size), mask: uint64(size - 1),
		seedA: maphash.MakeSeed(), seedB: maphash.MakeSeed()}
}

// seen reports whether id is among the last n ids, and remembers it.
func (w *idWindow) seen(id string) bool {
	k := idKey{maphash.String(w.seedA, id), maphash.String(w.seedB, id)}
	if k == (idKey{}) {
		k[0] = 1
	}
	i, ok := w.find(k)
	if ok {
		return true
	}
	if w.count == len(w.ring) {
		w.forget(w.ring[w.next])
		w.count--
		// the hole may have moved entries: find the free slot again
		i, _ = w.find(k)
	}
	w.ring[w.next] = k
	w.slots[i] = uint32(w.next) + 1
	w.next = (w.next + 1) % len(w.ring)
	w.count++
	return false
}

// find returns k's slot, or the empty slot where it would go.
func (w *idWindow) find(k idKey) (uint64, bool) {
	for i := k[0] & w.mask; ; i = (i + 1) & w.mask {
		s := w.slots[i]
		if s == 0 {
			return i, false
		}
		if w.ring[s-1] == k {
			return i, true
		}
	}
}

// forget removes k's slot and closes the gap: each following entry of the
// probe run moves back into the hole unless its home lies cyclically in
// (hole, its slot].
func (w *idWindow) forget(k idKey) {
	hole, ok := w.find(k)
	if !ok {
		return
	}
	for j := (hole + 1) & w.mask; w.slots[j] != 0; j = (j + 1) & w.mask {
		home := w.ring[w.slots[j]-1][0] & w.mask
		var stays bool
		if hole <= j {
			stays = hole < home && home <= j
		} else {
			stays = hole < home || home <= j
		}
		if !stays {
			w.slots[hole] = w.slots[j]
			hole = j
		}
	}
	w.slots[hole] = 0
}
