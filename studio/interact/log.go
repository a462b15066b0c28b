package interact

import "time"

// Show-log kinds of the interactions, shared by the desk that writes them
// and the report and CLI that read them.
const (
	LogDefined   = "interactions_defined"  // DefinedLog: the show's definitions as loaded
	LogRestored  = "interactions_restored" // RestoredLog: live state read back after a restart
	LogDefine    = "define_coupon"         // a Coupon defined by command
	LogDefineV   = "define_vote"           // a Vote defined by command
	LogArm       = "arm_interaction"       // StateLog: its node came on air
	LogFire      = "fire_coupon"           // FiredLog
	LogStart     = "start_vote"            // StartedLog
	LogEnd       = "end_vote"              // ResultLog: ended early
	LogCancel    = "cancel_interaction"    // StateLog
	LogClosed    = "interaction_closed"    // ResultLog: the countdown ran out
	LogAck       = "interaction_ack"       // DeliveryLog
	LogRefused   = "interaction_refused"   // DeliveryLog
	LogQueued    = "interaction_queued"    // DeliveryLog: platform down, kept in the outbox
	LogClaims    = "coupon_claims"         // ClaimsLog: claims per minute of a live coupon
	LogVoteCount = "vote_tally"            // TallyLog: the tally once a minute while live
)

// DefinedLog is the show's interactions as loaded, and the node each is
// attached to (segment id → interaction id).
type DefinedLog struct {
	Show    string            `json:"show"`
	Coupons []Coupon          `json:"coupons"`
	Votes   []Vote            `json:"votes"`
	Nodes   map[string]string `json:"nodes,omitempty"`
}

// RestoredLog lists what came back after a restart.
type RestoredLog struct {
	Show  string   `json:"show"`
	Run   string   `json:"run"`
	Items []string `json:"items"` // "id:state"
	Error string   `json:"error,omitempty"`
}

// StateLog is a plain state change.
type StateLog struct {
	ID     string `json:"id"`
	Kind   Kind   `json:"kind,omitempty"`
	State  State  `json:"state,omitempty"`
	Node   string `json:"node,omitempty"` // segment id on air
	Reason string `json:"reason,omitempty"`
}

// FiredLog is a coupon fired: what was sent and where the show was.
type FiredLog struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Key             string `json:"key"`
	Stock           int    `json:"stock"`
	PerViewer       int    `json:"per_viewer"`
	WindowS         int    `json:"window_s"`
	FaceValue       int64  `json:"face_value"`
	Threshold       int64  `json:"threshold"`
	Discount        string `json:"discount,omitempty"`
	PriceProtection string `json:"price_protection,omitempty"`
	// PlannedNode is the segment that names it, Node the one on air.
	PlannedNode string `json:"planned_node,omitempty"`
	Node        string `json:"node,omitempty"`
	// Queued: the platform link was down; the command waits in the outbox.
	Queued bool `json:"queued,omitempty"`
}

// StartedLog is a vote started.
type StartedLog struct {
	ID          string   `json:"id"`
	Question    string   `json:"question"`
	Options     []string `json:"options"`
	DurationS   int      `json:"duration_s"`
	Mode        string   `json:"mode,omitempty"`
	ChangeRule  string   `json:"change_rule,omitempty"`
	Key         string   `json:"key,omitempty"`
	PlannedNode string   `json:"planned_node,omitempty"`
	Node        string   `json:"node,omitempty"`
	// Viewers on air when it started (0: not known).
	Viewers int `json:"viewers,omitempty"`
}

// ResultLog is an interaction that ended: a coupon's claims or a vote's
// final tally.
type ResultLog struct {
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	Name      string    `json:"name,omitempty"`
	Question  string    `json:"question,omitempty"`
	Options   []string  `json:"options,omitempty"`
	Claims    int       `json:"claims,omitempty"`
	StockLeft int       `json:"stock_left,omitempty"`
	Stock     int       `json:"stock,omitempty"`
	Refused   int       `json:"refused,omitempty"`
	Counts    []int     `json:"counts,omitempty"`
	Total     int       `json:"total,omitempty"`
	Percent   []float64 `json:"percent,omitempty"`
	LiveAt    time.Time `json:"live_at,omitzero"`
	EndsAt    time.Time `json:"ends_at,omitzero"`
}

// DeliveryLog is the platform's answer to a command, or its absence.
type DeliveryLog struct {
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Attempts  int    `json:"attempts,omitempty"`
	Result    any    `json:"result,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ClaimsLog is one minute of a live coupon's claims.
type ClaimsLog struct {
	ID        string    `json:"id"`
	Minute    time.Time `json:"minute"`
	Claims    int       `json:"claims"` // in this minute
	Total     int       `json:"total"`
	StockLeft int       `json:"stock_left"`
}

// TallyLog is a live vote's tally at a minute mark.
type TallyLog struct {
	ID     string    `json:"id"`
	Minute time.Time `json:"minute"`
	Counts []int     `json:"counts"`
	Total  int       `json:"total"`
}
