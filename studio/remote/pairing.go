package remote

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// pairing holds the one-time code shown on the desk. A code is used once,
// expires after ttl and is replaced after too many wrong guesses.
type pairing struct {
	mu       sync.Mutex
	now      func() time.Time
	ttl      time.Duration
	code     string
	expires  time.Time
	failures []time.Time // wrong codes within the last failWindow
}

const (
	maxPairFailures = 5
	failWindow      = time.Minute
)

func newPairing(now func() time.Time, ttl time.Duration) *pairing {
	return &pairing{now: now, ttl: ttl}
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("remote: pairing code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// current returns the valid code, making a new one when none is valid.
func (p *pairing) current() (string, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ensureLocked(); err != nil {
		return "", time.Time{}, err
	}
	return p.code, p.expires, nil
}

func (p *pairing) ensureLocked() error {
	now := p.now()
	if p.code != "" && now.Before(p.expires) {
		return nil
	}
	c, err := sixDigits()
	if err != nil {
		return err
	}
	p.code, p.expires = c, now.Add(p.ttl)
	return nil
}

type pairResult int

const (
	pairOK pairResult = iota
	pairWrong
	pairLimited
)

// try consumes the code when it matches. After maxPairFailures wrong codes
// within failWindow every attempt is refused until the window passes, and
// the code is replaced, so guessing gets nowhere.
func (p *pairing) try(code string) (pairResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	kept := p.failures[:0]
	for _, t := range p.failures {
		if now.Sub(t) < failWindow {
			kept = append(kept, t)
		}
	}
	p.failures = kept
	if len(p.failures) >= maxPairFailures {
		return pairLimited, nil
	}
	if err := p.ensureLocked(); err != nil {
		return pairWrong, err
	}
	if len(code) != 6 || subtle.ConstantTimeCompare([]byte(code), []byte(p.code)) != 1 {
		p.failures = append(p.failures, now)
		if len(p.failures) >= maxPairFailures {
			p.code = "" // a fresh code once the limit lifts
		}
		return pairWrong, nil
	}
	p.code = "" // one-time: the next call to current makes a new one
	return pairOK, nil
}
