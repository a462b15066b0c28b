package studio

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/interact"
)

type fakeEnv struct {
	snap  *Snapshot
	ix    Interactions
	lines map[string]danmaku.Item
}

func (e fakeEnv) Snapshot() *Snapshot        { return e.snap }
func (e fakeEnv) Interactions() Interactions { return e.ix }
func (e fakeEnv) DanmakuLine(id string) (danmaku.Item, bool) {
	it, ok := e.lines[id]
	return it, ok
}

func testEnv() fakeEnv {
	return fakeEnv{
		snap: &Snapshot{Show: &scripts.Show{Segments: make([]scripts.Segment, 4)},
			Presets: []Preset{{ID: "wide", Name: "全景", Key: "1"}, {ID: "close", Name: "特写", Key: "F2"}}},
		ix: Interactions{Items: []interact.View{
			{Kind: interact.KindCoupon, ID: "c1", State: interact.Armed},
			{Kind: interact.KindVote, ID: "v1", State: interact.Live},
			{Kind: interact.KindVote, ID: "v2", State: interact.Draft},
		}},
		lines: map[string]danmaku.Item{"m1": {Message: danmaku.Message{ID: "m1", ViewerID: "u1", ViewerName: "小米"}}},
	}
}

func num(s string) json.Number { return json.Number(s) }

func TestCatalogueBuildsTheCommands(t *testing.T) {
	env := testEnv()
	yes := true
	for _, tc := range []struct {
		action string
		raw    map[string]any
		want   Command
	}{
		{"start", nil, Start{}}, {"PAUSE", nil, Pause{}}, {"resume", nil, Resume{}},
		{"toggle-pause", nil, TogglePause{}}, {"next", nil, Next{}}, {"prev", nil, Previous{}},
		{"jump", map[string]any{"segment": num("1")}, Jump{Index: 0}},
		{"jump", map[string]any{"segment": "4"}, Jump{Index: 3}},
		{"jump", map[string]any{"segment": int32(2)}, Jump{Index: 1}},
		{"jump", map[string]any{"segment": float32(3)}, Jump{Index: 2}},
		{"extend", nil, Adjust{Delta: 30 * time.Second}},
		{"extend", map[string]any{"seconds": "60"}, Adjust{Delta: time.Minute}},
		{"shorten", map[string]any{"seconds": 12.5, "window": "yes"}, Adjust{Delta: -12500 * time.Millisecond, Window: true}},
		{"use_window", nil, Adjust{Window: true}}, {"end", nil, End{}}, {"rewind", nil, Rewind{}},
		{"recall_preset", map[string]any{"preset": num("1")}, RecallPreset{ID: "wide"}},
		{"recall_preset", map[string]any{"preset": "f2"}, RecallPreset{ID: "close"}},
		{"recall_preset", map[string]any{"preset": "close"}, RecallPreset{ID: "close"}},
		{"fire_coupon", nil, FireCoupon{ID: "c1"}},
		{"fire_coupon", map[string]any{"id": "c9"}, FireCoupon{ID: "c9"}},
		{"start_vote", map[string]any{"id": "v2"}, StartVote{ID: "v2"}},
		{"end_vote", nil, EndVote{ID: "v1"}},
		{"cancel_interaction", map[string]any{"id": "c1"}, CancelInteraction{ID: "c1", Reason: "operator"}},
		{"pin", map[string]any{"id": "m1"}, PinDanmaku{ID: "m1"}},
		{"hide", map[string]any{"id": int32(7)}, HideDanmaku{ID: "7"}},
		{"block", map[string]any{"id": "m1"}, BlockViewer{ViewerID: "u1", ViewerName: "小米"}},
		{"answer_question", map[string]any{"id": "q1"}, DismissQuestion{ID: "q1"}},
		{"pause_danmaku", nil, PauseDanmaku{}},
		{"pause_danmaku", map[string]any{"paused": true}, PauseDanmaku{Paused: &yes}},
	} {
		_, cmd, err := BuildAction(tc.action, tc.raw, env)
		if err != nil {
			t.Errorf("%s %v: %v", tc.action, tc.raw, err)
			continue
		}
		got, _ := json.Marshal(cmd)
		want, _ := json.Marshal(tc.want)
		if cmd.Name() != tc.want.Name() || string(got) != string(want) {
			t.Errorf("%s %v: %#v, want %#v", tc.action, tc.raw, cmd, tc.want)
		}
	}
}

func TestCatalogueRefusesBadArguments(t *testing.T) {
	env := testEnv()
	for _, tc := range []struct {
		action string
		raw    map[string]any
		want   string
	}{
		{"jump", nil, "jump: segment: missing"},
		{"jump", map[string]any{"segment": "x"}, `want a number, got "x"`},
		{"jump", map[string]any{"segment": 0}, "out of range"},
		{"jump", map[string]any{"segment": 5}, "the script has 4 segments"},
		{"jump", map[string]any{"segment": 1.5}, "whole number"},
		{"jump", map[string]any{"segment": math.NaN()}, "finite"},
		{"jump", map[string]any{"segment": "1e400"}, "want a number"},
		{"jump", map[string]any{"segment": true}, "want a number, got true"},
		{"extend", map[string]any{"seconds": -1}, "out of range"},
		{"extend", map[string]any{"seconds": 3601}, "out of range"},
		{"extend", map[string]any{"window": "maybe"}, "want true or false"},
		{"start", map[string]any{"x": 1}, "start: x: unknown argument (takes none)"},
		{"recall_preset", map[string]any{"preset": "9"}, `no preset with id or key "9"`},
		{"start_vote", nil, "start_vote: id: no armed vote: name one"},
		{"pin", map[string]any{"id": ""}, "pin: id: empty"},
		{"pin", map[string]any{"id": "a\x00b"}, "control characters"},
		{"pin", map[string]any{"id": strings.Repeat("x", 200)}, "at most 128"},
		{"pin", map[string]any{"id": []any{1}}, "want text, got a list"},
		{"block", map[string]any{"id": "gone"}, "no comment"},
	} {
		_, _, err := BuildAction(tc.action, tc.raw, env)
		if !errors.Is(err, ErrBadArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v (want %q)", tc.action, tc.raw, err, tc.want)
		}
	}
	if _, _, err := BuildAction("explode", nil, env); !errors.Is(err, ErrUnknownAction) || !strings.Contains(err.Error(), `"explode"`) {
		t.Errorf("unknown: %v", err)
	}
	for _, a := range Actions() {
		if a.build == nil || a.Help == "" {
			t.Errorf("%s: no build or help", a.Name)
		}
	}
	for _, name := range []string{ActFireCoupon, ActEnd, ActRewind, ActCancelInteraction} {
		if a, _ := LookupAction(name); a.Confirm == ConfirmNone {
			t.Errorf("%s needs no confirmation", name)
		}
	}
}

// FuzzActionArgs: any action name and any JSON arguments decode to typed
// values or a classified error, never a panic; accepted values decode
// again to themselves.
func FuzzActionArgs(f *testing.F) {
	for _, s := range [][2]string{
		{"jump", `{"segment":"3"}`}, {"extend", `{"seconds":1e308,"window":"on"}`}, {"recall_preset", `{"preset":3}`},
		{"fire_coupon", `{"id":"c1"}`}, {"pin", `{"id":12345678901234567890}`}, {"start", `{"x":null}`},
		{"pause_danmaku", `{"paused":"0"}`}, {"BLOCK", `{"id":"m1"}`}, {"", `{}`}, {"jump", `{"segment":"-0"}`},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	env := testEnv()
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		var raw map[string]any
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if dec.Decode(&raw) != nil {
			return
		}
		a, err := LookupAction(name)
		if err != nil {
			if !errors.Is(err, ErrUnknownAction) {
				t.Fatalf("lookup %q: %v", name, err)
			}
			return
		}
		v, err := a.Decode(raw)
		if err != nil {
			if !errors.Is(err, ErrBadArgument) {
				t.Fatalf("decode: unclassified %v", err)
			}
			return
		}
		again := map[string]any{}
		for k, x := range v {
			again[k] = x
		}
		v2, err := a.Decode(again)
		if err != nil || len(v2) != len(v) {
			t.Fatalf("values %v do not decode again: %v", v, err)
		}
		cmd, err := a.Build(v, env)
		if err != nil {
			if !errors.Is(err, ErrBadArgument) {
				t.Fatalf("build: unclassified %v", err)
			}
			return
		}
		if cmd == nil {
			t.Fatal("nil command")
		}
	})
}
