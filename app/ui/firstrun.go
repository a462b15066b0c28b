package ui

import (
	"fmt"
	"log"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// Version and Commit name the build in the About box. The Makefile sets
// them at link time from FyneApp.toml and git:
//
//	-ldflags "-X studiodesk/app/ui.Version=0.1.0 -X studiodesk/app/ui.Commit=abc1234"
var (
	Version = "dev"
	Commit  = ""
)

// wmClass is the title every window is created with. On X11 GLFW takes the
// window's WM_CLASS from its title at creation, and the .desktop entry's
// StartupWMClass must match it for the taskbar to group the window with its
// launcher; the real, translated title is set once the window exists.
const wmClass = "StudioDesk"

// showWindow shows w, created with the title wmClass, and then titles it.
func showWindow(w fyne.Window, title string) {
	w.Show()
	w.SetTitle(title)
}

// firstRunBar is the one dismissible line that says the desk is rehearsing
// on the demo show, with the way to start one's own show.
type firstRunBar struct {
	root      *fyne.Container
	close     *widget.Button
	dismissed bool
}

// chrome wraps the desk's tabs with the first-run line and adds the menu
// bar (settings, start your own show, About).
func (d *deskUI) chrome(tabs *container.AppTabs, st *store.Store) fyne.CanvasObject {
	s, err := loadSettings(st)
	if err != nil {
		log.Printf("studiodesk: %v", err)
	}
	d.firstRun = &firstRunBar{dismissed: s.FirstRunDismissed}
	link := widget.NewHyperlink(T("first.own_show"), nil)
	link.OnTapped = func() { d.startOwnShow(tabs) }
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		d.firstRun.dismissed = true
		d.firstRun.root.Hide()
		s, err := loadSettings(st)
		if err == nil {
			s.FirstRunDismissed = true
			err = saveSettings(st, s)
		}
		if err != nil {
			d.controller.report(err)
		}
	})
	closeBtn.Importance = widget.LowImportance
	d.firstRun.close = closeBtn
	line := widget.NewLabel(T("first.line"))
	line.Truncation = fyne.TextTruncateEllipsis
	d.firstRun.root = container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()),
		container.NewHBox(link, closeBtn), line)
	d.firstRun.update(d.desk.Snapshot())

	d.win.SetMainMenu(fyne.NewMainMenu(
		fyne.NewMenu(T("menu.desk"),
			fyne.NewMenuItem(T("first.own_show"), func() { d.startOwnShow(tabs) }),
			fyne.NewMenuItem(T("settings.language")+"…", func() { d.showLanguageDialog(st) }),
			fyne.NewMenuItem(T("fleet.settings")+"…", func() { d.showFleetDialog(st) }),
		),
		fyne.NewMenu(T("menu.help"),
			fyne.NewMenuItem(T("about.title")+"…", func() { d.showAbout(st) }),
		),
	))
	return container.NewBorder(d.firstRun.root, nil, nil, nil, tabs)
}

// update shows the line while the desk holds the demo show, until the
// line is dismissed.
func (b *firstRunBar) update(s *studio.Snapshot) {
	if b == nil || b.root == nil {
		return
	}
	if !b.dismissed && s != nil && isDemoShow(s.Show) {
		b.root.Show()
	} else {
		b.root.Hide()
	}
}

var demoID = sync.OnceValue(func() string {
	demo, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		return ""
	}
	return demo.ID
})

func isDemoShow(s *scripts.Show) bool {
	return s != nil && demoID() != "" && s.ID == demoID()
}

// startOwnShow offers the two ways to a show of one's own: import a run
// sheet, or start a blank one; both open in the producer's editor, from
// where "Load into desk" makes it the desk's show.
func (d *deskUI) startOwnShow(tabs *container.AppTabs) {
	var dlg dialog.Dialog
	importBtn := widget.NewButtonWithIcon(T("first.import"), theme.FolderOpenIcon(), func() {
		dlg.Hide()
		tabs.SelectIndex(int(viewProducer))
		d.producer.importFile()
	})
	importBtn.Importance = widget.HighImportance
	blankBtn := widget.NewButtonWithIcon(T("first.blank"), theme.DocumentCreateIcon(), func() {
		dlg.Hide()
		tabs.SelectIndex(int(viewProducer))
		d.producer.edit(func(s *scripts.Show) { *s = *blankShow(time.Now()) })
		d.producer.sel = -1
		d.producer.list.Select(0)
		d.producer.say(T("first.blank_hint"))
	})
	hint := widget.NewLabel(T("first.hint"))
	hint.Wrapping = fyne.TextWrapWord
	dlg = dialog.NewCustom(strings.TrimSuffix(T("first.own_show"), "…"), T("btn.cancel"),
		container.NewVBox(hint, importBtn, blankBtn), d.win)
	dlg.Resize(fyne.NewSize(460, 0))
	dlg.Show()
}

// blankShow is a new show with one opening segment to start from.
func blankShow(now time.Time) *scripts.Show {
	return &scripts.Show{
		ID:    "show-" + now.Format("20060102-1504"),
		Title: T("first.blank_title"),
		Segments: []scripts.Segment{{
			ID: "opening", Title: T("kind.opening"), Kind: scripts.KindOpening, Duration: 5 * time.Minute,
		}},
	}
}

// aboutText is the About box's body: version, data folder, language.
func aboutText(st *store.Store) string {
	ver := Version
	if Commit != "" {
		ver += " (" + Commit + ")"
	}
	dataDir := "—"
	if st != nil {
		dataDir = filepath.Dir(st.Path())
	}
	return fmt.Sprintf("%s %s\n\n%s: %s\n%s: %s (%s)\n%s: %s/%s · %s",
		T("about.version"), ver,
		T("about.data"), dataDir,
		T("settings.language"), langName(lang), T("langsrc."+langChoice),
		T("about.system"), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func (d *deskUI) showAbout(st *store.Store) {
	body := widget.NewLabel(aboutText(st))
	body.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox()
	if st != nil {
		dir := filepath.Dir(st.Path())
		buttons.Add(widget.NewButton(T("about.copy"), func() { d.app.Clipboard().SetContent(dir) }))
		buttons.Add(widget.NewButton(T("about.open"), func() {
			if err := d.app.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}); err != nil {
				d.controller.report(fmt.Errorf("%s: %w", dir, err))
			}
		}))
	}
	icon := widget.NewIcon(fyne.NewStaticResource("icon.png", assets.Icon()))
	head := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(64, 64), icon), nil,
		widget.NewLabelWithStyle(T("app.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	dlg := dialog.NewCustom(T("about.title"), T("btn.close"), container.NewVBox(head, body, buttons), d.win)
	dlg.Resize(fyne.NewSize(560, 0))
	dlg.Show()
}

func langName(l string) string {
	if l == "en" {
		return "English"
	}
	return "简体中文"
}

// showLanguageDialog lets the user pick the UI language or follow the OS;
// the choice is saved in the data folder and applies from the next start.
func (d *deskUI) showLanguageDialog(st *store.Store) {
	s, err := loadSettings(st)
	if err != nil {
		d.controller.report(err)
	}
	options := []string{T("settings.follow_os"), langName("zh"), langName("en")}
	codes := []string{"", "zh", "en"}
	radio := widget.NewRadioGroup(options, nil)
	radio.Required = true
	radio.SetSelected(options[0])
	for i, c := range codes {
		if c == s.Lang {
			radio.SetSelected(options[i])
		}
	}
	note := widget.NewLabel(T("settings.restart"))
	note.Wrapping = fyne.TextWrapWord
	dlg := dialog.NewCustomConfirm(T("settings.language"), T("btn.save"), T("btn.cancel"),
		container.NewVBox(radio, note), func(ok bool) {
			if !ok {
				return
			}
			choice := ""
			for i, o := range options {
				if o == radio.Selected {
					choice = codes[i]
				}
			}
			if err := setLanguageSetting(st, choice); err != nil {
				dialog.ShowError(err, d.win)
			}
		}, d.win)
	dlg.Resize(fyne.NewSize(420, 0))
	dlg.Show()
}
