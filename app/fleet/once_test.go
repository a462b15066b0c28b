package fleet_test

import "github.com/nats-io/nats.go"

// natsConnectOnce connects without retrying, so a refusal is an error.
func natsConnectOnce(url string, opts []nats.Option) (*nats.Conn, error) {
	return nats.Connect(url, append(opts, nats.RetryOnFailedConnect(false), nats.MaxReconnects(0))...)
}
