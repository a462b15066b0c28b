package ui

import (
	"strings"

	"github.com/jeandeaual/go-locale"
)

// lang is "zh" or "en". It starts from the OS's preferred languages and is
// settled at start by setupLanguage: --lang, else the language saved in the
// settings, else the OS's list.
var lang = detectLang()

// osLanguages lists the OS's preferred UI languages, most preferred first,
// as BCP 47 tags: $LANGUAGE, $LC_ALL, $LC_MESSAGES and $LANG on Unix, the
// user's preferred UI languages on Windows, AppleLanguages on macOS. It is
// a variable so tests can stand in for the OS. go-locale is the library
// Fyne itself uses for this, so there is no per-OS code of our own.
var osLanguages = locale.GetLocales

func detectLang() string {
	l, _ := chooseLang("", "", systemLanguages())
	return l
}

// systemLanguages is osLanguages with errors read as "no preference".
func systemLanguages() []string {
	tags, err := osLanguages()
	if err != nil {
		return nil
	}
	return tags
}

// Where a language choice came from, for the About box.
const (
	langFromFlag     = "flag"
	langFromSettings = "settings"
	langFromOS       = "os"
	langDefault      = "default"
)

// chooseLang settles the UI language: the --lang flag, else the saved
// setting, else the first of the OS's preferred languages that the desk
// speaks (so "fr-FR, en-GB" gives English and "ja, zh-Hans-CN" Chinese).
// With no usable preference the desk speaks Chinese, its users' language;
// a list naming only languages it lacks gives English.
func chooseLang(flag, saved string, prefs []string) (l, source string) {
	if l := normLang(flag); l != "" {
		return l, langFromFlag
	}
	if l := normLang(saved); l != "" {
		return l, langFromSettings
	}
	named := false
	for _, tag := range prefs {
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "C" || tag == "POSIX" {
			continue
		}
		named = true
		if l := normLang(tag); l != "" {
			return l, langFromOS
		}
	}
	if named {
		return "en", langDefault
	}
	return "zh", langDefault
}

// normLang maps a tag such as "zh-CN", "zh_TW.UTF-8", "en-US" or "en" to
// "zh" or "en", and anything else to "".
func normLang(tag string) string {
	primary := strings.ToLower(tag)
	if i := strings.IndexAny(primary, "-_.@"); i >= 0 {
		primary = primary[:i]
	}
	switch primary {
	case "zh", "en":
		return primary
	}
	return ""
}

// T translates a message key; unknown keys show as themselves so a missing
// string is visible, never blank.
func T(key string) string {
	if m, ok := messages[key]; ok {
		if lang == "zh" {
			return m[0]
		}
		return m[1]
	}
	return key
}

var messages = map[string][2]string{
	"app.title":              {"直播中控台 StudioDesk", "StudioDesk"},
	"view.streamer":          {"主播屏", "Host"},
	"view.controller":        {"场控", "Controller"},
	"view.producer":          {"编导", "Producer"},
	"rehearsal":              {"彩排模式", "REHEARSAL"},
	"live":                   {"直播中", "LIVE"},
	"btn.start":              {"开播", "Start"},
	"btn.pause":              {"暂停", "Pause"},
	"btn.resume":             {"继续", "Resume"},
	"btn.next":               {"下一段", "Next"},
	"btn.prev":               {"上一段", "Previous"},
	"btn.extend":             {"延长30秒", "+30 s"},
	"btn.shorten":            {"缩短30秒", "−30 s"},
	"btn.window":             {"使用调整窗口", "Use adjust window"},
	"btn.end":                {"结束", "End"},
	"btn.rewind":             {"重置彩排", "Rewind"},
	"btn.jump":               {"跳到此段", "Jump here"},
	"btn.host_window":        {"打开主播屏", "Open host screen"},
	"say.now":                {"现在说", "Say now"},
	"say.next":               {"下一个", "Next"},
	"seg.next":               {"下一段", "Next segment"},
	"show.left":              {"全场剩余", "Show left"},
	"show.projected":         {"预计结束", "Projected end"},
	"show.overunder":         {"偏差", "Over/under"},
	"show.windows":           {"调整窗口剩余", "Adjust windows left"},
	"show.not_started":       {"未开播", "Not started"},
	"show.paused":            {"已暂停", "PAUSED"},
	"show.ended":             {"已结束", "Ended"},
	"phase.normal":           {"正常", "On time"},
	"phase.warning":          {"即将结束", "Wrap up"},
	"phase.danger":           {"马上结束", "Ending"},
	"phase.overtime":         {"超时", "OVERTIME"},
	"phase.idle":             {"待开播", "Standby"},
	"phase.ended":            {"已结束", "Ended"},
	"col.no":                 {"#", "#"},
	"col.segment":            {"环节", "Segment"},
	"col.kind":               {"类型", "Kind"},
	"col.planned":            {"计划", "Planned"},
	"col.actual":             {"实际", "Actual"},
	"col.start":              {"开始", "Start"},
	"kind.opening":           {"开场", "Opening"},
	"kind.product":           {"产品", "Product"},
	"kind.interaction":       {"互动", "Interaction"},
	"kind.break":             {"休息", "Break"},
	"kind.closing":           {"收尾", "Closing"},
	"confirm.end":            {"结束本场直播？", "End the show?"},
	"confirm.rewind":         {"清除本次运行的全部计时，重新彩排？", "Discard this run's timing and rehearse again?"},
	"confirm.delete":         {"删除此环节？(可撤销)", "Delete this segment? (undo available)"},
	"shortcuts":              {"快捷键", "Shortcuts"},
	"cue.point":              {"下一个卖点", "Next selling point"},
	"cue.phase":              {"进入下一阶段", "Next phase"},
	"cue.warning":            {"准备收尾", "Wrap up"},
	"cue.danger":             {"马上结束", "Ending now"},
	"cue.overtime":           {"已超时", "Overtime"},
	"prod.segments":          {"环节", "Segments"},
	"prod.add":               {"添加环节", "Add segment"},
	"prod.delete":            {"删除", "Delete"},
	"prod.undo":              {"撤销", "Undo"},
	"prod.up":                {"上移", "Move up"},
	"prod.down":              {"下移", "Move down"},
	"prod.import":            {"导入…", "Import…"},
	"prod.export":            {"导出…", "Export…"},
	"prod.apply":             {"应用到中控台", "Load into desk"},
	"prod.title":             {"标题", "Title"},
	"prod.id":                {"编号", "ID"},
	"prod.kind":              {"类型", "Kind"},
	"prod.duration":          {"时长", "Duration"},
	"prod.product":           {"产品", "Product"},
	"prod.flagship":          {"主推爆品", "Flagship"},
	"prod.notes":             {"备注", "Notes"},
	"prod.phases":            {"阶段与卖点 (每行一个卖点)", "Phases and selling points (one per line)"},
	"prod.checks":            {"检查结果", "Checks"},
	"prod.lint":              {"广告法用语", "Ad-law terms"},
	"prod.ok":                {"没有问题", "No issues"},
	"prod.loaded":            {"已载入中控台", "Loaded into the desk"},
	"prod.total":             {"总时长", "Total"},
	"err.title":              {"出错了", "Error"},
	"status.ready":           {"就绪", "Ready"},
	"status.sound_off":       {"无音频设备：仅视觉提示", "No audio device: visual cues only"},
	"prod.apply_segment":     {"保存此环节", "Save segment"},
	"prod.select_first":      {"先在左侧选择一个环节", "Select a segment first"},
	"prod.undone":            {"已撤销", "Undone"},
	"prod.deleted":           {"已删除", "Deleted"},
	"presets.title":          {"场景预设", "Scene presets"},
	"devices.title":          {"设备状态", "Devices"},
	"devices.count":          {"台设备", "devices"},
	"health.ok":              {"正常", "ok"},
	"health.connecting":      {"连接中", "connecting"},
	"health.degraded":        {"不稳定", "degraded"},
	"health.down":            {"离线", "down"},
	"health.unknown":         {"未知", "unknown"},
	"preset.name":            {"名称", "Name"},
	"preset.key":             {"快捷键", "Key"},
	"preset.colour":          {"颜色", "Colour"},
	"preset.fade":            {"渐变", "Fade"},
	"preset.new":             {"新建预设", "New preset"},
	"preset.save":            {"保存预设", "Save preset"},
	"preset.capture":         {"从设备捕获", "Capture from devices"},
	"preset.test":            {"测试调用", "Test recall"},
	"preset.duplicate":       {"复制", "Duplicate"},
	"preset.on":              {"开灯", "On"},
	"preset.camera_preset":   {"机位预置号", "Camera preset"},
	"preset.untitled":        {"新预设", "New preset"},
	"preset.select_first":    {"先在左侧选择一个预设", "Select a preset first"},
	"preset.copy":            {"副本", "copy"},
	"preset.tick_devices":    {"先勾选要捕获的设备", "Tick the devices to capture"},
	"preset.captured":        {"已捕获", "Captured"},
	"prod.script":            {"脚本", "Script"},
	"prod.presets":           {"场景预设", "Presets"},
	"prod.devices":           {"设备", "Devices"},
	"device.driver":          {"协议", "Driver"},
	"device.addr":            {"地址", "Address"},
	"device.password":        {"密码 (OBS)", "Password (OBS)"},
	"device.fixture":         {"灯具类型", "Fixture profile"},
	"device.start":           {"DMX 起始地址", "DMX start address"},
	"device.save":            {"保存设备", "Save device"},
	"device.test":            {"测试连接", "Test connection"},
	"device.select_first":    {"先在左侧选择一台设备", "Select a device first"},
	"device.rehearsal_note":  {"彩排模式：所有设备都使用模拟器。", "Rehearsal mode: every device runs on its simulator."},
	"dm.title":               {"弹幕", "Danmaku"},
	"dm.all":                 {"全部", "All"},
	"dm.question":            {"提问", "Questions"},
	"dm.buy":                 {"想买", "Buy intent"},
	"dm.complaint":           {"投诉", "Complaints"},
	"dm.praise":              {"好评", "Praise"},
	"dm.vote":                {"投票", "Votes"},
	"dm.pause":               {"暂停滚动", "Pause"},
	"dm.pin":                 {"上评论墙", "Pin to wall"},
	"dm.hide":                {"隐藏", "Hide"},
	"dm.block":               {"拉黑", "Block viewer"},
	"dm.trending":            {"热词", "Trending"},
	"dm.questions":           {"待答问题 (点击标记已答)", "Questions (click when answered)"},
	"dm.other_question":      {"其他", "Other"},
	"dm.stats":               {"收到 %d · 显示 %d · 过滤 %d", "received %d · shown %d · filtered %d"},
	"dm.select_first":        {"先选择一条弹幕", "Select a line first"},
	"overlay.copy":           {"复制 OBS 浏览器源地址", "Copy OBS browser-source URL"},
	"overlay.off":            {"OBS 叠加层未启动（端口被占用？）", "OBS overlay off (address in use?)"},
	"remote.title":           {"远程场控（第二台电脑 / 平板 / Stream Deck）", "Remote control (second PC, tablet, Stream Deck)"},
	"remote.enable":          {"启用远程场控（局域网）", "Enable remote control (LAN)"},
	"remote.off":             {"远程场控未启用。", "Remote control is off."},
	"remote.new_code":        {"新配对码", "New pairing code"},
	"remote.devices":         {"已配对设备", "Paired devices"},
	"remote.revoke":          {"撤销", "Revoke"},
	"remote.info":            {"配对码有效至 %s（一次性，过期自动换新）· 第二台电脑：studiodesk --remote 本机地址:端口 --pair 配对码", "Pairing code valid until %s (one use; renewed when it expires) · Second PC: studiodesk --remote THIS-ADDRESS:PORT --pair CODE"},
	"remote.http_bound":      {"✓ 平板/手机打开：%s", "✓ Tablet/phone: %s"},
	"remote.osc_bound":       {"✓ OSC (UDP)：%s", "✓ OSC (UDP): %s"},
	"remote.osc_failed":      {"⚠ OSC 未启动：%v（HTTP 与遥控照常工作）", "⚠ OSC is off: %v (HTTP and the remote keep working)"},
	"remote.http_failed":     {"⚠ HTTP 未启动：%v（配对、浏览器遥控与 HTTP 接口不可用；OSC 照常）", "⚠ HTTP is off: %v (pairing, browser remote and HTTP API unavailable; OSC keeps working)"},
	"act.pause":              {"暂停（不切换）", "Pause"},
	"act.recall":             {"调用预设", "Recall preset"},
	"act.answer":             {"标记已答", "Answer question"},
	"act.take_over":          {"接管为主机", "Take over"},
	"keys.conflict":          {"按键 %s 已用于「%s」，请换一个", "key %s is taken by %q: choose another"},
	"keys.select_segment":    {"先在流程表里选择一段", "Select a segment in the rundown first"},
	"keys.no_question":       {"没有待答问题", "No question waiting"},
	"confirm.generic":        {"确认执行？", "Go ahead?"},
	"err.bad_argument":       {"参数有误", "Bad argument"},
	"err.unknown_action":     {"没有这个操作", "Unknown action"},
	"view.remote":            {"远程", "Remote"},
	"remote.connected":       {"已连接中控台", "Connected to the desk"},
	"remote.disconnected":    {"未连接 — 操作已停用，正在重连…", "Disconnected — controls disabled, reconnecting…"},
	"ix.title":               {"互动（优惠券 / 投票）", "Interactions (coupons / votes)"},
	"ix.fire":                {"发券", "Fire coupon"},
	"ix.start_vote":          {"开始投票", "Start vote"},
	"ix.end_vote":            {"结束投票", "End vote"},
	"ix.cancel":              {"取消互动", "Cancel"},
	"ix.stock":               {"库存", "stock"},
	"ix.claims":              {"已领", "claimed"},
	"ix.votes":               {"票", "votes"},
	"ix.left":                {"剩余", "left"},
	"ix.select_first":        {"先选择一个互动（或等它的环节开始）", "Select an interaction (or wait for its node)"},
	"ix.no_live_vote":        {"没有进行中的投票", "No vote is live"},
	"ix.confirm_fire":        {"确认发放 %s？", "Fire %s?"},
	"ix.confirm_fire_detail": {"确认发放「%s」？\n%s · 库存 %d · 决策时间 %s\n发出后不可撤回。", "Fire \"%s\"?\n%s · stock %d · window %s\nThis cannot be undone."},
	"ix.confirm_cancel":      {"取消「%s」？", "Cancel \"%s\"?"},
	"ix.state.draft":         {"待用", "draft"},
	"ix.state.armed":         {"该发了", "ARMED"},
	"ix.state.live":          {"进行中", "LIVE"},
	"ix.state.closed":        {"已结束", "closed"},
	"ix.state.cancelled":     {"已取消", "cancelled"},
	"ix.unsupported":         {"%s 不支持", "not supported on %s"},
	"view.data":              {"数据", "Data"},
	"dash.title":             {"实时数据（每秒刷新）", "Live figures (every second)"},
	"dash.viewers":           {"在线观众", "Viewers"},
	"dash.dpm":               {"弹幕/分钟", "Danmaku/min"},
	"dash.shown":             {"已显示弹幕", "Shown"},
	"dash.filtered":          {"过滤命中", "Filter hits"},
	"dash.questions":         {"待答问题", "Questions pending"},
	"dash.claims":            {"领券数", "Coupon claims"},
	"dash.votes":             {"投票人数", "Voters"},
	"dash.overunder":         {"时间偏差", "Over/under"},
	"dash.chart":             {"弹幕/分钟（近30分钟）", "Danmaku per minute (last 30 min)"},
	"dash.after":             {"复盘与存证", "Report and evidence"},
	"dash.report":            {"生成本场报告 (HTML + CSV)", "Build the show report (HTML + CSV)"},
	"dash.verify":            {"校验本场记录", "Verify the show log"},
	"dash.no_run":            {"还没有开播记录", "No run on record yet"},
	"dash.tampered":          {"记录被篡改", "Log tampered"},
	"dash.records":           {"条记录", "records"},
	"first.line":             {"彩排模式 · 演示节目：不推流，所有设备都是模拟器，放心试。", "Rehearsal on the demo show: nothing goes on air and every device is simulated. Try anything."},
	"first.own_show":         {"开始你自己的节目…", "Start your own show…"},
	"first.import":           {"导入运行表（XLSX / YAML）…", "Import a run sheet (XLSX / YAML)…"},
	"first.blank":            {"新建空白节目", "New blank show"},
	"first.blank_title":      {"我的节目", "My show"},
	"first.hint":             {"节目在「编导」页编辑，编好后点「应用到中控台」。", "Shows are edited in Producer; press “Load into desk” when one is ready."},
	"first.blank_hint":       {"新节目：添加环节，然后点「应用到中控台」。", "New show: add segments, then press “Load into desk”."},
	"menu.desk":              {"中控台", "Desk"},
	"menu.help":              {"帮助", "Help"},
	"about.title":            {"关于 StudioDesk", "About StudioDesk"},
	"about.version":          {"版本", "Version"},
	"about.data":             {"数据文件夹", "Data folder"},
	"about.system":           {"系统", "System"},
	"about.copy":             {"复制路径", "Copy path"},
	"about.open":             {"打开文件夹", "Open folder"},
	"settings.language":      {"界面语言", "Language"},
	"settings.follow_os":     {"跟随系统", "Follow the system"},
	"settings.restart":       {"重新启动中控台后生效。这个选择保存在数据文件夹里。", "Applies when the desk next starts. The choice is saved in the data folder."},
	"langsrc.flag":           {"命令行 --lang", "--lang on the command line"},
	"langsrc.settings":       {"设置", "settings"},
	"langsrc.os":             {"系统首选语言", "the system's preferred languages"},
	"langsrc.default":        {"默认", "default"},
	"btn.cancel":             {"取消", "Cancel"},
	"btn.close":              {"关闭", "Close"},
	"btn.save":               {"保存", "Save"},
	"start.failed":           {"中控台无法启动", "StudioDesk cannot start"},
}
