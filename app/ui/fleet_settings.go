package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/fleet"
	"studiodesk/studio/store"
)

func init() {
	for k, v := range map[string][2]string{
		"fleet.settings":    {"机构联网（多直播间）", "Fleet (agency studios)"},
		"fleet.url":         {"集线器地址", "Hub address"},
		"fleet.studio":      {"直播间编号", "Studio id"},
		"fleet.user":        {"用户名", "User"},
		"fleet.password":    {"密码", "Password"},
		"fleet.nkey":        {"NKey 种子文件", "NKey seed file"},
		"fleet.creds":       {"凭据文件 (.creds)", "Credentials file (.creds)"},
		"fleet.ca":          {"TLS 根证书", "TLS CA bundle"},
		"fleet.cert":        {"TLS 客户端证书", "TLS client certificate"},
		"fleet.key":         {"TLS 客户端私钥", "TLS client key"},
		"fleet.standby":     {"热备：代替直播间", "Hot standby for studio"},
		"fleet.timeout":     {"热备接管等待", "Standby takeover wait"},
		"fleet.producer":    {"制片台：只排练、不上播、不争主机", "Producer desk: rehearsal only, never on air"},
		"fleet.note":        {"留空集线器地址即退出联网。重新启动中控台后生效；命令行参数优先。没有网络时中控台照常工作。", "Leave the hub address empty to leave the fleet. Applies when the desk next starts; command-line flags win. The desk works as usual with no network."},
		"fleet.saved":       {"已保存，重新启动后生效。", "Saved; applies at the next start."},
		"fleet.placeholder": {"nats://主机:4222", "nats://HOST:4222"},
	} {
		messages[k] = v
	}
}

// showFleetDialog edits the saved fleet settings (fleet.SaveSettings
// checks them; a problem is shown in the dialog, which stays open with
// what was typed).
func (d *deskUI) showFleetDialog(st *store.Store) {
	cur, _, err := fleet.LoadSaved(st)
	if err != nil {
		d.controller.report(err)
	}
	entry := func(v string) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(v)
		return e
	}
	url, studioID, user := entry(cur.URL), entry(cur.Studio), entry(cur.User)
	url.SetPlaceHolder(T("fleet.placeholder"))
	pass := widget.NewPasswordEntry()
	pass.SetText(cur.Password)
	nkey, creds, ca, cert, key, standby := entry(cur.NKeyFile), entry(cur.CredsFile), entry(cur.CAFile), entry(cur.CertFile), entry(cur.KeyFile), entry(cur.StandbyFor)
	producer := widget.NewCheck("", nil)
	producer.SetChecked(cur.Producer)
	timeout := entry("")
	if cur.HeartbeatTimeout > 0 {
		timeout.SetText(cur.HeartbeatTimeout.String())
	} else {
		timeout.SetText(fleet.DefaultHeartbeatTimeout.String())
	}
	form := widget.NewForm(
		widget.NewFormItem(T("fleet.url"), url),
		widget.NewFormItem(T("fleet.studio"), studioID),
		widget.NewFormItem(T("fleet.user"), user),
		widget.NewFormItem(T("fleet.password"), pass),
		widget.NewFormItem(T("fleet.nkey"), nkey),
		widget.NewFormItem(T("fleet.creds"), creds),
		widget.NewFormItem(T("fleet.ca"), ca),
		widget.NewFormItem(T("fleet.cert"), cert),
		widget.NewFormItem(T("fleet.key"), key),
		widget.NewFormItem(T("fleet.standby"), standby),
		widget.NewFormItem(T("fleet.timeout"), timeout),
		widget.NewFormItem(T("fleet.producer"), producer),
	)
	note := widget.NewLabel(T("fleet.note"))
	note.Wrapping = fyne.TextWrapWord
	problem := widget.NewLabel("")
	problem.Wrapping = fyne.TextWrapWord
	problem.Importance = widget.DangerImportance
	problem.Hide()
	var dlg *dialog.CustomDialog
	save := widget.NewButton(T("btn.save"), func() {
		c := fleet.Config{
			URL: strings.TrimSpace(url.Text), Studio: strings.TrimSpace(studioID.Text),
			User: strings.TrimSpace(user.Text), Password: pass.Text,
			NKeyFile: strings.TrimSpace(nkey.Text), CredsFile: strings.TrimSpace(creds.Text),
			CAFile: strings.TrimSpace(ca.Text), CertFile: strings.TrimSpace(cert.Text), KeyFile: strings.TrimSpace(key.Text),
			StandbyFor: strings.TrimSpace(standby.Text), HeartbeatTimeout: fleet.DefaultHeartbeatTimeout,
			Producer: producer.Checked,
		}
		if t := strings.TrimSpace(timeout.Text); t != "" {
			dur, err := time.ParseDuration(t)
			if err != nil || dur <= 0 {
				problem.SetText("⚠ " + T("fleet.timeout") + ": " + t)
				problem.Show()
				return
			}
			c.HeartbeatTimeout = dur
		}
		if err := fleet.SaveSettings(st, c); err != nil {
			problem.SetText("⚠ " + err.Error())
			problem.Show()
			return
		}
		dlg.Hide()
		d.controller.report(nil)
		dialog.ShowInformation(T("fleet.settings"), T("fleet.saved"), d.win)
	})
	save.Importance = widget.HighImportance
	cancel := widget.NewButton(T("btn.cancel"), func() { dlg.Hide() })
	dlg = dialog.NewCustomWithoutButtons(T("fleet.settings"),
		container.NewBorder(nil, container.NewVBox(note, problem, container.NewHBox(cancel, save)), nil, nil, container.NewVScroll(form)), d.win)
	dlg.Resize(fyne.NewSize(560, 560))
	dlg.Show()
}
