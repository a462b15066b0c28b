package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"studiodesk/studio"
)

const (
	apiPrefix      = "/api/v1/"
	maxAPIBodySize = 4 << 10
)

// APIRequest is a parsed control API request.
type APIRequest struct {
	// State is set for GET /api/v1/state; otherwise Action is set.
	State     bool
	Action    string
	Args      Args
	Token     string
	RequestID string
}

// APIError carries the HTTP status a parse error maps to.
type APIError struct {
	Status int
	Err    error
}

func (e *APIError) Error() string { return e.Err.Error() }
func (e *APIError) Unwrap() error { return e.Err }

func apiErr(status int, err error) error { return &APIError{Status: status, Err: err} }

// ParseAPIRequest parses a control API request from its method, path,
// Authorization and X-Request-Id headers and body. It never panics. When
// the Authorization header held a bearer token, Token is set even if a
// later part of the request is bad, so the caller authenticates first.
func ParseAPIRequest(method, path, authorization, requestID string, body []byte) (APIRequest, error) {
	var req APIRequest
	if !strings.HasPrefix(path, apiPrefix) {
		return req, apiErr(http.StatusNotFound, fmt.Errorf("%w: path %q", ErrUnknownAction, clip(path)))
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return req, apiErr(http.StatusUnauthorized, ErrUnauthorized)
	}
	req.Token = strings.TrimSpace(tok)
	name := strings.TrimPrefix(path, apiPrefix)
	if name == "state" {
		if method != http.MethodGet && method != http.MethodHead {
			return req, apiErr(http.StatusMethodNotAllowed, fmt.Errorf("%w: state: GET only", ErrBadRequest))
		}
		req.State = true
		return req, nil
	}
	action, err := normalizeAction(name)
	if err != nil || strings.Contains(name, "/") {
		return req, apiErr(http.StatusNotFound, fmt.Errorf("%w: %q", ErrUnknownAction, clip(name)))
	}
	if method != http.MethodPost {
		return req, apiErr(http.StatusMethodNotAllowed, fmt.Errorf("%w: %s: POST only", ErrBadRequest, action))
	}
	req.Action = action
	if requestID != "" {
		if !validID(requestID) {
			return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: X-Request-Id must be 1-%d characters of [A-Za-z0-9._:-]", ErrBadRequest, maxIDLen))
		}
		req.RequestID = requestID
	}
	if len(body) > maxAPIBodySize {
		return req, apiErr(http.StatusRequestEntityTooLarge, fmt.Errorf("%w: body over %d bytes", ErrBadRequest, maxAPIBodySize))
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req.Args); err != nil {
			return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: %s: body: %w", ErrBadRequest, action, err))
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return req, apiErr(http.StatusBadRequest, fmt.Errorf("%w: %s: body: trailing data", ErrBadRequest, action))
		}
	}
	if _, err := ToCommand(action, req.Args); err != nil {
		return req, apiErr(http.StatusBadRequest, err)
	}
	return req, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// apiResult is the body of every control API answer.
type apiResult struct {
	OK     bool   `json:"ok"`
	Action string `json:"action,omitempty"`
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
	req, perr := ParseAPIRequest(r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Request-Id"), body)
	if req.Token == "" {
		s.cfg.Logf("remote: api %s %s from %s rejected: no bearer token", r.Method, clip(r.URL.Path), from)
		w.Header().Set("WWW-Authenticate", `Bearer realm="studiodesk"`)
		writeErr(w, http.StatusUnauthorized, "Authorization: Bearer <token> required")
		return
	}
	dev, err := s.authenticate(req.Token, "api "+clip(r.URL.Path), from)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="studiodesk", error="invalid_token"`)
		writeErr(w, http.StatusUnauthorized, "wrong or revoked token")
		return
	}
	if perr != nil {
		status := http.StatusBadRequest
		var ae *APIError
		if errors.As(perr, &ae) {
			status = ae.Status
		}
		s.cfg.Logf("remote: api %s %s from device %s (%q) rejected: %v", r.Method, clip(r.URL.Path), dev.ID, dev.Name, perr)
		writeErr(w, status, perr.Error())
		return
	}
	if req.State {
		st := stateFrom(s.cfg.Desk.Snapshot(), s.cfg.Now())
		st.CanControl = dev.Role == RoleController
		writeJSON(w, http.StatusOK, st)
		return
	}
	cmd, err := ToCommand(req.Action, req.Args)
	if err != nil { // validated by ParseAPIRequest; kept for safety
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	err = s.execute(r.Context(), dev, req.RequestID, cmd, "api", from)
	res := apiResult{OK: err == nil, Action: req.Action}
	status := http.StatusOK
	switch {
	case err == nil:
	case errors.Is(err, ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, ErrUnauthorized):
		status = http.StatusUnauthorized
	case errors.Is(err, ErrReplay):
		status, res.Replay = http.StatusConflict, true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		status = http.StatusGatewayTimeout
	case errors.Is(err, studio.ErrStorage):
		status, res.Kind = http.StatusInsufficientStorage, "storage" // not recorded: the disk refused the write
	default:
		status = http.StatusUnprocessableEntity // the desk refused it in this show state
	}
	if err != nil {
		res.Error = err.Error()
	}
	st := stateFrom(s.cfg.Desk.Snapshot(), s.cfg.Now())
	st.CanControl = dev.Role == RoleController
	res.State = &st
	writeJSON(w, status, res)
}
