package bilibili

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/platform"
)

// A danmaku as the open platform pushes it (field set per its docs).
const realDM = `{"cmd":"LIVE_OPEN_PLATFORM_DM","data":{"room_id":21452505,"uid":0,` +
	`"open_id":"39b8fedb-60a5-4e29-ac75-b16955f7e632","union_id":"U_5ab0e","uname":"吃瓜群众",` +
	`"uface":"https://i0.hdslb.com/bfs/face/member/noface.jpg","timestamp":1700000123,` +
	`"msg":"这个多少钱？<b>1</b>","msg_id":"d5c7a1e5-4f0e-4a1b-9d0a-93c1a7b3f2aa",` +
	`"guard_level":3,"fans_medal_level":21,"fans_medal_name":"瓜瓜","fans_medal_wearing_status":true,` +
	`"emoji_img_url":"","dm_type":0,"glory_level":12,"reply_open_id":"","reply_uname":"主播","is_admin":1}}`

func TestParseDanmakuFields(t *testing.T) {
	m, err := ParseMessage([]byte(realDM))
	if err != nil {
		t.Fatal(err)
	}
	if m.Cmd != CmdDanmaku || !m.Known || len(m.Events) != 1 {
		t.Fatalf("got %+v", m)
	}
	ev := m.Events[0]
	want := platform.Event{
		Kind: platform.KindDanmaku, Time: time.Unix(1700000123, 0),
		ViewerID: "39b8fedb-60a5-4e29-ac75-b16955f7e632", ViewerName: "吃瓜群众",
		Text: "这个多少钱？<b>1</b>", ID: "d5c7a1e5-4f0e-4a1b-9d0a-93c1a7b3f2aa",
		GuardLevel: 3, IsAdmin: true,
	}
	raw := ev.Raw
	ev.Raw = nil
	if !ev.Time.Equal(want.Time) {
		t.Fatalf("time %v, want %v", ev.Time, want.Time)
	}
	ev.Time = want.Time
	if ev.Kind != want.Kind || ev.ViewerID != want.ViewerID || ev.ViewerName != want.ViewerName ||
		ev.Text != want.Text || ev.ID != want.ID || ev.GuardLevel != want.GuardLevel || ev.IsAdmin != want.IsAdmin ||
		ev.Amount != 0 || ev.Count != 0 {
		t.Fatalf("event\n got %+v\nwant %+v", ev, want)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil || back["fans_medal_name"] != "瓜瓜" || back["reply_uname"] != "主播" {
		t.Fatalf("Raw does not hold the data object: %s (%v)", raw, err)
	}
}

func TestParseStripsCmdSuffix(t *testing.T) {
	for _, cmd := range []string{"LIVE_OPEN_PLATFORM_DM:4:0:2:2:2:0", "LIVE_OPEN_PLATFORM_DM:", "LIVE_OPEN_PLATFORM_DM"} {
		m, err := ParseMessage([]byte(`{"cmd":"` + cmd + `","data":{"msg":"hi","open_id":"o"}}`))
		if err != nil || m.Cmd != CmdDanmaku || len(m.Events) != 1 || m.Events[0].Text != "hi" {
			t.Fatalf("%s: %+v, %v", cmd, m, err)
		}
	}
}

func TestParseOtherCommands(t *testing.T) {
	tests := []struct {
		body string
		want []platform.Event
	}{
		{`{"cmd":"LIVE_OPEN_PLATFORM_SEND_GIFT","data":{"room_id":1,"uid":0,"open_id":"o1","uname":"甲","uface":"",` +
			`"gift_id":31036,"gift_name":"小花花","gift_num":3,"price":100,"r_price":100,"paid":true,"fans_medal_level":0,` +
			`"fans_medal_name":"","fans_medal_wearing_status":false,"guard_level":0,"timestamp":1700000001,` +
			`"anchor_info":{"uid":0,"open_id":"a","uname":"主播","uface":""},"msg_id":"g1","gift_icon":"",` +
			`"combo_gift":false,"combo_info":{"combo_base_num":0,"combo_count":0,"combo_id":"","combo_timeout":0}}}`,
			[]platform.Event{{Kind: platform.KindGift, ViewerID: "o1", ViewerName: "甲", Text: "小花花", Count: 3, Amount: 300, ID: "g1"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_SEND_GIFT","data":{"open_id":"o1","gift_name":"辣条","gift_num":5,"price":100,"paid":false,"msg_id":"g2","timestamp":1700000001}}`,
			[]platform.Event{{Kind: platform.KindGift, ViewerID: "o1", Text: "辣条", Count: 5, ID: "g2"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_SUPER_CHAT","data":{"room_id":1,"open_id":"o2","uname":"乙","message_id":123456,` +
			`"message":"主播看看这个","rmb":30,"timestamp":1700000002,"start_time":1700000002,"end_time":1700000062,"guard_level":2,"msg_id":"s1"}}`,
			[]platform.Event{{Kind: platform.KindSuperChat, ViewerID: "o2", ViewerName: "乙", Text: "主播看看这个", Amount: 30000, Ref: "123456", GuardLevel: 2, ID: "s1"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL","data":{"room_id":1,"message_ids":[123456,7],"msg_id":"d1"}}`,
			[]platform.Event{{Kind: platform.KindSuperChatDel, Ref: "123456", ID: "d1#0"}, {Kind: platform.KindSuperChatDel, Ref: "7", ID: "d1#1"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_GUARD","data":{"user_info":{"uid":0,"open_id":"o3","uname":"丙","uface":""},` +
			`"guard_level":3,"guard_num":2,"guard_unit":"月","price":198000,"room_id":1,"msg_id":"gd1","timestamp":1700000003}}`,
			[]platform.Event{{Kind: platform.KindGuard, ViewerID: "o3", ViewerName: "丙", GuardLevel: 3, Count: 2, Text: "月", Amount: 396000, ID: "gd1"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_LIKE","data":{"uname":"丁","open_id":"o4","timestamp":1700000004,"room_id":1,"like_text":"为主播点赞了","like_count":12,"msg_id":"l1"}}`,
			[]platform.Event{{Kind: platform.KindLike, ViewerID: "o4", ViewerName: "丁", Text: "为主播点赞了", Count: 12, ID: "l1"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_LIVE_ROOM_ENTER","data":{"room_id":1,"uface":"","uname":"戊","open_id":"o5","timestamp":1700000005}}`,
			[]platform.Event{{Kind: platform.KindEnter, ViewerID: "o5", ViewerName: "戊"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_LIVE_START","data":{"room_id":1,"open_id":"a","timestamp":1700000006,"area_name":"日常","title":"新品首发"}}`,
			[]platform.Event{{Kind: platform.KindLiveStart, ViewerID: "a", Text: "新品首发"}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_LIVE_END","data":{"room_id":1,"open_id":"a","timestamp":1700000007,"area_name":"日常","title":"新品首发"}}`,
			[]platform.Event{{Kind: platform.KindLiveEnd, ViewerID: "a", Text: "新品首发"}}},
		// Saturating, never negative.
		{`{"cmd":"LIVE_OPEN_PLATFORM_SEND_GIFT","data":{"gift_num":9223372036854775807,"price":9223372036854775807,"paid":true}}`,
			[]platform.Event{{Kind: platform.KindGift, Count: 2147483647, Amount: 9223372036854775807}}},
		{`{"cmd":"LIVE_OPEN_PLATFORM_SEND_GIFT","data":{"gift_num":-5,"price":100,"paid":true}}`,
			[]platform.Event{{Kind: platform.KindGift}}},
	}
	for _, tc := range tests {
		m, err := ParseMessage([]byte(tc.body))
		if err != nil {
			t.Fatalf("%.60s: %v", tc.body, err)
		}
		if len(m.Events) != len(tc.want) {
			t.Fatalf("%s: %d events, want %d", m.Cmd, len(m.Events), len(tc.want))
		}
		for i, ev := range m.Events {
			ev.Raw, ev.Time = nil, time.Time{}
			if !eventEq(ev, tc.want[i]) {
				t.Fatalf("%s event %d\n got %+v\nwant %+v", m.Cmd, i, ev, tc.want[i])
			}
		}
	}
}

func eventEq(a, b platform.Event) bool {
	a.Raw, b.Raw = nil, nil
	return reflect.DeepEqual(a, b)
}

func TestParseInteractionEndAndUnknown(t *testing.T) {
	m, err := ParseMessage([]byte(`{"cmd":"LIVE_OPEN_PLATFORM_INTERACTION_END","data":{"game_id":"game-7","timestamp":1700000009}}`))
	if err != nil || m.Cmd != CmdInteractionEnd || !m.Known || m.GameID != "game-7" || len(m.Events) != 0 {
		t.Fatalf("%+v %v", m, err)
	}
	m, err = ParseMessage([]byte(`{"cmd":"LIVE_OPEN_PLATFORM_NEW_THING:1","data":{"x":1}}`))
	if err != nil || m.Known || m.Cmd != "LIVE_OPEN_PLATFORM_NEW_THING" || len(m.Events) != 0 {
		t.Fatalf("unknown: %+v %v", m, err)
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `{"cmd":1}`, `{"data":{}}`, `{"cmd":"LIVE_OPEN_PLATFORM_DM"}`,
		`{"cmd":"LIVE_OPEN_PLATFORM_DM","data":{"msg":5}}`,
		`{"cmd":"LIVE_OPEN_PLATFORM_DM","data":{"is_admin":"maybe"}}`,
		`{"cmd":"LIVE_OPEN_PLATFORM_DM","data":[1]}`,
	} {
		m, err := ParseMessage([]byte(body))
		if err == nil {
			t.Errorf("%q: no error (%+v)", body, m)
			continue
		}
		if !strings.HasPrefix(err.Error(), "bilibili: ") {
			t.Errorf("%q: error %q does not name the place", body, err)
		}
	}
	// A nil Time for an absurd timestamp rather than a bogus date.
	m, err := ParseMessage([]byte(`{"cmd":"LIVE_OPEN_PLATFORM_DM","data":{"timestamp":99999999999999999,"msg":"x"}}`))
	if err != nil || !m.Events[0].Time.IsZero() {
		t.Fatalf("absurd timestamp: %+v %v", m, err)
	}
	if !eventEq(m.Events[0], platform.Event{Kind: platform.KindDanmaku, Text: "x"}) {
		t.Fatalf("got %+v", m.Events[0])
	}
}
