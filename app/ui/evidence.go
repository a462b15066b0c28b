package ui

import (
	"errors"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/studio"
	"studiodesk/studio/store"
)

// tr picks the zh-CN or English text of the evidence strings.
func tr(zh, en string) string {
	if lang == "zh" {
		return zh
	}
	return en
}

// evidenceUI is the storage warning and the signing key line on the
// controller view.
type evidenceUI struct {
	banner *fyne.Container
	text   *widget.Label
	key    *canvas.Text
	shown  *studio.StorageFault
}

// showEvidence adds the (hidden) storage warning at the top of the
// controller's side column and the desk's key fingerprint at its bottom.
func (d *deskUI) showEvidence(boot *studio.Boot) {
	e := &evidenceUI{text: widget.NewLabel(""), key: canvas.NewText("", colDim)}
	e.text.Wrapping = fyne.TextWrapWord
	e.text.TextStyle.Bold = true
	bg := canvas.NewRectangle(colDanger)
	e.banner = container.NewStack(bg, container.NewPadded(e.text))
	e.banner.Hide()
	// The regular face, not monospace: the line is half Chinese (the
	// monospace face has no CJK glyphs), and each text style costs a parsed
	// copy of the fonts.
	e.key.TextSize = 11
	e.key.Alignment = fyne.TextAlignTrailing
	e.key.Text = tr("日志签名密钥 ", "log signing key ") + boot.Key.Fingerprint()
	// The warning first, above the clock; the key line, reference rather
	// than a live figure, last, under the segment's figures.
	r := d.controller.right
	r.Objects = append(append([]fyne.CanvasObject{e.banner}, r.Objects...), e.key)
	r.Refresh()
	d.evidence = e
	e.set(d.desk.Snapshot())
}

// set shows or hides the storage warning for the snapshot's fault.
func (e *evidenceUI) set(s *studio.Snapshot) {
	if e == nil || s == nil {
		return
	}
	f := s.Storage
	if f == e.shown {
		return
	}
	e.shown = f
	if f == nil {
		e.banner.Hide()
		return
	}
	e.text.SetText(storageWarning(f))
	e.banner.Show()
}

// storageWarning names the file, the free space and what it means.
func storageWarning(f *studio.StorageFault) string {
	free := tr("未知", "unknown")
	if f.Free >= 0 {
		free = fmt.Sprintf("%.1f MB", float64(f.Free)/1e6)
	}
	return tr(
		fmt.Sprintf("⚠ 存储故障：无法写入 %s（%s，剩余空间 %s）。未能记录的操作已被拒绝，未生效。请腾出磁盘空间；恢复后自动消失。", f.Path, f.Err, free),
		fmt.Sprintf("⚠ Storage fault: cannot write %s (%s; %s free). Commands that could not be recorded were refused and did not take effect. Free some disk space; this clears on the next good write.", f.Path, f.Err, free))
}

// restoreOffer decides whether to offer a restore after the desk could not
// open its database: only for a damaged file (not one in use, say) and
// only when a backup exists; latest is the newest of list.
func restoreOffer(dir string, openErr error) (latest store.BackupInfo, list []store.BackupInfo, offer bool) {
	if !errors.Is(openErr, store.ErrDamaged) {
		return store.BackupInfo{}, nil, false
	}
	list, err := store.ListBackups(dir)
	if err != nil || len(list) == 0 {
		return store.BackupInfo{}, nil, false
	}
	return list[0], list, true
}

// offerRestore is called when the desk cannot open its database. For a
// damaged file with a backup at hand it shows a small window offering to
// restore the newest backup and start again; otherwise it only reports.
func offerRestore(dir string, openErr error) int {
	latest, list, ok := restoreOffer(dir, openErr)
	if !ok {
		if errors.Is(openErr, store.ErrDamaged) {
			fmt.Fprintln(os.Stderr, "studiodesk:", tr("没有可用的备份。", "no backup to restore."))
		}
		return 1
	}
	a := app.NewWithID("com.studiodesk.desk")
	a.Settings().SetTheme(newDeskTheme())
	w := a.NewWindow(tr("数据库已损坏", "Database damaged"))
	msg := widget.NewLabel(openErr.Error())
	msg.Wrapping = fyne.TextWrapWord
	offer := widget.NewLabel(tr(
		fmt.Sprintf("可以恢复 %s 的备份（%s，%d 个备份可选；命令行：studiodesk restore）。损坏的文件会保留在旁边，不会删除。", latest.Taken.Local().Format(time.DateTime), latest.Reason, len(list)),
		fmt.Sprintf("The backup from %s (%s; %d backups in all; command line: studiodesk restore) can be restored. The damaged file is kept beside it, never deleted.", latest.Taken.Local().Format(time.DateTime), latest.Reason, len(list))))
	offer.Wrapping = fyne.TextWrapWord
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	code := 1
	var restoreBtn *widget.Button
	restoreBtn = widget.NewButton(tr("恢复最新备份并启动", "Restore the newest backup and start"), func() {
		kept, err := store.Restore(dir, latest.Path)
		if err != nil {
			result.SetText(err.Error())
			return
		}
		restoreBtn.Disable()
		result.SetText(tr("已恢复；损坏的文件保存在 ", "Restored; the damaged file is kept as ") + kept)
		if p, err := os.StartProcess(os.Args[0], os.Args, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}}); err == nil {
			_ = p.Release()
			code = 0
			a.Quit()
		}
	})
	restoreBtn.Importance = widget.HighImportance
	quit := widget.NewButton(tr("退出", "Quit"), func() { a.Quit() })
	w.SetContent(container.NewPadded(container.NewVBox(msg, offer, container.NewHBox(restoreBtn, quit), result)))
	w.Resize(fyne.NewSize(640, 300))
	w.ShowAndRun()
	return code
}
