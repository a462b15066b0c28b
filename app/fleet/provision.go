package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LogDuplicateWindow is how long the evidence stream remembers record ids
// (Nats-Msg-Id) to drop a re-sent record. Beyond it the publisher's own
// expected-sequence check keeps records exactly once.
const LogDuplicateWindow = 10 * time.Minute

// LogStreamConfig is the evidence stream of a studio: every show-log
// record, file-backed, replicated, never deleted or purged through the
// API.
func LogStreamConfig(id string, replicas int) jetstream.StreamConfig {
	s := Studio{ID: id}
	return jetstream.StreamConfig{
		Name:        s.LogStream(),
		Description: "StudioDesk show log of studio " + id,
		Subjects:    []string{Root + "." + id + ".log.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		Duplicates:  LogDuplicateWindow,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
		MaxMsgSize:  1 << 20,
	}
}

// StudioBucketConfig is a studio's own key-value bucket.
func StudioBucketConfig(id string, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      Studio{ID: id}.Bucket(),
		Description: "StudioDesk studio " + id + ": library copies, leader lease, standby state",
		History:     8,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
}

// LibraryBucketConfig is the shared library bucket.
func LibraryBucketConfig(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      LibraryBucket,
		Description: "StudioDesk shared library: presets, device templates, shows, word lists",
		History:     16,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
}

// Provision creates (or updates) the shared library and, for each studio,
// its evidence stream and bucket. It needs the agency's credentials; the
// hub runs it at start for the studios in its config.
func Provision(ctx context.Context, js jetstream.JetStream, replicas int, studios ...string) error {
	if replicas < 1 {
		replicas = 1
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, LibraryBucketConfig(replicas)); err != nil {
		return fmt.Errorf("fleet: library bucket %s: %w", LibraryBucket, err)
	}
	for _, id := range studios {
		if err := CheckID(id); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		if _, err := js.CreateOrUpdateStream(ctx, LogStreamConfig(id, replicas)); err != nil {
			return fmt.Errorf("fleet: studio %s: stream %s: %w", id, Studio{ID: id}.LogStream(), err)
		}
		if _, err := js.CreateOrUpdateKeyValue(ctx, StudioBucketConfig(id, replicas)); err != nil {
			return fmt.Errorf("fleet: studio %s: bucket %s: %w", id, Studio{ID: id}.Bucket(), err)
		}
	}
	return nil
}
