package overlay

// Browser test: the overlay pages in headless Chromium, fed with XSS and
// CSS-injection payloads as viewer text.
//
// Detection: every payload tries to set window.__pwned = N (sometimes also
// the top document's title) or to load a URL on a loopback canary server
// that records every hit. A control page served without CSP puts the same
// payloads into the classic unsafe sinks (innerHTML, document.write, an
// attribute, a style value, a JS string, a template) and must trip the
// detector, which shows the detector is live. The real pages must then
// render every payload as plain text: no marker, no canary hit, no CSP
// violation, no foreign element, attribute or class, and textContent equal
// to the sent text after normText (invalid UTF-8 → U+FFFD, cut at 200
// runes for text and 24 runes for names, with "…" appended).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/studio/browsertest"
)

// canary records every request it gets.
type canary struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string
}

func newCanary(t *testing.T) *canary {
	c := &canary{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits = append(c.hits, r.RequestURI)
		c.mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(c.srv.Close)
	if !strings.HasPrefix(c.srv.URL, "http://127.0.0.1:") {
		t.Fatalf("canary not on loopback: %s", c.srv.URL)
	}
	return c
}

func (c *canary) hitFor(token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.hits {
		if strings.Contains(h, token) {
			return true
		}
	}
	return false
}

func (c *canary) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hits
	c.hits = nil
	return h
}

// payload is one hostile viewer text. In tmpl, {M} becomes JavaScript that
// sets the marker, {U} a canary URL and {B} a canary base URL, all tagged
// with the payload number. sinks are the unsafe control sinks where it is
// meant to fire; live says whether it must fire there in Chromium.
type payload struct {
	name  string
	tmpl  string
	sinks []string
	live  bool
}

var payloads = []payload{
	{"script tag", `<script>{M}</script>`, []string{"doc"}, true},
	{"script tag upper case", `<SCRIPT>{M}</SCRIPT>`, []string{"doc"}, true},
	{"img onerror", `<img src=x onerror="{M}">`, []string{"html"}, true},
	{"img onerror, entity-encoded", `<img src=x onerror=&#x74;op.__pwned={N}>`, []string{"html"}, true},
	{"img onerror sets title", `<img src=x onerror="top.document.title='PWNED';{M}">`, []string{"html"}, true},
	{"svg onload", `<svg onload="{M}">`, []string{"html", "doc"}, true},
	{"svg script", `<svg><script>{M}</script></svg>`, []string{"doc"}, true},
	{"svg animate onbegin", `<svg><animate onbegin="{M}" attributeName=x dur=1s>`, []string{"html", "doc"}, true},
	{"javascript: URL", `javascript:{M}`, []string{"url"}, true},
	{"a href javascript:", `<a href="javascript:{M}">点我领券</a>`, []string{"html"}, true},
	{"iframe srcdoc", `<iframe srcdoc="&lt;script&gt;{M}&lt;/script&gt;"></iframe>`, []string{"html"}, true},
	{"body onload", `<body onload="{M}">`, []string{"doc"}, true},
	{"details ontoggle", `<details open ontoggle="{M}">`, []string{"html"}, true},
	{"style @import", `<style>@import url("{U}");</style>`, []string{"html"}, true},
	{"link stylesheet", `<link rel=stylesheet href="{U}">`, []string{"html"}, true},
	{"inline style url", `<div style="background:url({U})">x</div>`, []string{"html"}, true},
	{"CSS value injection", `red;background:url({U})`, []string{"style"}, true},
	{"CSS colour-like injection", `#fff;background-image:url("{U}")`, []string{"style"}, true},
	{"CSS breaks out of <style>", `</style><script>{M}</script>`, []string{"stylesheet"}, true},
	{"CSS expression()", `red;width:expression({M})`, []string{"style"}, false}, // IE only
	{"attribute breakout", `"><script>{M}</script>`, []string{"attr"}, true},
	{"JS string breakout", `'-({M})-'`, []string{"jsstr"}, true},
	{"template literal", `${{M}}`, []string{"tmpl"}, true},
	{"mustache template", `{{constructor.constructor('{M}')()}}`, []string{"mustache"}, true},
	{"math mi xlink:href", `<math><mi xlink:href="javascript:{M}">点</mi></math>`, []string{"html"}, false}, // no MathML links in Chromium
	{"object data", `<object data="{U}"></object>`, []string{"html"}, true},
	{"embed src", `<embed src="{U}">`, []string{"html"}, true},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url={U}">`, []string{"doc"}, true},
	{"base href", `<base href="{B}"><img src="x.png">`, []string{"html"}, true},
	{"input autofocus onfocus", `<input autofocus onfocus="{M}">`, []string{"doc"}, true},
	{"video source onerror", `<video><source onerror="{M}"></video>`, []string{"html"}, true},
	{"form action javascript:", `<form action="javascript:{M}"><button>领取</button></form>`, []string{"html"}, true},
	{"noscript mXSS", `<noscript><p title="</noscript><img src=x onerror={M}>">`, []string{"html"}, true},
	{"closes the page markup", `</span></div></div><script>{M}</script><div>`, []string{"doc"}, true},
	{"audio onerror", `<audio src=x onerror="{M}">`, []string{"html"}, true},
	{"custom element onclick", `<x-coupon onclick="{M}">抢</x-coupon>`, []string{"html"}, true},
	{"marquee onstart", `<marquee onstart="{M}">抢</marquee>`, []string{"doc"}, false}, // marquee events are gone from Chromium
	{"plain tracking image", `<img src="{U}">`, []string{"html"}, true},
	// Robustness: nothing to execute, but the text must survive as text.
	{"broken UTF-8", "\xff\xfe<\xc3(script>\xed\xa0\x80{M}</script>\xe4\xbd", nil, false},
	{"100 KB line", "<b>" + strings.Repeat("刷屏<i>x</i>", 100_000/16) + "</b>", nil, false},
	{"RTL override", "\u202E<script>{M}</script>\u202Dgpj.exe\u2066隔离\u2069", nil, false},
	{"null bytes", "<scr\x00ipt>{M}</scr\x00ipt>\x00<img\x00src=x\x00onerror={M}>", nil, false},
	{"HTML comment and CDATA", `<!--<img src=x onerror={M}>--><![CDATA[<script>{M}</script>]]>`, nil, false},
	{"entities stay literal", `&lt;script&gt;{M}&lt;/script&gt; &amp; &#60;b&#62;`, nil, false},
	{"emoji and zero-width", "下单了😀\u200d👩\u200d👩\u200d👧\u200b\ufeff<b>加粗</b>", nil, false},
	{"plaintext tag", `<plaintext><img src=x onerror={M}>`, nil, false}, // would swallow the rest of a page parsed as HTML
}

// expand fills a payload's placeholders for payload number n.
func (p payload) expand(n int, can *canary) string {
	tok := fmt.Sprintf("pwn%dx", n)
	r := strings.NewReplacer(
		"{M}", fmt.Sprintf("top.__pwned=%d", n),
		"{N}", fmt.Sprint(n),
		"{U}", can.srv.URL+"/hit?k="+tok,
		"{B}", can.srv.URL+"/"+tok+"/",
	)
	return r.Replace(p.tmpl)
}

// controlPage puts a payload into one unsafe sink. It is served without
// any CSP, by the test only.
const controlPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>control</title></head>
<body><div id="out"></div>
<script>
function frameDoc(html) {
  var f = document.createElement('iframe');
  document.getElementById('out').appendChild(f);
  f.contentDocument.open();
  f.contentDocument.write(html);
  f.contentDocument.close();
}
window.sink = function (kind, p) {
  var out = document.getElementById('out');
  try {
    switch (kind) {
    case 'html':
      var d = document.createElement('div');
      out.appendChild(d);
      d.innerHTML = p;
      d.querySelectorAll('*').forEach(function (e) { if (e.click) { e.click(); } });
      break;
    case 'doc':
      frameDoc(p);
      break;
    case 'attr':
      frameDoc('<div title="' + p + '">x</div>');
      break;
    case 'stylesheet':
      frameDoc('<style>.x{color:' + p + '}</style><div class="x">x</div>');
      break;
    case 'style':
      var s = document.createElement('div');
      s.textContent = 'x';
      out.appendChild(s);
      s.style.cssText = 'color:' + p;
      break;
    case 'jsstr':
      Function("return '" + p + "'")();
      break;
    case 'tmpl':
      Function('return ` + "`" + `' + p + '` + "`" + `')();
      break;
    case 'mustache':
      p.replace(/\{\{([\s\S]*?)\}\}/g, function (_, e) { return String(Function('return ' + e)()); });
      break;
    case 'url':
      var f = document.createElement('iframe');
      f.src = p;
      out.appendChild(f);
      break;
    }
  } catch (e) {}
  return true;
};
</script></body></html>`

// pageInit runs before the overlay's own scripts in every document.
const pageInit = `window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });`

// inspect is evaluated on an overlay page after rendering.
const inspect = `(function () {
  var tags = {}, attrs = {}, classes = {}, styles = [];
  Array.prototype.forEach.call(document.getElementsByTagName('*'), function (e) {
    tags[e.tagName] = true;
    Array.prototype.forEach.call(e.attributes, function (a) {
      attrs[a.name] = true;
      if (a.name === 'style') { styles.push(a.value); }
    });
    e.classList.forEach(function (c) { classes[c] = true; });
  });
  return {
    tags: Object.keys(tags), attrs: Object.keys(attrs), classes: Object.keys(classes), styles: styles,
    srcs: Array.prototype.map.call(document.querySelectorAll('[src],[href],[srcdoc],[data],[action]'),
      function (e) { return e.tagName + ' ' + (e.getAttribute('src') || e.getAttribute('href') || '?'); }),
    pwned: typeof window.__pwned === 'undefined' ? '' : String(window.__pwned),
    title: document.title,
    csp: window.__csp || ['init script missing'],
    errors: window.__errors || ['init script missing'],
    href: location.href
  };
})()`

type inspection struct {
	Tags, Attrs, Classes, Styles, Srcs []string
	Pwned, Title, Href                 string
	CSP, Errors                        []string
}

var (
	allowedTags    = []string{"HTML", "HEAD", "META", "TITLE", "LINK", "BODY", "SCRIPT", "DIV", "SPAN"}
	allowedAttrs   = []string{"lang", "charset", "rel", "href", "src", "id", "class", "style"}
	allowedClasses = strings.Fields(`root p-danmaku p-wall p-coupon p-vote coupon vote line tag name sep text merged
		c-question c-buy c-praise c-complaint c-vote c-other card badge discount row clock stock
		bar fill note ended head question opt lead labels label pct count total result
		result-title result-text closed`)
	styleAttr = regexp.MustCompile(`^(?:(?:--(?:wn|hn|fs|bx|by|bw|bh|text|bg)|width): (?:[0-9.]+(?:px|%)?|#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?);\s*)+$`)
)

// checkClean asserts that nothing but the overlay's own markup is on page p.
func checkClean(t *testing.T, p *browsertest.Page, title, path string) {
	t.Helper()
	var in inspection
	p.MustEval(inspect, &in)
	for _, tag := range in.Tags {
		if !slices.Contains(allowedTags, tag) {
			t.Errorf("%s: foreign element <%s> in the DOM", path, strings.ToLower(tag))
		}
	}
	for _, a := range in.Attrs {
		if !slices.Contains(allowedAttrs, a) {
			t.Errorf("%s: foreign attribute %q in the DOM", path, a)
		}
	}
	for _, c := range in.Classes {
		if !slices.Contains(allowedClasses, c) {
			t.Errorf("%s: class %q not from the fixed table", path, c)
		}
	}
	for _, s := range in.Styles {
		if !styleAttr.MatchString(s) {
			t.Errorf("%s: unexpected style attribute %q", path, s)
		}
	}
	page := strings.TrimPrefix(path, "/")
	wantSrcs := []string{"LINK overlay.css", "SCRIPT common.js", "SCRIPT " + page + ".js"}
	if !slices.Equal(in.Srcs, wantSrcs) {
		t.Errorf("%s: elements with URLs %q, want %q", path, in.Srcs, wantSrcs)
	}
	if in.Pwned != "" {
		t.Errorf("%s: marker window.__pwned = %s: a payload ran", path, in.Pwned)
	}
	if in.Title != title {
		t.Errorf("%s: title %q, want %q", path, in.Title, title)
	}
	if len(in.CSP) > 0 {
		t.Errorf("%s: CSP violations (something tried to load or run): %q", path, in.CSP)
	}
	if len(in.Errors) > 0 {
		t.Errorf("%s: script errors: %q", path, in.Errors)
	}
	if !strings.HasSuffix(in.Href, path) {
		t.Errorf("%s: page navigated to %s", path, in.Href)
	}
	if ex := p.Browser().Exceptions(); len(ex) > 0 {
		t.Errorf("%s: uncaught exceptions: %q", path, ex)
	}
}

// launchBrowser starts the headless Chromium the overlay tests drive, or
// fails the test when it is missing; with STUDIODESK_NO_BROWSER=1 it
// skips instead (installed or not). Scrollbars hidden and no font hinting:
// the screenshots show what OBS's browser source composites.
func launchBrowser(t *testing.T) *browsertest.Browser {
	t.Helper()
	if browsertest.Off() {
		t.Skip("STUDIODESK_NO_BROWSER=1: browser tests skipped")
	}
	return browsertest.Launch(t, browsertest.Options{
		Args: []string{"--disable-quic", "--hide-scrollbars", "--font-render-hinting=none"},
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s) // a Go string always encodes
	return string(b)
}

func TestBrowserOverlays(t *testing.T) {
	b := launchBrowser(t)
	can := newCanary(t)
	texts := make([]string, len(payloads))
	for i, p := range payloads {
		texts[i] = p.expand(i+1, can)
	}
	t.Logf("%d payloads", len(payloads))

	t.Run("control", func(t *testing.T) {
		ctrl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(controlPage))
		}))
		defer ctrl.Close()
		p := b.NewPage(t, 800, 600, "")
		fired := 0
		var missed []string
		for i, pl := range payloads {
			n := i + 1
			tok := fmt.Sprintf("pwn%dx", n)
			hit := false
			for _, sink := range pl.sinks {
				p.Navigate(ctrl.URL + "/")
				p.MustEval("sink("+jsString(sink)+", "+jsString(texts[i])+")", nil)
				deadline := time.Now().Add(time.Second)
				for !hit && time.Now().Before(deadline) {
					var marker struct {
						Pwned int    `json:"pwned"`
						Title string `json:"title"`
					}
					if err := p.Eval(`({pwned: window.__pwned || 0, title: document.title})`, &marker); err == nil &&
						(marker.Pwned == n || marker.Title == "PWNED") {
						hit = true
					}
					if can.hitFor(tok) {
						hit = true
					}
					if !hit {
						time.Sleep(20 * time.Millisecond)
					}
				}
				if hit {
					break
				}
			}
			switch {
			case hit:
				fired++
			case pl.live:
				missed = append(missed, pl.name)
			}
			if hit && !pl.live {
				t.Logf("control: %q fired although not expected to", pl.name)
			}
		}
		b.Exceptions()
		hits := can.take()
		t.Logf("control: %d of %d payloads tripped the detector in unsafe sinks without CSP (%d canary hits)", fired, len(payloads), len(hits))
		if len(missed) > 0 {
			t.Errorf("detector did not see these payloads in the unsafe control sinks: %q", missed)
		}
	})
	if t.Failed() {
		return
	}

	s := startServer(t, Config{Style: Style{MaxLines: 200, FontSize: 16}})
	// Every payload must be on screen at once to be checked: a huge design
	// canvas (scaled down to the 1280×720 page) and every page's box
	// filling it (set directly: overlapping boxes are refused by Validate).
	bigCanvas := func() Style {
		full := Box{W: 7680, H: 4320}
		return Style{Width: 7680, Height: 4320, MaxLines: 200, FontSize: 16,
			Layout: Layout{Danmaku: full, Wall: full, Coupon: full, Vote: full}}.withDefaults()
	}
	s.mu.Lock()
	s.style = bigCanvas()
	s.mu.Unlock()
	can.take()
	newOverlay := func(t *testing.T, path string) *browsertest.Page {
		p := b.NewPage(t, 1280, 720, pageInit)
		p.Navigate(s.URL(path))
		p.WaitFor("document.querySelector('#root') !== null && document.readyState === 'complete'", 5*time.Second)
		return p
	}
	// settle gives any payload that would fire a moment to do so.
	settle := func() { time.Sleep(300 * time.Millisecond) }
	classNames := []string{"question", "buy", "praise", "complaint", "vote", "other"}

	t.Run("danmaku", func(t *testing.T) {
		p := newOverlay(t, "/danmaku")
		// Wait until the page has its socket (it receives the config first).
		for s.Stats().Clients == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		var lines []Line
		for i, txt := range texts {
			cls := classNames[i%len(classNames)]
			if i%7 == 3 {
				cls = txt // a hostile class is sent as "other"
			}
			lines = append(lines, Line{ID: fmt.Sprint(i), Name: txt, Text: txt, Class: cls, Merged: i % 3})
		}
		s.PushDanmaku(lines[:10])
		s.PushDanmaku(lines[10:])
		// Classes the Go side never sends, to exercise the page's lookup table.
		bogus := []string{"__proto__", "constructor", "hasOwnProperty", "question c-buy", "c-buy", "toString"}
		var wl []wireLine
		for _, c := range bogus {
			wl = append(wl, wireLine{ID: c, Name: "x", Text: "class " + c, Class: c, Merged: 1})
		}
		s.pushLines(wl)
		total := len(lines) + len(wl)
		p.WaitFor(fmt.Sprintf("document.querySelectorAll('#root > .line').length === %d", total), 10*time.Second)
		settle()

		var got []struct {
			Name, Text, Class, Merged string
		}
		p.MustEval(`Array.prototype.map.call(document.querySelectorAll('#root > .line'), function (r) {
			var m = r.querySelector('.merged');
			return {name: r.querySelector('.name').textContent, text: r.querySelector('.text').textContent,
				class: r.className, merged: m ? m.textContent : ''};
		})`, &got)
		if len(got) != total {
			t.Fatalf("%d lines rendered, want %d", len(got), total)
		}
		for i, l := range lines {
			g := got[i]
			if want := normText(l.Text, maxTextRunes); g.Text != want {
				t.Errorf("payload %d %q: text\n got %.80q\nwant %.80q", i+1, payloads[i].name, g.Text, want)
			}
			if want := normText(cleanName(l.Name), maxNameRunes); g.Name != want {
				t.Errorf("payload %d %q: name\n got %q\nwant %q", i+1, payloads[i].name, g.Name, want)
			}
			// Names are cleaned like text: no bidi override (U+202E shows
			// the name reversed), isolate, zero-width or control character
			// reaches the page.
			if strings.ContainsAny(g.Name, "\u202E\u202D\u2066\u2069\u200B\u200D\uFEFF\x00") {
				t.Errorf("payload %d %q: name on the page keeps invisible characters: %+q", i+1, payloads[i].name, g.Name)
			}
			wantCls := "other"
			if classes[l.Class] {
				wantCls = l.Class
			}
			if g.Class != "line c-"+wantCls {
				t.Errorf("payload %d: class %q, want %q", i+1, g.Class, "line c-"+wantCls)
			}
			if wantM := ""; l.Merged > 1 {
				wantM = fmt.Sprintf("×%d", l.Merged)
				if g.Merged != wantM {
					t.Errorf("payload %d: merged %q, want %q", i+1, g.Merged, wantM)
				}
			}
		}
		for i, c := range bogus {
			if g := got[len(lines)+i]; g.Class != "line c-other" || g.Text != "class "+c {
				t.Errorf("bogus class %q rendered as %q %q, want line c-other", c, g.Class, g.Text)
			}
		}
		checkClean(t, p, "StudioDesk 弹幕", "/danmaku")

		// A style that slipped past Go validation is still refused by the
		// page: only the valid FontSize in the same message is applied.
		s.mu.Lock()
		// Both values are valid CSS for a custom property, so only the
		// page's regex keeps them out (--bg feeds a background).
		s.style.TextColor = "red"
		s.style.Background = "url(" + can.srv.URL + "/hit?k=style)"
		s.style.FontSize = 33
		s.style.MaxLines = 100000
		for c := range s.conns {
			c.markConfig()
		}
		s.mu.Unlock()
		p.WaitFor(`getComputedStyle(document.documentElement).getPropertyValue('--fs').trim() === '33'`, 5*time.Second)
		settle()
		var css struct{ Text, Bg string }
		p.MustEval(`({text: getComputedStyle(document.documentElement).getPropertyValue('--text').trim(),
			bg: getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()})`, &css)
		if css.Text != "#FFFFFF" || css.Bg != "#00000099" {
			t.Errorf("invalid style applied by the page: --text %q --bg %q", css.Text, css.Bg)
		}
		checkClean(t, p, "StudioDesk 弹幕", "/danmaku")
		s.mu.Lock()
		s.style = bigCanvas()
		s.mu.Unlock()
	})

	t.Run("wall", func(t *testing.T) {
		p := newOverlay(t, "/wall")
		var lines []Line
		for i, txt := range texts {
			lines = append(lines, Line{ID: fmt.Sprint(i), Name: txt, Text: txt, Class: "praise"})
		}
		s.SetWall(lines)
		p.WaitFor(fmt.Sprintf("document.querySelectorAll('#root > .card').length === %d", len(lines)), 10*time.Second)
		settle()
		var got []struct{ Name, Text string }
		p.MustEval(`Array.prototype.map.call(document.querySelectorAll('#root > .card'), function (c) {
			return {name: c.querySelector('.name').textContent, text: c.querySelector('.text').textContent};
		})`, &got)
		for i, l := range lines {
			if want := normText(l.Text, maxTextRunes); got[i].Text != want {
				t.Errorf("payload %d %q: wall text\n got %.80q\nwant %.80q", i+1, payloads[i].name, got[i].Text, want)
			}
			if want := normText(cleanName(l.Name), maxNameRunes); got[i].Name != want {
				t.Errorf("payload %d %q: wall name %q, want %q", i+1, payloads[i].name, got[i].Name, want)
			}
		}
		checkClean(t, p, "StudioDesk 评价墙", "/wall")
		s.SetWall(nil)
		p.WaitFor(`document.getElementById('root').childElementCount === 0`, 5*time.Second)
	})

	t.Run("coupon", func(t *testing.T) {
		p := newOverlay(t, "/coupon")
		for i := 0; i < len(texts); i += 3 {
			name, disc, note := texts[i], texts[(i+1)%len(texts)], texts[(i+2)%len(texts)]
			s.SetCoupon(&CouponCard{Name: name, Discount: disc, Note: note, Stock: 100, Left: 37, EndsAt: time.Now().Add(3 * time.Minute)})
			want := []string{normText(name, maxTextRunes), normText(disc, maxTextRunes), normText(note, maxTextRunes)}
			p.WaitFor(`(function () { var e = document.querySelector('.coupon .name'); return e !== null && e.textContent === `+jsString(want[0])+`; })()`, 5*time.Second)
			var got struct{ Name, Discount, Note, Stock, Clock string }
			p.MustEval(`(function () { function t(s) { return document.querySelector(s).textContent; }
				return {name: t('.coupon .name'), discount: t('.coupon .discount'), note: t('.coupon .note'),
					stock: t('.coupon .stock'), clock: t('.coupon .clock')}; })()`, &got)
			if got.Discount != want[1] || got.Note != want[2] {
				t.Errorf("payloads %d..%d: coupon discount %.60q note %.60q, want %.60q %.60q", i+1, i+3, got.Discount, got.Note, want[1], want[2])
			}
			if got.Stock != "剩余 37 / 100" || !regexp.MustCompile(`^[23]:[0-5][0-9]$`).MatchString(got.Clock) {
				t.Errorf("coupon stock %q clock %q", got.Stock, got.Clock)
			}
		}
		settle()
		checkClean(t, p, "StudioDesk 优惠券", "/coupon")
		s.SetCoupon(nil)
		p.WaitFor(`document.getElementById('root').childElementCount === 0`, 5*time.Second)
	})

	t.Run("vote", func(t *testing.T) {
		p := newOverlay(t, "/vote")
		for i := 0; i < len(texts); i += 5 {
			q := texts[i]
			opts := []VoteOption{}
			for k := 1; k <= 4; k++ {
				opts = append(opts, VoteOption{Label: texts[(i+k)%len(texts)], Count: k * 5})
			}
			closed := i+5 >= len(texts)
			s.SetVote(&VoteCard{Question: q, Options: opts, EndsAt: time.Now().Add(time.Minute), Closed: closed})
			p.WaitFor(`(function () { var e = document.querySelector('.vote .question'); return e !== null && e.textContent === `+jsString(normText(q, maxTextRunes))+`; })()`, 5*time.Second)
			var got struct {
				Labels, Pcts []string
				Result       string
			}
			p.MustEval(`(function () { function all(s) { return Array.prototype.map.call(document.querySelectorAll(s), function (e) { return e.textContent; }); }
				var r = document.querySelector('.result-text');
				return {labels: all('.opt .label'), pcts: all('.opt .pct'), result: r ? r.textContent : ''}; })()`, &got)
			for k, o := range opts {
				if k >= len(got.Labels) || got.Labels[k] != normText(o.Label, maxTextRunes) {
					t.Errorf("vote option %d of round %d: labels %.200q", k, i, got.Labels)
					break
				}
			}
			if !slices.Equal(got.Pcts, []string{"10%", "20%", "30%", "40%"}) {
				t.Errorf("vote percentages %q, want 10/20/30/40%%", got.Pcts)
			}
			if closed {
				if want := normText(opts[3].Label, maxTextRunes) + " 40%"; got.Result != want {
					t.Errorf("vote result %.80q, want %.80q", got.Result, want)
				}
			} else if got.Result != "" {
				t.Errorf("open vote shows a result: %q", got.Result)
			}
		}
		settle()
		checkClean(t, p, "StudioDesk 投票", "/vote")
	})

	// Anything that reached the canary while the real pages were open.
	time.Sleep(200 * time.Millisecond)
	if hits := can.take(); len(hits) > 0 {
		t.Errorf("canary got %d hits from the overlay pages: %q", len(hits), hits)
	}
}

// TestBrowserScreenshots renders every overlay with typical content at the
// browser source sizes OBS users pick (800×600 is OBS's default, 1280×720,
// 1920×1080), on the default 1920×1080 design and layout, and checks what
// a person would look for: each page's box inside the source, every line
// and card whole (nothing cut off) and no two pages' boxes overlapping
// when the four sources are stacked in one scene. PNGs (transparent, as
// OBS composites them) go to a temp dir and /tmp/overlay-shots/.
//
// It also makes the images docs/overlays.md shows (see docShots): the four
// pages stacked over a stand-in video backdrop at each size
// (overlays-all-WxH.png) and each page, and the vote's result card, at
// 1920×1080 cut to its box (overlay-PAGE.png). They go to
// /tmp/overlay-shots/ too, or, with STUDIODESK_OVERLAY_SHOTS=DIR, to DIR
// instead: STUDIODESK_OVERLAY_SHOTS=$PWD/docs/screenshots refreshes the
// docs' images (the default run never writes into the repository).
func TestBrowserScreenshots(t *testing.T) {
	b := launchBrowser(t)
	s := startServer(t, Config{})
	dir := t.TempDir()
	shared := "/tmp/overlay-shots"
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatalf("screenshots: %v", err)
	}
	docDir := shared
	if d := os.Getenv("STUDIODESK_OVERLAY_SHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("STUDIODESK_OVERLAY_SHOTS: %v", err)
		}
		docDir = d
	}
	shot := func(p *browsertest.Page, name string) []byte {
		t.Helper()
		p.MustEval(`document.fonts.ready.then(function () { return true; })`, nil)
		time.Sleep(400 * time.Millisecond) // entry animations
		raw, err := p.Screenshot()
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		for _, d := range []string{dir, shared} {
			if err := os.WriteFile(filepath.Join(d, name), raw, 0o644); err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
		}
		return raw
	}
	// docShot writes a docs image: the shots laid over the backdrop, cut
	// to clip (a zero rectangle: the whole source).
	docShot := func(name string, clip image.Rectangle, shots ...[]byte) {
		t.Helper()
		img, err := overBackdrop(shots...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !clip.Empty() {
			img = img.SubImage(clip.Intersect(img.Bounds())).(*image.RGBA)
		}
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(docDir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// boxClip is a page's content with a margin of backdrop around it.
	boxClip := func(r rect) image.Rectangle {
		const m = 16
		return image.Rect(int(r.L)-m, int(r.T)-m, int(r.R+0.999)+m, int(r.B+0.999)+m)
	}
	s.PushDanmaku([]Line{
		// Oldest first; the box has room for the newest eight, which show
		// every tag (问 购 赞 票 诉) in the docs' screenshot.
		{ID: "1", Name: "小鹿", Text: "这款面霜干皮能用吗？", Class: "question"},
		{ID: "2", Name: "\u202E小熊", Text: "{{constructor.constructor('alert(1)')()}}", Class: "other"},
		{ID: "3", Name: "Momo", Text: "已下单，坐等发货", Class: "buy"},
		{ID: "4", Name: "阿青", Text: "主播皮肤好好，回购第三次了", Class: "praise", Merged: 3},
		{ID: "5", Name: "橙子", Text: "<script>alert('弹幕')</script>", Class: "other"},
		{ID: "6", Name: "路人甲", Text: "1", Class: "vote", Merged: 128},
		{ID: "7", Name: "晚风", Text: "上次买的还没到，能催一下吗", Class: "complaint"},
		{ID: "8", Name: "<img src=x onerror=alert(1)>", Text: "red;background:url(//x)", Class: "other"},
		{ID: "9", Name: "Lily", Text: "多少钱？有赠品吗？", Class: "question"},
		{ID: "10", Name: "大白", Text: "尺码怎么选，160斤穿什么码", Class: "question"},
	})
	s.SetWall([]Line{
		{ID: "w1", Name: "小鹿", Text: "用了一个月，保湿真的在线，冬天不起皮", Class: "praise"},
		{ID: "w2", Name: "Momo", Text: "质地很轻薄，吸收快，不油腻", Class: "praise"},
		{ID: "w3", Name: "阿青", Text: "回购第三次了，敏感肌也没问题", Class: "praise"},
		{ID: "w4", Name: "橙子", Text: "<b>包装</b>很精致，送人很有面子", Class: "praise"},
	})
	s.SetCoupon(&CouponCard{Name: "玻尿酸保湿面霜 50ml", Discount: "满199减60", Stock: 500, Left: 137,
		EndsAt: time.Now().Add(2*time.Minute + 41*time.Second), Note: "每人限领1张，3分钟内有效"})
	s.SetVote(&VoteCard{Question: "下一个想看哪款？扣数字投票", Options: []VoteOption{
		{Label: "1 玻尿酸面霜", Count: 342}, {Label: "2 烟酰胺精华", Count: 518}, {Label: "3 防晒喷雾", Count: 140},
	}, EndsAt: time.Now().Add(75 * time.Second)})

	type layoutCheck struct {
		Root     rect
		Content  rect // the items' bounding box
		VW, VH   float64
		Items    int
		Cut      []string // items not wholly inside the box
		Clipped  []string // items whose own content overflows
		NewestIn bool
	}
	// check measures the page's box and its items (direct children).
	const check = `(function () {
		var root = document.getElementById('root');
		var r = root.getBoundingClientRect();
		var out = {root: {l: r.left, t: r.top, r: r.right, b: r.bottom}, vw: innerWidth, vh: innerHeight,
			items: root.childElementCount, cut: [], clipped: [], newestIn: false, content: null};
		Array.prototype.forEach.call(root.children, function (e) {
			var b = e.getBoundingClientRect(), u = out.content;
			out.content = u ? {l: Math.min(u.l, b.left), t: Math.min(u.t, b.top), r: Math.max(u.r, b.right), b: Math.max(u.b, b.bottom)} :
				{l: b.left, t: b.top, r: b.right, b: b.bottom};
			var name = e.className + ': ' + e.textContent.slice(0, 24);
			if (e.offsetTop < 0 || e.offsetLeft < 0 || e.offsetTop + e.offsetHeight > root.clientHeight + 1 ||
				e.offsetLeft + e.offsetWidth > root.clientWidth + 1) {
				out.cut.push(name);
			}
			[e].concat(Array.prototype.slice.call(e.querySelectorAll('*'))).forEach(function (x) {
				if (x.scrollHeight > x.clientHeight + 1 && x.clientHeight > 0 || x.scrollWidth > x.clientWidth + 1 && x.clientWidth > 0) {
					out.clipped.push(x.className + ' ' + x.scrollHeight + '/' + x.clientHeight + ' ' + x.scrollWidth + '/' + x.clientWidth + ': ' + x.textContent.slice(0, 24));
				}
			});
		});
		var last = root.lastElementChild;
		out.newestIn = !!last && last.textContent.indexOf(%q) >= 0;
		return out;
	})()`
	pages := []struct {
		path, ready, newest string
		min                 int
	}{
		{"/danmaku", "document.querySelectorAll('#root > .line').length >= 6", "大白", 6},
		{"/wall", "document.querySelectorAll('#root > .card').length === 4", "橙子", 4},
		{"/coupon", "document.querySelector('.coupon .clock') !== null", "满199减60", 1},
		{"/vote", "document.querySelectorAll('.vote .opt').length === 3", "防晒喷雾", 1},
	}
	sizes := [][2]int{{800, 600}, {1280, 720}, {1920, 1080}}
	for _, size := range sizes {
		w, h := size[0], size[1]
		var boxes []rect
		var shots [][]byte
		for _, pg := range pages {
			p := b.NewPage(t, w, h, pageInit)
			// OBS composites the transparent page over the video.
			p.Must("Emulation.setDefaultBackgroundColorOverride", map[string]any{"color": map[string]any{"r": 0, "g": 0, "b": 0, "a": 0}}, nil)
			p.Navigate(s.URL(pg.path))
			p.WaitFor(pg.ready, 5*time.Second)
			p.MustEval(`document.fonts.ready.then(function () { return true; })`, nil)
			time.Sleep(400 * time.Millisecond) // entry animations, then trimming
			var c layoutCheck
			p.MustEval(fmt.Sprintf(check, pg.newest), &c)
			where := fmt.Sprintf("%s at %d×%d", pg.path, w, h)
			if c.Root.L < 0 || c.Root.T < 0 || c.Root.R > c.VW+0.5 || c.Root.B > c.VH+0.5 {
				t.Errorf("%s: box %+v outside the %v×%v source", where, c.Root, c.VW, c.VH)
			}
			if len(c.Cut) > 0 {
				t.Errorf("%s: cut off by the box: %q", where, c.Cut)
			}
			if len(c.Clipped) > 0 {
				t.Errorf("%s: content clipped: %q", where, c.Clipped)
			}
			if c.Items < pg.min || !c.NewestIn {
				t.Errorf("%s: %d items shown (want at least %d), newest shown %v", where, c.Items, pg.min, c.NewestIn)
			}
			for i, o := range boxes {
				if c.Root.L < o.R && o.L < c.Root.R && c.Root.T < o.B && o.T < c.Root.B {
					t.Errorf("%s: box %+v overlaps %s's %+v", where, c.Root, pages[i].path, o)
				}
			}
			boxes = append(boxes, c.Root)
			raw := shot(p, fmt.Sprintf("%s-%dx%d.png", strings.TrimPrefix(pg.path, "/"), w, h))
			shots = append(shots, raw)
			if w == 1920 {
				docShot("overlay-"+strings.TrimPrefix(pg.path, "/")+".png", boxClip(c.Content), raw)
			}
			var in inspection
			p.MustEval(inspect, &in)
			if len(in.CSP) > 0 || len(in.Errors) > 0 || in.Pwned != "" {
				t.Errorf("%s: csp %q errors %q pwned %q", where, in.CSP, in.Errors, in.Pwned)
			}
			t.Logf("%s: box %.0f,%.0f–%.0f,%.0f, %d items whole", where, c.Root.L, c.Root.T, c.Root.R, c.Root.B, c.Items)
		}
		docShot(fmt.Sprintf("overlays-all-%dx%d.png", w, h), image.Rectangle{}, shots...)
	}
	s.SetVote(&VoteCard{Question: "下一个想看哪款？扣数字投票", Options: []VoteOption{
		{Label: "1 玻尿酸面霜", Count: 402}, {Label: "2 烟酰胺精华", Count: 611}, {Label: "3 防晒喷雾", Count: 187},
	}, Closed: true})
	for _, size := range sizes {
		w, h := size[0], size[1]
		vt := b.NewPage(t, w, h, pageInit)
		vt.Must("Emulation.setDefaultBackgroundColorOverride", map[string]any{"color": map[string]any{"r": 0, "g": 0, "b": 0, "a": 0}}, nil)
		vt.Navigate(s.URL("/vote"))
		vt.WaitFor("document.querySelector('.vote .result') !== null", 5*time.Second)
		vt.MustEval(`document.fonts.ready.then(function () { return true; })`, nil)
		time.Sleep(400 * time.Millisecond) // entry animations
		var c layoutCheck
		vt.MustEval(fmt.Sprintf(check, "烟酰胺精华"), &c)
		if c.Root.L < 0 || c.Root.T < 0 || c.Root.R > c.VW+0.5 || c.Root.B > c.VH+0.5 {
			t.Errorf("vote result at %d×%d: box %+v outside the source", w, h, c.Root)
		}
		if len(c.Cut) > 0 || len(c.Clipped) > 0 || !c.NewestIn {
			t.Errorf("vote result at %d×%d: cut %q clipped %q, result shown %v", w, h, c.Cut, c.Clipped, c.NewestIn)
		}
		raw := shot(vt, fmt.Sprintf("vote-result-%dx%d.png", w, h))
		if w == 1920 {
			docShot("overlay-vote-result.png", boxClip(c.Content), raw)
		}
	}
	dm := b.NewPage(t, 1280, 720, pageInit)
	dm.Navigate(s.URL("/danmaku"))
	dm.WaitFor("document.querySelectorAll('#root > .line').length >= 6", 5*time.Second)

	// The bundled CJK font loads from the same origin under the CSP
	// (machines with a system CJK font never need it).
	var font struct {
		Status string
		Faces  int
	}
	dm.MustEval(`document.fonts.load('30px "StudioDesk CJK"', '弹幕').then(function (f) {
		var face = Array.from(document.fonts).find(function (x) { return x.family === '"StudioDesk CJK"' || x.family === 'StudioDesk CJK'; });
		return {status: face ? face.status : 'missing', faces: f.length};
	})`, &font)
	if font.Status != "loaded" || font.Faces != 1 {
		t.Errorf("bundled font /font.ttf: %+v, want loaded", font)
	}

}

type rect struct{ L, T, R, B float64 }

// overBackdrop lays transparent page shots (all of one size) over a
// stand-in for the video OBS composites them onto: a dark vertical
// gradient, so white text and the pages' translucent backgrounds show as
// they would on air.
func overBackdrop(shots ...[]byte) (*image.RGBA, error) {
	var dst *image.RGBA
	for _, b := range shots {
		src, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if dst == nil {
			r := src.Bounds()
			dst = image.NewRGBA(r)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				f := float64(y-r.Min.Y) / float64(max(r.Dy()-1, 1))
				c := color.RGBA{uint8(70 - 40*f), uint8(86 - 46*f), uint8(104 - 50*f), 255}
				draw.Draw(dst, image.Rect(r.Min.X, y, r.Max.X, y+1), image.NewUniform(c), image.Point{}, draw.Src)
			}
		} else if src.Bounds() != dst.Bounds() {
			return nil, fmt.Errorf("shots of different sizes: %v and %v", src.Bounds(), dst.Bounds())
		}
		draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Over)
	}
	if dst == nil {
		return nil, fmt.Errorf("no shots")
	}
	return dst, nil
}
