package remote

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"studiodesk/studio"
)

const (
	apiPrefix      = "/api/v1/"
	maxAPIBodySize = 4 << 10
)

// APIRequest is a parsed control API request.
type APIRequest struct {
	// State is set for GET /api/v1/state, Catalogue for GET
	// /api/v1/actions; otherwise Action is set.
	State     bool
	Catalogue bool
	Action    string
	Token     string
	// TokenVia says where the token came from: "bearer", "x-api-key" or
	// "query" (the last is logged as less safe: URLs end up in logs).
	TokenVia  string
	RequestID string
	call      call
}

// APIError carries the HTTP status a parse error maps to.
type APIError struct {
	Status int
	Err    error
}

func (e *APIError) Error() string { return e.Err.Error() }
func (e *APIError) Unwrap() error { return e.Err }

func apiErr(status int, err error) error { return &APIError{Status: status, Err: err} }

// statusFor maps an error to its HTTP status.
func statusFor(err error) int {
	switch errorCode(err) {
	case "":
		return http.StatusOK
	case "unknown_action":
		return http.StatusNotFound
	case "bad_request":
		return http.StatusBadRequest
	case "forbidden":
		return http.StatusForbidden
	case "unauthorized":
		return http.StatusUnauthorized
	case "replay":
		return http.StatusConflict
	case "confirm_required":
		return http.StatusPreconditionRequired
	case "timeout":
		return http.StatusGatewayTimeout
	case "storage":
		return http.StatusInsufficientStorage // not recorded: the disk refused the write
	}
	return http.StatusUnprocessableEntity // the desk refused it in this show state
}

// apiToken finds the token: Authorization: Bearer, X-Api-Key, or the
// token query parameter, in that order.
func apiToken(h http.Header, q url.Values) (tok, via string) {
	if scheme, t, ok := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " "); ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(t) != "" {
		return strings.TrimSpace(t), "bearer"
	}
	if t := strings.TrimSpace(h.Get("X-Api-Key")); t != "" {
		return t, "x-api-key"
	}
	if t := strings.TrimSpace(q.Get("token")); t != "" {
		return t, "query"
	}
	return "", ""
}

// ParseAPIRequest parses a control API request. It never panics. When a
// token was given, Token is set even if a later part of the request is
// bad, so the caller authenticates first. Arguments come from a JSON
// object body and from query parameters (other than token and
// request_id); numbers may be numeric strings.
func ParseAPIRequest(method, path string, h http.Header, query string, body []byte) (APIRequest, error) {
	var req APIRequest
	q, qerr := url.ParseQuery(query)
	req.Token, req.TokenVia = apiToken(h, q)
	if !strings.HasPrefix(path, apiPrefix) {
		return req, apiErr(http.StatusNotFound, fmt.Errorf("%w: path %q", ErrUnknownAction, clip(path)))
	}
	if req.Token == "" {
		return req, apiErr(http.StatusUnauthorized, ErrUnauthorized)
	}
	if qerr != nil {
		return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: query: %w", ErrBadRequest, qerr))
	}
	name := strings.TrimPrefix(path, apiPrefix)
	switch name {
	case "state", "actions":
		if method != http.MethodGet && method != http.MethodHead {
			return req, apiErr(http.StatusMethodNotAllowed, fmt.Errorf("%w: %s: GET only", ErrBadRequest, name))
		}
		req.State, req.Catalogue = name == "state", name == "actions"
		return req, nil
	}
	if strings.Contains(name, "/") {
		return req, apiErr(http.StatusNotFound, &studio.UnknownActionError{Name: clip(name)})
	}
	a, err := studio.LookupAction(name)
	if err != nil {
		return req, apiErr(http.StatusNotFound, err)
	}
	req.Action = a.Name
	if method != http.MethodPost {
		return req, apiErr(http.StatusMethodNotAllowed, fmt.Errorf("%w: %s: POST only", ErrBadRequest, a.Name))
	}
	rid := h.Get("X-Request-Id")
	if rid == "" {
		rid = q.Get("request_id")
	}
	if rid != "" {
		if !validID(rid) {
			return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: request id must be 1-%d characters of [A-Za-z0-9._:-]", ErrBadRequest, maxIDLen))
		}
		req.RequestID = rid
	}
	if len(body) > maxAPIBodySize {
		return req, apiErr(http.StatusRequestEntityTooLarge, fmt.Errorf("%w: body over %d bytes", ErrBadRequest, maxAPIBodySize))
	}
	raw := map[string]any{}
	if b := bytes.TrimSpace(body); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil || raw == nil {
			if err == nil {
				err = errors.New("null")
			}
			return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: %s: body must be a JSON object: %w", ErrBadRequest, a.Name, err))
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: %s: body: trailing data", ErrBadRequest, a.Name))
		}
	}
	for k, vs := range q {
		if k == "token" || k == "request_id" {
			continue
		}
		if _, dup := raw[k]; dup || len(vs) != 1 {
			return req, apiErr(http.StatusBadRequest, &studio.ArgError{Action: a.Name, Arg: clip(k), Msg: "given twice"})
		}
		raw[k] = vs[0]
	}
	c, err := parseCall(a.Name, raw)
	if err != nil {
		return req, apiErr(statusFor(err), err)
	}
	c.id = req.RequestID
	req.call = c
	return req, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}

// apiResult is the body of every control API answer.
type apiResult struct {
	OK     bool   `json:"ok"`
	Action string `json:"action,omitempty"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
	// Kind is "storage" when the desk could not record the command.
	Kind   string     `json:"kind,omitempty"`
	Replay bool       `json:"replay,omitempty"`
	State  *StateData `json:"state,omitempty"`
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	from := r.RemoteAddr
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBodySize+1))
	if err != nil && len(body) <= maxAPIBodySize {
		s.cfg.Logf("remote: api %s %s from %s rejected: body: %v", r.Method, clip(r.URL.Path), from, err)
		writeErr(w, http.StatusBadRequest, "unreadable body")
		return
	}
	req, perr := ParseAPIRequest(r.Method, r.URL.Path, r.Header, r.URL.RawQuery, body)
	if req.Token == "" {
		s.cfg.Logf("remote: api %s %s from %s rejected: no token", r.Method, clip(r.URL.Path), from)
		w.Header().Set("WWW-Authenticate", `Bearer realm="studiodesk"`)
		writeJSON(w, http.StatusUnauthorized, apiResult{Code: "unauthorized",
			Error: "a token is required: Authorization: Bearer <token>, X-Api-Key: <token> or ?token=<token>"})
		return
	}
	dev, err := s.authenticate(req.Token, "api "+clip(r.URL.Path), from)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="studiodesk", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, apiResult{Code: "unauthorized", Error: "wrong or revoked token"})
		return
	}
	if req.TokenVia == "query" {
		s.cfg.Logf("remote: api %s from device %s (%q): token in the URL (less safe than a header)", clip(r.URL.Path), dev.ID, dev.Name)
	}
	if perr != nil {
		status := http.StatusBadRequest
		var ae *APIError
		if errors.As(perr, &ae) {
			status = ae.Status
		}
		s.cfg.Logf("remote: api %s %s from device %s (%q) rejected: %v", r.Method, clip(r.URL.Path), dev.ID, dev.Name, perr)
		writeJSON(w, status, apiResult{Action: req.Action, Code: errorCode(perr), Error: perr.Error()})
		return
	}
	if req.Catalogue {
		writeJSON(w, http.StatusOK, studio.Actions())
		return
	}
	if req.State {
		st := s.stateNow()
		st.CanControl = dev.Role == RoleController
		writeJSON(w, http.StatusOK, st)
		return
	}
	err = s.execute(r.Context(), dev, req.call, "api", from)
	res := apiResult{OK: err == nil, Action: req.Action, Code: errorCode(err)}
	if res.Code == "storage" {
		res.Kind = "storage" // not recorded: the disk refused the write
	}
	if err != nil {
		res.Error = err.Error()
		res.Replay = errors.Is(err, ErrReplay)
	}
	st := s.stateNow()
	st.CanControl = dev.Role == RoleController
	res.State = &st
	writeJSON(w, statusFor(err), res)
}
