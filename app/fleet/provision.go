package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// ProvisionStepTimeout bounds each stream or bucket Provision looks up or
// creates; a step that runs out is tried again by the next pass.
const ProvisionStepTimeout = 3 * time.Second

// Provision creates (or updates) the shared library and, for each studio,
// its evidence stream and bucket. It needs the agency's credentials; the
// hub runs it at start for the studios in its config.
//
// Every hub of a cluster provisions the same list at the same moment, so
// each step first reads what is there and leaves a stream or bucket that
// already has the wanted settings alone: identical updates racing from
// three hubs went unanswered until their deadline, so a busy cluster of
// three took a whole deadline per item. Each step has its own deadline
// (ProvisionStepTimeout) within ctx, and steps done stay done, so a retry
// after an error goes on from where it stopped.
func Provision(ctx context.Context, js jetstream.JetStream, replicas int, studios ...string) error {
	if replicas < 1 {
		replicas = 1
	}
	if err := ensureBucket(ctx, js, LibraryBucketConfig(replicas)); err != nil {
		return fmt.Errorf("fleet: library bucket %s: %w", LibraryBucket, err)
	}
	for _, id := range studios {
		if err := CheckID(id); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		if err := ensureStream(ctx, js, LogStreamConfig(id, replicas)); err != nil {
			return fmt.Errorf("fleet: studio %s: stream %s: %w", id, Studio{ID: id}.LogStream(), err)
		}
		if err := ensureBucket(ctx, js, StudioBucketConfig(id, replicas)); err != nil {
			return fmt.Errorf("fleet: studio %s: bucket %s: %w", id, Studio{ID: id}.Bucket(), err)
		}
	}
	return nil
}

// ensure makes one stream exist with the wanted settings: it reads the
// stream, creates it when missing (another hub creating it first is
// fine: read again), and updates it only when a setting differs.
func ensure(ctx context.Context, js jetstream.JetStream, name string, same func(jetstream.StreamConfig) bool, create, update func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, ProvisionStepTimeout)
	defer cancel()
	for range 3 {
		s, err := js.Stream(ctx, name)
		switch {
		case err == nil && same(s.CachedInfo().Config):
			return nil
		case err == nil:
			return update(ctx)
		case !errors.Is(err, jetstream.ErrStreamNotFound):
			return err
		}
		err = create(ctx)
		if err == nil || !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return err
		}
	}
	return fmt.Errorf("stream %s: created and gone again", name)
}

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	same := func(have jetstream.StreamConfig) bool {
		return slices.Equal(have.Subjects, cfg.Subjects) && have.Description == cfg.Description &&
			have.Storage == cfg.Storage && have.Replicas == cfg.Replicas && have.Retention == cfg.Retention &&
			have.Discard == cfg.Discard && have.Duplicates == cfg.Duplicates && have.DenyDelete == cfg.DenyDelete &&
			have.DenyPurge == cfg.DenyPurge && have.AllowDirect == cfg.AllowDirect && have.MaxMsgSize == cfg.MaxMsgSize
	}
	return ensure(ctx, js, cfg.Name, same,
		func(ctx context.Context) error { _, err := js.CreateStream(ctx, cfg); return err },
		func(ctx context.Context) error { _, err := js.UpdateStream(ctx, cfg); return err })
}

func ensureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) error {
	same := func(have jetstream.StreamConfig) bool {
		return have.MaxMsgsPerSubject == int64(cfg.History) && have.Description == cfg.Description &&
			have.Storage == cfg.Storage && have.Replicas == cfg.Replicas
	}
	return ensure(ctx, js, "KV_"+cfg.Bucket, same,
		func(ctx context.Context) error { _, err := js.CreateKeyValue(ctx, cfg); return err },
		func(ctx context.Context) error { _, err := js.CreateOrUpdateKeyValue(ctx, cfg); return err })
}
