package fleet

import "github.com/nats-io/nats-server/v2/server"

// StudioPermissions is what a studio's credentials may do: publish and
// subscribe on its own subjects, use the JetStream API on its own stream
// and bucket, read (never write) the shared library, and receive replies
// only on its own inbox prefix. It may not delete or purge its evidence
// or its bucket (the streams also deny it), nor touch another studio.
func StudioPermissions(id string) *server.Permissions {
	s := Studio{ID: id}
	own := []string{s.LogStream(), "KV_" + s.Bucket()}
	lib := "KV_" + LibraryBucket
	pub := []string{
		s.Subjects(),
		"$KV." + s.Bucket() + ".>",
		"$JS.API.INFO",
		"$JS.ACK." + s.LogStream() + ".>",
		"$JS.ACK.KV_" + s.Bucket() + ".>",
		"$JS.ACK." + lib + ".>",
		"$JS.FC.>",
	}
	for _, st := range append(own, lib) {
		pub = append(pub,
			"$JS.API.STREAM.INFO."+st,
			"$JS.API.STREAM.MSG.GET."+st,
			"$JS.API.DIRECT.GET."+st,
			"$JS.API.DIRECT.GET."+st+".>",
			"$JS.API.CONSUMER.CREATE."+st,
			"$JS.API.CONSUMER.CREATE."+st+".>",
			"$JS.API.CONSUMER.DURABLE.CREATE."+st+".>",
			"$JS.API.CONSUMER.INFO."+st+".>",
			"$JS.API.CONSUMER.DELETE."+st+".>",
			"$JS.API.CONSUMER.MSG.NEXT."+st+".>",
		)
	}
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: pub,
			Deny: []string{
				"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>",
				"$JS.API.STREAM.UPDATE.>", "$JS.API.STREAM.MSG.DELETE.>",
				"$KV." + LibraryBucket + ".>",
			},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{s.Subjects(), s.Inbox() + ".>", "$KV." + s.Bucket() + ".>", "$KV." + LibraryBucket + ".>"},
		},
	}
}

// AgencyPermissions is the agency's (and the hub's) user: everything.
// The agency writes the shared library and reads every studio.
func AgencyPermissions() *server.Permissions { return nil }
