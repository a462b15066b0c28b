package obs

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sentinel errors of this package; devices.ErrTimeout, ErrClosed and
// ErrWrongKind are used as well.
var (
	// ErrAuthFailed: OBS rejected the password (close code 4009), or OBS
	// asks for one and none is configured.
	ErrAuthFailed = errors.New("wrong password")
	// ErrNotConnected: no session with OBS right now.
	ErrNotConnected = errors.New("not connected")
	// ErrConnectionLost: the session ended while a request was in flight;
	// OBS may or may not have carried it out.
	ErrConnectionLost = errors.New("connection lost")
)

// RequestError is a RequestResponse whose requestStatus.result was false.
type RequestError struct {
	RequestType string
	Code        int
	Comment     string
}

func (e *RequestError) Error() string {
	msg := fmt.Sprintf("code %d %s", e.Code, statusText(e.Code))
	if e.Comment != "" {
		msg += ": " + e.Comment
	}
	return msg
}

// statusText explains the obs-websocket RequestStatus codes a desk meets.
func statusText(code int) string {
	switch code {
	case 203:
		return "missing request type"
	case 204:
		return "unknown request type"
	case 205:
		return "generic error"
	case 207:
		return "OBS not ready"
	case 300:
		return "missing request field"
	case 301:
		return "missing request data"
	case 400:
		return "invalid request field"
	case 401:
		return "invalid request field type"
	case 402:
		return "request field out of range"
	case 403:
		return "request field empty"
	case 404:
		return "too many request fields"
	case 600:
		return "resource not found"
	case 601:
		return "resource already exists"
	case 602:
		return "invalid resource type"
	case 604:
		return "invalid resource state"
	case 700, 701, 702:
		return "OBS failed to carry out the request"
	}
	return "request failed"
}

// AuthResponse computes Identify's authentication string from Hello's
// salt and challenge: base64(sha256(base64(sha256(password+salt))+challenge)).
func AuthResponse(password, salt, challenge string) string {
	secret := sha256.Sum256([]byte(password + salt))
	secret64 := base64.StdEncoding.EncodeToString(secret[:])
	resp := sha256.Sum256([]byte(secret64 + challenge))
	return base64.StdEncoding.EncodeToString(resp[:])
}
