package remote

import (
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// Data channel labels and their fixed ids. Both ends create them with
// negotiated: true, so no in-band announcement is needed.
const (
	ChannelState   = "state"
	ChannelCmd     = "cmd"
	ChannelDanmaku = "danmaku"

	idState   uint16 = 0
	idCmd     uint16 = 1
	idDanmaku uint16 = 2
)

// LANOnly is the default ICE address policy: loopback and private LAN
// addresses (RFC 1918, IPv6 ULA, link-local). No STUN or TURN server is
// ever used, so no public address is gathered or contacted.
func LANOnly(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()
}

// LoopbackOnly keeps ICE on 127.0.0.1 / ::1 (tests, a remote on the same PC).
func LoopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

// newAPI builds a pion API that gathers host candidates only, on addresses
// allowed by allow, without mDNS.
func newAPI(allow func(net.IP) bool) *webrtc.API {
	if allow == nil {
		allow = LANOnly
	}
	var se webrtc.SettingEngine
	se.SetIPFilter(allow)
	se.SetRemoteIPFilter(allow)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	// A LAN link: notice a drop within seconds, not the default half-minute.
	se.SetICETimeouts(3*time.Second, 8*time.Second, time.Second)
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

func ptr[T any](v T) *T { return &v }

// channels creates the three negotiated data channels on pc.
func channels(pc *webrtc.PeerConnection) (state, cmd, danmaku *webrtc.DataChannel, err error) {
	state, err = pc.CreateDataChannel(ChannelState, &webrtc.DataChannelInit{
		Negotiated: ptr(true), ID: ptr(idState), Ordered: ptr(true)})
	if err != nil {
		return nil, nil, nil, err
	}
	cmd, err = pc.CreateDataChannel(ChannelCmd, &webrtc.DataChannelInit{
		Negotiated: ptr(true), ID: ptr(idCmd), Ordered: ptr(true)})
	if err != nil {
		return nil, nil, nil, err
	}
	danmaku, err = pc.CreateDataChannel(ChannelDanmaku, &webrtc.DataChannelInit{
		Negotiated: ptr(true), ID: ptr(idDanmaku), Ordered: ptr(false), MaxRetransmits: ptr(uint16(0))})
	if err != nil {
		return nil, nil, nil, err
	}
	return state, cmd, danmaku, nil
}

// signalMsg is one message on the signalling WebSocket.
type signalMsg struct {
	Type      string                   `json:"type"` // auth|offer|answer|candidate|ready|error|bye
	Token     string                   `json:"token,omitempty"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Device    *DeviceInfo              `json:"device,omitempty"`
	Error     string                   `json:"error,omitempty"`
}

// DeviceInfo is what a remote learns about itself after authenticating.
type DeviceInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// DanmakuLine is one viewer comment forwarded to remotes (lossy).
type DanmakuLine struct {
	// ID names the line for pin, hide and block.
	ID   string `json:"id,omitempty"`
	User string `json:"user"`
	Text string `json:"text"`
	Kind string `json:"kind,omitempty"`
}
