// Package obs drives OBS Studio's program scene over obs-websocket v5, the
// server built into OBS Studio 28 and later.
package obs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// OpCode identifies an obs-websocket message.
type OpCode int

// obs-websocket v5 op codes. 4 is unassigned; the batch ops are recognised
// but this package never uses them.
const (
	OpHello                OpCode = 0
	OpIdentify             OpCode = 1
	OpIdentified           OpCode = 2
	OpReidentify           OpCode = 3
	OpEvent                OpCode = 5
	OpRequest              OpCode = 6
	OpRequestResponse      OpCode = 7
	OpRequestBatch         OpCode = 8
	OpRequestBatchResponse OpCode = 9
)

func (o OpCode) String() string {
	switch o {
	case OpHello:
		return "Hello"
	case OpIdentify:
		return "Identify"
	case OpIdentified:
		return "Identified"
	case OpReidentify:
		return "Reidentify"
	case OpEvent:
		return "Event"
	case OpRequest:
		return "Request"
	case OpRequestResponse:
		return "RequestResponse"
	case OpRequestBatch:
		return "RequestBatch"
	case OpRequestBatchResponse:
		return "RequestBatchResponse"
	}
	return "op " + strconv.Itoa(int(o))
}

// Event subscription bits sent in Identify.
const (
	SubGeneral     = 1 << 0
	SubConfig      = 1 << 1
	SubScenes      = 1 << 2
	SubInputs      = 1 << 3
	SubTransitions = 1 << 4
)

// RPCVersion is the only obs-websocket RPC version this package speaks.
const RPCVersion = 1

// Request status codes (obs-websocket RequestStatus) the client explains.
const (
	StatusSuccess          = 100
	StatusUnknownRequest   = 204
	StatusNotReady         = 207
	StatusMissingField     = 300
	StatusInvalidFieldType = 400
	StatusResourceNotFound = 600
)

// WebSocket close codes obs-websocket uses.
const (
	CloseNotIdentified        = 4007
	CloseAuthenticationFailed = 4009
	CloseUnsupportedRPC       = 4010
)

// AuthChallenge is Hello's authentication object.
type AuthChallenge struct {
	Challenge string `json:"challenge"`
	Salt      string `json:"salt"`
}

// Hello is the server's first message (op 0).
type Hello struct {
	OBSWebSocketVersion string         `json:"obsWebSocketVersion"`
	RPCVersion          int            `json:"rpcVersion"`
	Authentication      *AuthChallenge `json:"authentication,omitempty"`
}

// Identify is the client's answer to Hello (op 1). EventSubscriptions is a
// pointer because an absent field means "the default set" to the server.
type Identify struct {
	RPCVersion         int    `json:"rpcVersion"`
	Authentication     string `json:"authentication,omitempty"`
	EventSubscriptions *int   `json:"eventSubscriptions,omitempty"`
}

// Identified confirms a session (op 2).
type Identified struct {
	NegotiatedRPCVersion int `json:"negotiatedRpcVersion"`
}

// Reidentify changes a session's subscriptions (op 3).
type Reidentify struct {
	EventSubscriptions *int `json:"eventSubscriptions,omitempty"`
}

// Event is a server notification (op 5).
type Event struct {
	EventType   string          `json:"eventType"`
	EventIntent int             `json:"eventIntent"`
	EventData   json.RawMessage `json:"eventData,omitempty"`
}

// Request asks the server to do something (op 6).
type Request struct {
	RequestType string          `json:"requestType"`
	RequestID   string          `json:"requestId"`
	RequestData json.RawMessage `json:"requestData,omitempty"`
}

// RequestStatus says whether a request worked.
type RequestStatus struct {
	Result  bool   `json:"result"`
	Code    int    `json:"code"`
	Comment string `json:"comment,omitempty"`
}

// RequestResponse answers a Request (op 7).
type RequestResponse struct {
	RequestType   string          `json:"requestType"`
	RequestID     string          `json:"requestId"`
	RequestStatus RequestStatus   `json:"requestStatus"`
	ResponseData  json.RawMessage `json:"responseData,omitempty"`
}

// Message is one decoded obs-websocket message: Op and exactly one of the
// payload pointers matching it.
type Message struct {
	Op         OpCode
	Hello      *Hello
	Identify   *Identify
	Identified *Identified
	Reidentify *Reidentify
	Event      *Event
	Request    *Request
	Response   *RequestResponse
}

// ErrBadMessage marks a message that is not valid obs-websocket v5.
var ErrBadMessage = errors.New("bad obs-websocket message")

// Encode builds the wire form {"op": op, "d": d}.
func Encode(op OpCode, d any) ([]byte, error) {
	return json.Marshal(struct {
		Op OpCode `json:"op"`
		D  any    `json:"d"`
	}{op, d})
}

// DecodeMessage parses one obs-websocket text frame. Keys are matched
// exactly (encoding/json alone would accept "OP" for "op"), required fields
// must be present and non-null, and every error names the offending field.
// Unknown extra fields are ignored: newer servers add them.
func DecodeMessage(data []byte) (Message, error) {
	env, err := object(data, "message")
	if err != nil {
		return Message{}, err
	}
	var op int
	if err := env.number("op", true, &op); err != nil {
		return Message{}, err
	}
	m := Message{Op: OpCode(op)}
	rawD, ok := env.m["d"]
	if !ok || isNull(rawD) {
		return Message{}, fmt.Errorf("%w: %s: missing d", ErrBadMessage, m.Op)
	}
	d, err := object(rawD, m.Op.String()+" d")
	if err != nil {
		return Message{}, err
	}
	switch m.Op {
	case OpHello:
		m.Hello, err = decodeHello(d)
	case OpIdentify:
		m.Identify, err = decodeIdentify(d)
	case OpIdentified:
		m.Identified = &Identified{}
		err = d.number("negotiatedRpcVersion", true, &m.Identified.NegotiatedRPCVersion)
	case OpReidentify:
		m.Reidentify = &Reidentify{}
		m.Reidentify.EventSubscriptions, err = d.optionalNumber("eventSubscriptions")
	case OpEvent:
		m.Event, err = decodeEvent(d)
	case OpRequest:
		m.Request, err = decodeRequest(d)
	case OpRequestResponse:
		m.Response, err = decodeResponse(d)
	case OpRequestBatch, OpRequestBatchResponse:
		err = fmt.Errorf("%w: %s is not supported", ErrBadMessage, m.Op)
	default:
		err = fmt.Errorf("%w: unknown op %d", ErrBadMessage, op)
	}
	if err != nil {
		return Message{}, err
	}
	return m, nil
}

func decodeHello(d fields) (*Hello, error) {
	h := &Hello{}
	if err := d.str("obsWebSocketVersion", false, &h.OBSWebSocketVersion); err != nil {
		return nil, err
	}
	if err := d.number("rpcVersion", true, &h.RPCVersion); err != nil {
		return nil, err
	}
	auth, ok, err := d.sub("authentication")
	if err != nil || !ok {
		return h, err
	}
	h.Authentication = &AuthChallenge{}
	if err := auth.str("challenge", true, &h.Authentication.Challenge); err != nil {
		return nil, err
	}
	if err := auth.str("salt", true, &h.Authentication.Salt); err != nil {
		return nil, err
	}
	return h, nil
}

func decodeIdentify(d fields) (*Identify, error) {
	id := &Identify{}
	if err := d.number("rpcVersion", true, &id.RPCVersion); err != nil {
		return nil, err
	}
	if err := d.str("authentication", false, &id.Authentication); err != nil {
		return nil, err
	}
	var err error
	id.EventSubscriptions, err = d.optionalNumber("eventSubscriptions")
	return id, err
}

func decodeEvent(d fields) (*Event, error) {
	e := &Event{}
	if err := d.str("eventType", true, &e.EventType); err != nil {
		return nil, err
	}
	if err := d.number("eventIntent", false, &e.EventIntent); err != nil {
		return nil, err
	}
	var err error
	e.EventData, err = d.rawObject("eventData")
	return e, err
}

func decodeRequest(d fields) (*Request, error) {
	r := &Request{}
	if err := d.str("requestType", true, &r.RequestType); err != nil {
		return nil, err
	}
	if err := d.str("requestId", true, &r.RequestID); err != nil {
		return nil, err
	}
	var err error
	r.RequestData, err = d.rawObject("requestData")
	return r, err
}

func decodeResponse(d fields) (*RequestResponse, error) {
	r := &RequestResponse{}
	if err := d.str("requestType", true, &r.RequestType); err != nil {
		return nil, err
	}
	if err := d.str("requestId", true, &r.RequestID); err != nil {
		return nil, err
	}
	st, ok, err := d.sub("requestStatus")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s: missing requestStatus", ErrBadMessage, d.path)
	}
	if err := st.boolean("result", true, &r.RequestStatus.Result); err != nil {
		return nil, err
	}
	if err := st.number("code", true, &r.RequestStatus.Code); err != nil {
		return nil, err
	}
	if err := st.str("comment", false, &r.RequestStatus.Comment); err != nil {
		return nil, err
	}
	r.ResponseData, err = d.rawObject("responseData")
	return r, err
}

// fields is one JSON object with exact-key lookups; path names it in errors.
type fields struct {
	path string
	m    map[string]json.RawMessage
}

func object(data []byte, path string) (fields, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fields{}, fmt.Errorf("%w: %s: want a JSON object, got %s", ErrBadMessage, path, jsonKind(trimmed))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return fields{}, fmt.Errorf("%w: %s: %v", ErrBadMessage, path, err)
	}
	return fields{path: path, m: m}, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// jsonKind names the JSON type of raw for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// get returns the raw value of key, or ok=false if absent or null; a
// required key that is absent is an error.
func (f fields) get(key string, required bool) (json.RawMessage, bool, error) {
	raw, ok := f.m[key]
	if !ok || isNull(raw) {
		if required {
			return nil, false, fmt.Errorf("%w: %s: missing %s", ErrBadMessage, f.path, key)
		}
		return nil, false, nil
	}
	return raw, true, nil
}

func (f fields) decode(key string, required bool, want string, dst any) error {
	raw, ok, err := f.get(key, required)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: %s.%s: want %s, got %s", ErrBadMessage, f.path, key, want, jsonKind(raw))
	}
	return nil
}

func (f fields) str(key string, required bool, dst *string) error {
	return f.decode(key, required, "a string", dst)
}

func (f fields) boolean(key string, required bool, dst *bool) error {
	return f.decode(key, required, "a boolean", dst)
}

func (f fields) number(key string, required bool, dst *int) error {
	return f.decode(key, required, "an integer", dst)
}

func (f fields) optionalNumber(key string) (*int, error) {
	if _, ok := f.m[key]; !ok {
		return nil, nil
	}
	var n int
	if err := f.number(key, false, &n); err != nil {
		return nil, err
	}
	if isNull(f.m[key]) {
		return nil, nil
	}
	return &n, nil
}

// sub returns the nested object at key, if present.
func (f fields) sub(key string) (fields, bool, error) {
	raw, ok, err := f.get(key, false)
	if err != nil || !ok {
		return fields{}, false, err
	}
	o, err := object(raw, f.path+"."+key)
	return o, err == nil, err
}

// rawObject returns the object at key verbatim (nil if absent) after checking
// it is an object, so callers decode it into their own types later.
func (f fields) rawObject(key string) (json.RawMessage, error) {
	raw, ok, err := f.get(key, false)
	if err != nil || !ok {
		return nil, err
	}
	if _, err := object(raw, f.path+"."+key); err != nil {
		return nil, err
	}
	return raw, nil
}

// Payload returns the message's d as its typed pointer (nil if none).
func (m Message) Payload() any {
	switch {
	case m.Hello != nil:
		return m.Hello
	case m.Identify != nil:
		return m.Identify
	case m.Identified != nil:
		return m.Identified
	case m.Reidentify != nil:
		return m.Reidentify
	case m.Event != nil:
		return m.Event
	case m.Request != nil:
		return m.Request
	case m.Response != nil:
		return m.Response
	}
	return nil
}
