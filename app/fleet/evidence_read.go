package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// HubRecord is one evidence message as the hub holds it.
type HubRecord struct {
	// StreamSeq is the message's sequence in the studio's stream.
	StreamSeq uint64
	// Seq, Hash and Desk are the message's Sd-Seq, Sd-Hash and Sd-Desk.
	Seq  uint64
	Hash string
	Desk string
	// Data is the record's canonical bytes.
	Data []byte
}

// HubLogs lists the logs the hub holds for a studio and how many
// messages each has.
func HubLogs(ctx context.Context, js jetstream.JetStream, s Studio) (map[string]uint64, error) {
	return retry(ctx, func() (map[string]uint64, error) { return hubLogs(ctx, js, s) })
}

func hubLogs(ctx context.Context, js jetstream.JetStream, s Studio) (map[string]uint64, error) {
	stream, err := js.Stream(ctx, s.LogStream())
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.LogStream(), err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(Root+"."+s.ID+".log.>"))
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.LogStream(), err)
	}
	prefix := Root + "." + s.ID + ".log."
	out := map[string]uint64{}
	for subj, n := range info.State.Subjects {
		show, err := Untoken(strings.TrimPrefix(subj, prefix))
		if err != nil {
			return nil, fmt.Errorf("stream %s: subject %s: %w", s.LogStream(), subj, err)
		}
		out[show] = n
	}
	return out, nil
}

// ReadHubLog reads every message of one log from the hub, in stream
// order. A studio's credentials read only their own studio; the
// agency's read every studio. A cluster that is electing a leader
// answers "no responders" or not at all for a moment: the read is tried
// again a few times before that is an error.
func ReadHubLog(ctx context.Context, js jetstream.JetStream, s Studio, show string) ([]HubRecord, error) {
	return retry(ctx, func() ([]HubRecord, error) { return readHubLog(ctx, js, s, show) })
}

// retry runs f until it succeeds, fails for good, or 5 attempts.
func retry[T any](ctx context.Context, f func() (T, error)) (T, error) {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		out, err := f()
		if err == nil || attempt == 5 || ctx.Err() != nil || !transient(err) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// transient errors of a cluster that is moving a leader.
func transient(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, errShortRead)
}

var errShortRead = errors.New("the hub delivered fewer messages than it holds")

func readHubLog(ctx context.Context, js jetstream.JetStream, s Studio, show string) ([]HubRecord, error) {
	subj := s.LogSubject(show)
	stream, err := js.Stream(ctx, s.LogStream())
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.LogStream(), err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.LogStream(), err)
	}
	n := info.State.Subjects[subj]
	if n == 0 {
		return nil, nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, fmt.Errorf("stream %s: read %s: %w", s.LogStream(), subj, err)
	}
	out := make([]HubRecord, 0, n)
	for uint64(len(out)) < n {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("stream %s: read %s: %d of %d messages: %w", s.LogStream(), subj, len(out), n, err)
		}
		batch, err := cons.Fetch(int(min(n-uint64(len(out)), 1000)), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return out, fmt.Errorf("stream %s: read %s: %w", s.LogStream(), subj, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return out, fmt.Errorf("stream %s: read %s: %w", s.LogStream(), subj, err)
			}
			seq, _ := strconv.ParseUint(m.Headers().Get(HeaderSeq), 10, 64)
			out = append(out, HubRecord{StreamSeq: md.Sequence.Stream, Seq: seq, Hash: m.Headers().Get(HeaderHash), Desk: m.Headers().Get(HeaderDesk), Data: m.Data()})
			if md.NumPending == 0 && uint64(len(out)) < n {
				n = uint64(len(out))
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return out, fmt.Errorf("stream %s: read %s: %w", s.LogStream(), subj, err)
		}
		if got == 0 {
			return out, fmt.Errorf("stream %s: read %s: %d of %d messages: %w", s.LogStream(), subj, len(out), n, errShortRead)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StreamSeq < out[j].StreamSeq })
	return out, nil
}
