package bilibili

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"studiodesk/studio/platform"
)

// Commands of the open platform's message push (op 5 bodies).
const (
	CmdDanmaku        = "LIVE_OPEN_PLATFORM_DM"
	CmdGift           = "LIVE_OPEN_PLATFORM_SEND_GIFT"
	CmdSuperChat      = "LIVE_OPEN_PLATFORM_SUPER_CHAT"
	CmdSuperChatDel   = "LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL"
	CmdGuard          = "LIVE_OPEN_PLATFORM_GUARD"
	CmdLike           = "LIVE_OPEN_PLATFORM_LIKE"
	CmdRoomEnter      = "LIVE_OPEN_PLATFORM_LIVE_ROOM_ENTER"
	CmdLiveStart      = "LIVE_OPEN_PLATFORM_LIVE_START"
	CmdLiveEnd        = "LIVE_OPEN_PLATFORM_LIVE_END"
	CmdInteractionEnd = "LIVE_OPEN_PLATFORM_INTERACTION_END"
)

// Message is one op-5 body translated for the desk.
type Message struct {
	// Cmd is the command with any ":suffix" stripped.
	Cmd string
	// Known is false for commands this adapter does not translate.
	Known bool
	// Events are the desk events it carries (none for unknown commands
	// and for INTERACTION_END).
	Events []platform.Event
	// GameID is set by INTERACTION_END: the session the platform closed.
	GameID string
}

// ParseMessage translates one op-5 JSON body. Timestamps of 0 leave
// Event.Time zero (the adapter stamps arrival time). Amounts are in 1/1000
// CNY (the open platform's gift unit: 1000 = ¥1 = 10 电池).
func ParseMessage(body []byte) (Message, error) {
	var env struct {
		Cmd  string          `json:"cmd"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return Message{}, fmt.Errorf("bilibili: message: %w", err)
	}
	cmd, _, _ := strings.Cut(env.Cmd, ":")
	m := Message{Cmd: cmd, Known: true}
	if cmd == "" {
		return m, fmt.Errorf("bilibili: message: no cmd")
	}
	data := bytes.TrimSpace(env.Data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		if _, ok := translators[cmd]; !ok && cmd != CmdInteractionEnd {
			m.Known = false
			return m, nil
		}
		return m, fmt.Errorf("bilibili: %s: no data", cmd)
	}
	if cmd == CmdInteractionEnd {
		var d struct {
			GameID string `json:"game_id"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return m, fmt.Errorf("bilibili: %s: %w", cmd, err)
		}
		m.GameID = d.GameID
		return m, nil
	}
	tr, ok := translators[cmd]
	if !ok {
		m.Known = false
		return m, nil
	}
	evs, err := tr(data)
	if err != nil {
		return m, fmt.Errorf("bilibili: %s: %w", cmd, err)
	}
	raw := json.RawMessage(data)
	for i := range evs {
		evs[i].Raw = raw
	}
	m.Events = evs
	return m, nil
}

var translators = map[string]func([]byte) ([]platform.Event, error){
	CmdDanmaku:      parseDanmaku,
	CmdGift:         parseGift,
	CmdSuperChat:    parseSuperChat,
	CmdSuperChatDel: parseSuperChatDel,
	CmdGuard:        parseGuard,
	CmdLike:         parseLike,
	CmdRoomEnter:    parseEnter,
	CmdLiveStart:    parseLive(platform.KindLiveStart),
	CmdLiveEnd:      parseLive(platform.KindLiveEnd),
}

// viewer holds the user fields most commands share.
type viewer struct {
	OpenID     string `json:"open_id"`
	Uname      string `json:"uname"`
	Timestamp  int64  `json:"timestamp"`
	RoomID     int64  `json:"room_id"`
	MsgID      string `json:"msg_id"`
	GuardLevel int    `json:"guard_level"`
}

func (v viewer) event(kind platform.EventKind) platform.Event {
	return platform.Event{
		Kind: kind, Time: unixTime(v.Timestamp), ViewerID: v.OpenID, ViewerName: v.Uname,
		ID: v.MsgID, GuardLevel: v.GuardLevel,
	}
}

func unixTime(s int64) time.Time {
	// Reject absurd values rather than overflow time.Time.
	if s <= 0 || s > 1<<40 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// flexBool accepts 0/1, "0"/"1" and true/false.
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	switch s := strings.Trim(string(p), `"`); s {
	case "1", "true":
		*b = true
	case "0", "false", "", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %.20q", string(p))
	}
	return nil
}

// danmakuData is LIVE_OPEN_PLATFORM_DM's data.
type danmakuData struct {
	viewer
	Uface                  string   `json:"uface"`
	Msg                    string   `json:"msg"`
	FansMedalLevel         int      `json:"fans_medal_level"`
	FansMedalName          string   `json:"fans_medal_name"`
	FansMedalWearingStatus bool     `json:"fans_medal_wearing_status"`
	DMType                 int      `json:"dm_type"` // 0 text, 1 emoji (Msg names it)
	EmojiImgURL            string   `json:"emoji_img_url"`
	ReplyOpenID            string   `json:"reply_open_id"`
	ReplyUname             string   `json:"reply_uname"`
	IsAdmin                flexBool `json:"is_admin"`
}

func parseDanmaku(data []byte) ([]platform.Event, error) {
	var d danmakuData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	ev := d.event(platform.KindDanmaku)
	ev.Text = d.Msg
	ev.IsAdmin = bool(d.IsAdmin)
	return []platform.Event{ev}, nil
}

func parseGift(data []byte) ([]platform.Event, error) {
	var d struct {
		viewer
		GiftID   int64  `json:"gift_id"`
		GiftName string `json:"gift_name"`
		GiftNum  int64  `json:"gift_num"`
		Price    int64  `json:"price"` // per gift, 1/1000 CNY
		Paid     bool   `json:"paid"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	ev := d.event(platform.KindGift)
	ev.Text = d.GiftName
	ev.Count = clampInt(d.GiftNum)
	if d.Paid {
		ev.Amount = mulClamp(d.Price, d.GiftNum)
	}
	return []platform.Event{ev}, nil
}

func parseSuperChat(data []byte) ([]platform.Event, error) {
	var d struct {
		viewer
		MessageID int64  `json:"message_id"`
		Message   string `json:"message"`
		RMB       int64  `json:"rmb"` // whole CNY
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	ev := d.event(platform.KindSuperChat)
	ev.Text = d.Message
	ev.Amount = mulClamp(d.RMB, 1000)
	ev.Ref = strconv.FormatInt(d.MessageID, 10)
	return []platform.Event{ev}, nil
}

func parseSuperChatDel(data []byte) ([]platform.Event, error) {
	var d struct {
		RoomID     int64         `json:"room_id"`
		MessageIDs []json.Number `json:"message_ids"`
		MsgID      string        `json:"msg_id"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	evs := make([]platform.Event, 0, len(d.MessageIDs))
	for i, id := range d.MessageIDs {
		ev := platform.Event{Kind: platform.KindSuperChatDel, ID: d.MsgID, Ref: id.String()}
		if len(d.MessageIDs) > 1 && d.MsgID != "" {
			ev.ID = d.MsgID + "#" + strconv.Itoa(i)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func parseGuard(data []byte) ([]platform.Event, error) {
	var d struct {
		UserInfo struct {
			OpenID string `json:"open_id"`
			Uname  string `json:"uname"`
		} `json:"user_info"`
		GuardLevel int    `json:"guard_level"`
		GuardNum   int64  `json:"guard_num"`
		GuardUnit  string `json:"guard_unit"`
		Price      int64  `json:"price"` // per unit, 金瓜子 (1000 = ¥1)
		Timestamp  int64  `json:"timestamp"`
		MsgID      string `json:"msg_id"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return []platform.Event{{
		Kind: platform.KindGuard, Time: unixTime(d.Timestamp),
		ViewerID: d.UserInfo.OpenID, ViewerName: d.UserInfo.Uname, ID: d.MsgID,
		GuardLevel: d.GuardLevel, Count: clampInt(d.GuardNum), Text: d.GuardUnit,
		Amount: mulClamp(d.Price, d.GuardNum),
	}}, nil
}

func parseLike(data []byte) ([]platform.Event, error) {
	var d struct {
		viewer
		LikeText  string `json:"like_text"`
		LikeCount int64  `json:"like_count"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	ev := d.event(platform.KindLike)
	ev.Text = d.LikeText
	ev.Count = clampInt(d.LikeCount)
	return []platform.Event{ev}, nil
}

func parseEnter(data []byte) ([]platform.Event, error) {
	var d viewer
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return []platform.Event{d.event(platform.KindEnter)}, nil
}

func parseLive(kind platform.EventKind) func([]byte) ([]platform.Event, error) {
	return func(data []byte) ([]platform.Event, error) {
		var d struct {
			RoomID    int64  `json:"room_id"`
			OpenID    string `json:"open_id"`
			Timestamp int64  `json:"timestamp"`
			AreaName  string `json:"area_name"`
			Title     string `json:"title"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		return []platform.Event{{
			Kind: kind, Time: unixTime(d.Timestamp), ViewerID: d.OpenID, Text: d.Title,
		}}, nil
	}
}

func clampInt(n int64) int {
	if n < 0 {
		return 0
	}
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

// mulClamp multiplies two counts, treating negatives as 0 and saturating.
func mulClamp(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
