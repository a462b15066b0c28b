package bilibili

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIBase is the open platform's API host.
const DefaultAPIBase = "https://live-open.biliapi.com"

// API endpoints.
const (
	PathStart     = "/v2/app/start"
	PathHeartbeat = "/v2/app/heartbeat"
	PathEnd       = "/v2/app/end"
)

// CodeGameClosed is the reply code for a session (game) the platform has
// already closed: start a new one.
const CodeGameClosed = 7003

// ErrGameClosed is wrapped by APIError for code 7003.
var ErrGameClosed = errors.New("game closed")

// maxReply caps an API reply body.
const maxReply = 1 << 20

// APIError is a reply with a non-zero code.
type APIError struct {
	Endpoint string // e.g. "/v2/app/start"
	Code     int
	Message  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("bilibili: %s: code %d: %s", e.Endpoint, e.Code, e.Message)
}

// Is matches ErrGameClosed for code 7003.
func (e *APIError) Is(target error) bool {
	return target == ErrGameClosed && e.Code == CodeGameClosed
}

// Signature headers.
const (
	HdrAccessKeyID      = "x-bili-accesskeyid"
	HdrContentMD5       = "x-bili-content-md5"
	HdrSignatureMethod  = "x-bili-signature-method"
	HdrSignatureNonce   = "x-bili-signature-nonce"
	HdrSignatureVersion = "x-bili-signature-version"
	HdrTimestamp        = "x-bili-timestamp"
)

// signedHeaders are the headers the signature covers.
var signedHeaders = []string{
	HdrAccessKeyID, HdrContentMD5, HdrSignatureMethod,
	HdrSignatureNonce, HdrSignatureVersion, HdrTimestamp,
}

// Sign returns the Authorization value for headers: hex HMAC-SHA256 with
// secret over the "key:value" lines of the six x-bili-* headers, sorted by
// key and joined with "\n".
func Sign(secret string, h http.Header) string {
	keys := slices.Clone(signedHeaders)
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + ":" + h.Get(k)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(mac.Sum(nil))
}

// Client calls the open platform's HTTP API with signed requests.
type Client struct {
	Base            string // DefaultAPIBase if empty
	AccessKeyID     string
	AccessKeySecret string
	HTTP            *http.Client     // http.DefaultClient if nil
	Now             func() time.Time // time.Now if nil
	Nonce           func() string    // random if nil
}

// StartInfo is /v2/app/start's reply data.
type StartInfo struct {
	GameInfo struct {
		GameID string `json:"game_id"`
	} `json:"game_info"`
	WebsocketInfo struct {
		AuthBody string   `json:"auth_body"`
		WSSLink  []string `json:"wss_link"`
	} `json:"websocket_info"`
	AnchorInfo struct {
		RoomID int64  `json:"room_id"`
		Uname  string `json:"uname"`
		Uface  string `json:"uface"`
		UID    int64  `json:"uid"`
		OpenID string `json:"open_id"`
	} `json:"anchor_info"`
}

// Start opens an interactive session (game) for the streamer's identity
// code.
func (c *Client) Start(ctx context.Context, code string, appID int64) (StartInfo, error) {
	var info StartInfo
	req := struct {
		Code  string `json:"code"`
		AppID int64  `json:"app_id"`
	}{code, appID}
	if err := c.call(ctx, PathStart, req, &info); err != nil {
		return info, err
	}
	if info.GameInfo.GameID == "" && info.WebsocketInfo.AuthBody == "" {
		return info, fmt.Errorf("bilibili: %s: reply without game_info or websocket_info", PathStart)
	}
	if len(info.WebsocketInfo.WSSLink) == 0 {
		return info, fmt.Errorf("bilibili: %s: reply without wss_link", PathStart)
	}
	return info, nil
}

// Heartbeat keeps a session alive; call it every 20 s. A closed session
// fails with an error matching ErrGameClosed.
func (c *Client) Heartbeat(ctx context.Context, gameID string) error {
	req := struct {
		GameID string `json:"game_id"`
	}{gameID}
	return c.call(ctx, PathHeartbeat, req, nil)
}

// End closes a session.
func (c *Client) End(ctx context.Context, appID int64, gameID string) error {
	req := struct {
		AppID  int64  `json:"app_id"`
		GameID string `json:"game_id"`
	}{appID, gameID}
	return c.call(ctx, PathEnd, req, nil)
}

func (c *Client) call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("bilibili: %s: %w", path, err)
	}
	base := c.Base
	if base == "" {
		base = DefaultAPIBase
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bilibili: %s: %w", path, err)
	}
	c.sign(req.Header, body)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("bilibili: %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return fmt.Errorf("bilibili: %s: reading reply: %w", path, err)
	}
	if len(raw) > maxReply {
		return fmt.Errorf("bilibili: %s: reply larger than %d bytes", path, maxReply)
	}
	var env struct {
		Code    *int            `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Code == nil {
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("bilibili: %s: HTTP %s", path, resp.Status)
		}
		if err == nil {
			err = errors.New("no code")
		}
		return fmt.Errorf("bilibili: %s: bad reply: %w", path, err)
	}
	if *env.Code != 0 {
		return &APIError{Endpoint: path, Code: *env.Code, Message: env.Message}
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("bilibili: %s: bad data: %w", path, err)
		}
	}
	return nil
}

func (c *Client) sign(h http.Header, body []byte) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	nonce := ""
	if c.Nonce != nil {
		nonce = c.Nonce()
	} else {
		nonce = rand.Text()
	}
	sum := md5.Sum(body)
	h.Set("Accept", "application/json")
	h.Set("Content-Type", "application/json")
	h.Set(HdrAccessKeyID, c.AccessKeyID)
	h.Set(HdrContentMD5, hex.EncodeToString(sum[:]))
	h.Set(HdrSignatureMethod, "HMAC-SHA256")
	h.Set(HdrSignatureNonce, nonce)
	h.Set(HdrSignatureVersion, "1.0")
	h.Set(HdrTimestamp, strconv.FormatInt(now().Unix(), 10))
	h.Set("Authorization", Sign(c.AccessKeySecret, h))
}
