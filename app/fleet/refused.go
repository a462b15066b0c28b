package fleet

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// RefusedHint says what a permissions violation means for a desk: its
// credentials are not the studio's it was started for.
func RefusedHint(studio string) string {
	return fmt.Sprintf("the hub refused: these fleet credentials may not use studio %s's subjects (are --fleet-user/--fleet-password or the creds file studio %s's? 中心拒绝：凭据不属于直播间 %s)", studio, studio, studio)
}

// refusedHandler logs the hub's refusals (permissions violations), each
// distinct one at most once a minute, naming the studio; other
// asynchronous errors are logged as they come.
func refusedHandler(studio string, logf func(string, ...any)) nats.ErrHandler {
	var mu sync.Mutex
	seen := map[string]time.Time{}
	return func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if err == nil {
			return
		}
		msg := err.Error()
		mu.Lock()
		last, ok := seen[msg]
		fresh := !ok || time.Since(last) > time.Minute
		if fresh {
			seen[msg] = time.Now()
		}
		mu.Unlock()
		if !fresh {
			return
		}
		if IsRefused(err) {
			logf("fleet: %v: %s", err, RefusedHint(studio))
			return
		}
		logf("fleet: %v", err)
	}
}

// IsRefused reports whether err is the hub's permissions violation.
func IsRefused(err error) bool {
	return err != nil && (errors.Is(err, nats.ErrPermissionViolation) || strings.Contains(strings.ToLower(err.Error()), "permissions violation"))
}

// Names reports whether text (a refusal) names one of the studio's
// subjects, its evidence stream or its bucket.
func (s Studio) Names(text string) bool {
	return strings.Contains(text, Root+"."+s.ID+".") || strings.Contains(text, s.LogStream()) ||
		strings.Contains(text, s.Bucket()) || strings.Contains(text, s.Inbox())
}
