package obs_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"studiodesk/devices/obs"
)

func TestDecodeMessageValid(t *testing.T) {
	hello, err := obs.DecodeMessage([]byte(`{"op":0,"d":{"obsWebSocketVersion":"5.1.0","rpcVersion":1,"authentication":{"challenge":"c","salt":"s"}}}`))
	if err != nil || hello.Op != obs.OpHello || hello.Hello.RPCVersion != 1 || hello.Hello.OBSWebSocketVersion != "5.1.0" ||
		hello.Hello.Authentication == nil || *hello.Hello.Authentication != (obs.AuthChallenge{Challenge: "c", Salt: "s"}) {
		t.Errorf("Hello = %+v, %v", hello.Hello, err)
	}
	noAuth, err := obs.DecodeMessage([]byte(` {"d":{"rpcVersion":1},"op":0} `))
	if err != nil || noAuth.Hello.Authentication != nil {
		t.Errorf("Hello without auth = %+v, %v", noAuth.Hello, err)
	}
	resp, err := obs.DecodeMessage([]byte(`{"op":7,"d":{"requestType":"SetCurrentProgramScene","requestId":"9","requestStatus":{"result":false,"code":600,"comment":"No source"}}}`))
	if err != nil || resp.Response.RequestID != "9" || resp.Response.RequestStatus != (obs.RequestStatus{Code: 600, Comment: "No source"}) || resp.Response.ResponseData != nil {
		t.Errorf("RequestResponse = %+v, %v", resp.Response, err)
	}
	ev, err := obs.DecodeMessage([]byte(`{"op":5,"d":{"eventType":"CurrentProgramSceneChanged","eventIntent":4,"eventData":{"sceneName":"开场"}}}`))
	if err != nil || ev.Event.EventType != "CurrentProgramSceneChanged" || ev.Event.EventIntent != 4 || string(ev.Event.EventData) != `{"sceneName":"开场"}` {
		t.Errorf("Event = %+v, %v", ev.Event, err)
	}
	id, err := obs.DecodeMessage([]byte(`{"op":1,"d":{"rpcVersion":1,"eventSubscriptions":5}}`))
	if err != nil || id.Identify.EventSubscriptions == nil || *id.Identify.EventSubscriptions != 5 {
		t.Errorf("Identify = %+v, %v", id.Identify, err)
	}
	for _, raw := range []string{
		`{"op":2,"d":{"negotiatedRpcVersion":1}}`,
		`{"op":3,"d":{}}`,
		`{"op":6,"d":{"requestType":"GetVersion","requestId":"x","requestData":null}}`,
		`{"op":7,"d":{"requestType":"GetVersion","requestId":"x","requestStatus":{"result":true,"code":100},"responseData":{"a":1},"extra":[1]}}`,
	} {
		if _, err := obs.DecodeMessage([]byte(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestDecodeMessageRejectsGarbage(t *testing.T) {
	cases := []struct{ in, want string }{
		{``, "message: want a JSON object, got nothing"},
		{`[]`, "message: want a JSON object, got an array"},
		{`{"op":0`, "message: unexpected end of JSON input"},
		{`{"d":{}}`, "message: missing op"},
		{`{"op":"0","d":{}}`, "message.op: want an integer, got a string"},
		{`{"op":1.5,"d":{}}`, "message.op: want an integer, got a number"},
		{`{"OP":0,"d":{"rpcVersion":1}}`, "message: missing op"},
		{`{"op":4,"d":{}}`, "unknown op 4"},
		{`{"op":-1,"d":{}}`, "unknown op -1"},
		{`{"op":99999999999999999999,"d":{}}`, "message.op: want an integer"},
		{`{"op":8,"d":{}}`, "RequestBatch is not supported"},
		{`{"op":0}`, "Hello: missing d"},
		{`{"op":0,"d":null}`, "Hello: missing d"},
		{`{"op":0,"d":"hi"}`, "Hello d: want a JSON object, got a string"},
		{`{"op":0,"d":{}}`, "Hello d: missing rpcVersion"},
		{`{"op":0,"d":{"rpcVersion":true}}`, "Hello d.rpcVersion: want an integer, got a boolean"},
		{`{"op":0,"d":{"rpcVersion":1,"authentication":"x"}}`, "Hello d.authentication: want a JSON object, got a string"},
		{`{"op":0,"d":{"rpcVersion":1,"authentication":{"salt":"s"}}}`, "Hello d.authentication: missing challenge"},
		{`{"op":2,"d":{}}`, "Identified d: missing negotiatedRpcVersion"},
		{`{"op":3,"d":{"eventSubscriptions":"all"}}`, "Reidentify d.eventSubscriptions: want an integer, got a string"},
		{`{"op":5,"d":{"eventIntent":1}}`, "Event d: missing eventType"},
		{`{"op":5,"d":{"eventType":"X","eventData":[1]}}`, "Event d.eventData: want a JSON object, got an array"},
		{`{"op":6,"d":{"requestType":"X"}}`, "Request d: missing requestId"},
		{`{"op":6,"d":{"requestType":"X","requestId":7}}`, "Request d.requestId: want a string, got a number"},
		{`{"op":7,"d":{"requestType":"X","requestId":"1"}}`, "RequestResponse d: missing requestStatus"},
		{`{"op":7,"d":{"requestType":"X","requestId":"1","requestStatus":{"result":"yes","code":100}}}`, "RequestResponse d.requestStatus.result: want a boolean, got a string"},
		{`{"op":7,"d":{"requestType":"X","requestId":"1","requestStatus":{"result":true}}}`, "RequestResponse d.requestStatus: missing code"},
		{`{"op":7,"d":{"requestType":"X","requestId":"1","requestStatus":{"result":true,"code":100},"responseData":5}}`, "RequestResponse d.responseData: want a JSON object, got a number"},
	}
	for _, tc := range cases {
		_, err := obs.DecodeMessage([]byte(tc.in))
		if err == nil {
			t.Errorf("%s: accepted", tc.in)
			continue
		}
		if !errors.Is(err, obs.ErrBadMessage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant …%s", tc.in, err, tc.want)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	subs := 5
	frame, err := obs.Encode(obs.OpIdentify, obs.Identify{RPCVersion: 1, EventSubscriptions: &subs})
	if err != nil || string(frame) != `{"op":1,"d":{"rpcVersion":1,"eventSubscriptions":5}}` {
		t.Fatalf("Encode = %s, %v", frame, err)
	}
	m, err := obs.DecodeMessage(frame)
	if err != nil || m.Payload() != any(m.Identify) {
		t.Fatalf("DecodeMessage = %+v, %v", m, err)
	}
}

// FuzzDecodeMessage checks that no input panics and that anything accepted
// survives an encode/decode round trip unchanged.
func FuzzDecodeMessage(f *testing.F) {
	for _, seed := range []string{
		`{"op":0,"d":{"obsWebSocketVersion":"5.1.0","rpcVersion":1,"authentication":{"challenge":"c","salt":"s"}}}`,
		`{"op":1,"d":{"rpcVersion":1,"authentication":"x","eventSubscriptions":5}}`,
		`{"op":2,"d":{"negotiatedRpcVersion":1}}`,
		`{"op":3,"d":{"eventSubscriptions":4}}`,
		`{"op":5,"d":{"eventType":"CurrentProgramSceneChanged","eventIntent":4,"eventData":{"sceneName":"开场","sceneUuid":"u"}}}`,
		`{"op":6,"d":{"requestType":"SetCurrentProgramScene","requestId":"1","requestData":{"sceneName":"产品特写"}}}`,
		`{"op":7,"d":{"requestType":"GetSceneList","requestId":"2","requestStatus":{"result":true,"code":100},"responseData":{"scenes":[]}}}`,
		`{"op":7,"d":{"requestType":"X","requestId":"3","requestStatus":{"result":false,"code":600,"comment":"none"}}}`,
		`{"op":9,"d":{}}`, `{"op":0,"d":null}`, `null`, `{"op":1e3,"d":{}}`, "{\"op\":0,\"d\":{\"rpcVersion\":1,\"obsWebSocketVersion\":\"\xff\"}}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := obs.DecodeMessage(data)
		if err != nil {
			if !errors.Is(err, obs.ErrBadMessage) {
				t.Fatalf("error %v does not wrap ErrBadMessage", err)
			}
			return
		}
		p := m.Payload()
		if p == nil {
			t.Fatalf("accepted op %d without a payload", m.Op)
		}
		once, err := obs.Encode(m.Op, p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := obs.DecodeMessage(once)
		if err != nil {
			t.Fatalf("re-decode %s: %v", once, err)
		}
		twice, err := obs.Encode(m2.Op, m2.Payload())
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the message:\n%s\n%s (%v)", once, twice, err)
		}
	})
}
