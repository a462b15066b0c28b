package artnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// NodeInfo is a node found by Discover. (Node is the output side.)
type NodeInfo struct {
	From string // host:port the reply came from
	PollReply
}

// Discover sends one ArtPoll to bcastAddr (host[:port], port 6454 by
// default; a directed broadcast such as 2.255.255.255 or one node's
// address) and collects ArtPollReply packets for wait, or until ctx ends.
// Nodes answer to port 6454 of the poller, so for a non-loopback target the
// poll is sent from port 6454 when that port is free. It returns what it
// heard; hearing nothing is not an error.
func Discover(ctx context.Context, bcastAddr string, wait time.Duration) ([]NodeInfo, error) {
	target := withDefaultPort(bcastAddr, DefaultPort)
	where := fmt.Sprintf("art-net discovery (%s)", target)
	dst, err := net.ResolveUDPAddr("udp4", target)
	if err != nil {
		return nil, fmt.Errorf("%s: address: %w", where, err)
	}
	conn, err := listenForReplies(dst)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer conn.Close()
	if _, err := conn.WriteToUDP(EncodeArtPoll(nil), dst); err != nil {
		return nil, fmt.Errorf("%s: send ArtPoll: %w", where, err)
	}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	// A past deadline is how to wake a blocked read when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	var found []NodeInfo
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if ctx.Err() != nil && time.Now().Before(deadline) {
					return found, fmt.Errorf("%s: %w", where, ctx.Err())
				}
				return found, nil
			}
			return found, fmt.Errorf("%s: receive: %w", where, err)
		}
		r, err := ParsePollReply(buf[:n])
		if err != nil {
			continue // our own poll echoed back, ArtDmx from others, noise
		}
		info := NodeInfo{From: from.String(), PollReply: r}
		if !slices.ContainsFunc(found, info.same) {
			found = append(found, info)
		}
	}
}

func (a NodeInfo) same(b NodeInfo) bool {
	return a.From == b.From && a.IP.Equal(b.IP) && a.ShortName == b.ShortName &&
		slices.Equal(a.Outputs, b.Outputs)
}

func listenForReplies(dst *net.UDPAddr) (*net.UDPConn, error) {
	if dst.IP.IsLoopback() {
		return net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	}
	if c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: DefaultPort}); err == nil {
		return c, nil
	}
	// Another Art-Net program holds 6454: nodes that answer the source
	// port still reach us.
	return net.ListenUDP("udp4", &net.UDPAddr{})
}
