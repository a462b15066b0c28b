package ui

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/core"
	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/store"
)

// fakeOS stands in for the OS's preferred-language list (what Windows'
// GetUserPreferredUILanguages or macOS' AppleLanguages would return).
func fakeOS(t *testing.T, tags ...string) {
	t.Helper()
	old := osLanguages
	osLanguages = func() ([]string, error) { return tags, nil }
	t.Cleanup(func() { osLanguages = old; lang, langChoice = "zh", langDefault })
}

// noLocaleEnv clears every Unix locale variable, as on a Windows PC.
func noLocaleEnv(t *testing.T) {
	for _, k := range []string{"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"} {
		t.Setenv(k, "")
	}
}

func tempStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestLanguageFollowsTheOSPreferenceListWhenLANGIsUnset(t *testing.T) {
	noLocaleEnv(t)
	for _, c := range []struct {
		prefs []string
		want  string
	}{
		{[]string{"en-US", "zh-CN"}, "en"},      // an English Windows
		{[]string{"zh-Hans-CN", "en-US"}, "zh"}, // a Chinese macOS
		{[]string{"fr-FR", "en-GB"}, "en"},      // first language the desk speaks
		{[]string{"ja-JP", "zh-TW"}, "zh"},
		{[]string{"de-DE"}, "en"}, // none spoken: English
		{nil, "zh"},               // no preference at all: the users' language
	} {
		fakeOS(t, c.prefs...)
		if err := setupLanguage(tempStore(t, t.TempDir()), ""); err != nil {
			t.Fatal(err)
		}
		if lang != c.want {
			t.Errorf("OS prefers %v: lang %q, want %q", c.prefs, lang, c.want)
		}
		if len(c.prefs) > 0 && langChoice != langFromOS && langChoice != langDefault {
			t.Errorf("OS prefers %v: source %q", c.prefs, langChoice)
		}
	}
}

// On Unix the OS source is the environment, read by go-locale: LANGUAGE's
// list counts even with LANG unset.
func TestUnixLanguageListIsReadWithoutLANG(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Unix locale environment is read on Linux only")
	}
	noLocaleEnv(t)
	t.Cleanup(func() { lang, langChoice = "zh", langDefault })
	t.Setenv("LANGUAGE", "de_DE:en_GB:zh_CN")
	if err := setupLanguage(nil, ""); err != nil {
		t.Fatal(err)
	}
	if lang != "en" || langChoice != langFromOS {
		t.Fatalf("LANGUAGE=de_DE:en_GB:zh_CN gave %q from %s, want en from the OS", lang, langChoice)
	}
	t.Setenv("LANGUAGE", "zh_CN:en_US")
	if setupLanguage(nil, ""); lang != "zh" {
		t.Fatalf("LANGUAGE=zh_CN:en_US gave %q", lang)
	}
}

func TestSavedLanguageBeatsTheOSAndFlagIsRemembered(t *testing.T) {
	noLocaleEnv(t)
	fakeOS(t, "zh-CN")
	dir := t.TempDir()
	st := tempStore(t, dir)
	if err := setLanguageSetting(st, "en"); err != nil {
		t.Fatal(err)
	}
	if err := setupLanguage(st, ""); err != nil {
		t.Fatal(err)
	}
	if lang != "en" || langChoice != langFromSettings {
		t.Fatalf("settings say en, OS says zh: got %q from %s", lang, langChoice)
	}

	// --lang as the app parses it wins, and is kept for the next start.
	o, err := parseOptions([]string{"--lang", "zh"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := setupLanguage(st, o.Lang); err != nil {
		t.Fatal(err)
	}
	if lang != "zh" || langChoice != langFromFlag {
		t.Fatalf("--lang zh gave %q from %s", lang, langChoice)
	}
	st.Close()
	st = tempStore(t, dir)
	fakeOS(t, "en-US")
	if err := setupLanguage(st, ""); err != nil {
		t.Fatal(err)
	}
	if lang != "zh" || langChoice != langFromSettings {
		t.Fatalf("after --lang zh, the next start speaks %q from %s", lang, langChoice)
	}

	// "Follow the system" in the settings forgets the choice.
	if err := setLanguageSetting(st, ""); err != nil {
		t.Fatal(err)
	}
	if err := setupLanguage(st, ""); err != nil {
		t.Fatal(err)
	}
	if lang != "en" || langChoice != langFromOS {
		t.Fatalf("following the OS (en-US) gave %q from %s", lang, langChoice)
	}

	if _, err := parseOptions([]string{"--lang", "fr"}, io.Discard); err == nil {
		t.Fatal("--lang fr accepted")
	}
}

func TestNormLang(t *testing.T) {
	for in, want := range map[string]string{
		"zh-CN": "zh", "zh_TW.UTF-8": "zh", "ZH": "zh", "en": "en", "en_US@euro": "en",
		"C": "", "fr-FR": "", "": "", "zhx": "",
	} {
		if got := normLang(in); got != want {
			t.Errorf("normLang(%q) = %q, want %q", in, got, want)
		}
	}
}

// firstRunFixture is the desk as Main builds it on an empty data folder:
// the demo show loaded, the settings in a real store.
func firstRunFixture(t *testing.T, st *store.Store, show *scripts.Show) (*deskUI, *studio.Desk) {
	t.Helper()
	lang = "en"
	t.Cleanup(func() { lang = "zh" })
	a := test.NewTempApp(t)
	clk := studio.NewFakeClock(start)
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
	desk := studio.New(studio.Config{Clock: clk, Rehearsal: true, Danmaku: pipe})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, st, studioEnv{pipe: pipe}, "controller", clk.Now)
	w.Resize(fyne.NewSize(1366, 768))
	return d, desk
}

func TestFirstRunLineOnTheDemoShowUntilDismissed(t *testing.T) {
	dir := t.TempDir()
	st := tempStore(t, dir)
	show, err := core.LoadCurrentShow(st) // nothing saved: the demo show
	if err != nil || !isDemoShow(show) {
		t.Fatalf("empty data folder loads %v (%v), want the demo show", show.ID, err)
	}
	d, desk := firstRunFixture(t, st, show)
	if !d.firstRun.root.Visible() {
		t.Fatal("first run on the demo show: no first-run line")
	}
	if d.win.MainMenu() == nil || len(d.win.MainMenu().Items) != 2 {
		t.Fatal("no Desk/Help menu")
	}
	if txt := aboutText(st); !strings.Contains(txt, dir) || !strings.Contains(txt, Version) {
		t.Fatalf("About box %q lacks the data folder %s or the version", txt, dir)
	}

	// Loading one's own show takes the line away.
	if err := desk.Do(context.Background(), studio.LoadShow{Show: blankShow(start)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { d.refresh(); return !d.firstRun.root.Visible() }, "line hidden on one's own show")

	// Dismissing it is remembered in the data folder.
	if err := desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { d.refresh(); return d.firstRun.root.Visible() }, "line back on the demo show")
	test.Tap(d.firstRun.close)
	if d.firstRun.root.Visible() {
		t.Fatal("dismissed line still shown")
	}
	s, err := loadSettings(st)
	if err != nil || !s.FirstRunDismissed {
		t.Fatalf("dismissal not saved: %+v %v", s, err)
	}
	d2, _ := firstRunFixture(t, st, show)
	if d2.firstRun.root.Visible() {
		t.Fatal("dismissed line came back on the next start")
	}
}

func TestStartOwnShowOpensABlankShowInTheProducer(t *testing.T) {
	demo, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := firstRunFixture(t, tempStore(t, t.TempDir()), demo)
	appTabs := findTabs(d.win.Content())
	if appTabs == nil {
		t.Fatal("no tabs")
	}
	d.startOwnShow(appTabs)
	over := d.win.Canvas().Overlays().Top()
	if over == nil {
		t.Fatal("no start-your-own-show dialog")
	}
	blank := findButtonIn(over, T("first.blank"))
	if blank == nil {
		t.Fatal("no New blank show button")
	}
	test.Tap(blank)
	if appTabs.SelectedIndex() != int(viewProducer) {
		t.Fatalf("tab %d selected, want the producer", appTabs.SelectedIndex())
	}
	if got := d.producer.show; got.Title != "My show" || len(got.Segments) != 1 {
		t.Fatalf("producer holds %q with %d segments", got.Title, len(got.Segments))
	}
	if isDemoShow(d.producer.show) {
		t.Fatal("the blank show has the demo show's id")
	}
}

// findTabs and findButton walk a canvas object tree.
func findTabs(o fyne.CanvasObject) *container.AppTabs {
	switch v := o.(type) {
	case *container.AppTabs:
		return v
	case *fyne.Container:
		for _, c := range v.Objects {
			if t := findTabs(c); t != nil {
				return t
			}
		}
	}
	return nil
}

func findButtonIn(o fyne.CanvasObject, text string) *widget.Button {
	switch v := o.(type) {
	case *widget.Button:
		if v.Text == text {
			return v
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			if b := findButtonIn(c, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		r := test.WidgetRenderer(v)
		for _, c := range r.Objects() {
			if b := findButtonIn(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}
