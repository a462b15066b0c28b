package ui

import (
	"os"
	"strings"
)

// lang is "zh" or "en", chosen once from the locale (zh-CN by default for a
// Chinese locale, English otherwise) or --lang.
var lang = detectLang()

func detectLang() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		if v := os.Getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "zh"
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
	"app.title":          {"直播中控台 StudioDesk", "StudioDesk"},
	"view.streamer":      {"主播屏", "Host"},
	"view.controller":    {"场控", "Controller"},
	"view.producer":      {"编导", "Producer"},
	"rehearsal":          {"彩排模式", "REHEARSAL"},
	"live":               {"直播中", "LIVE"},
	"btn.start":          {"开播", "Start"},
	"btn.pause":          {"暂停", "Pause"},
	"btn.resume":         {"继续", "Resume"},
	"btn.next":           {"下一段", "Next"},
	"btn.prev":           {"上一段", "Previous"},
	"btn.extend":         {"延长30秒", "+30 s"},
	"btn.shorten":        {"缩短30秒", "−30 s"},
	"btn.window":         {"使用调整窗口", "Use adjust window"},
	"btn.end":            {"结束", "End"},
	"btn.rewind":         {"重置彩排", "Rewind"},
	"btn.jump":           {"跳到此段", "Jump here"},
	"btn.host_window":    {"打开主播屏", "Open host screen"},
	"say.now":            {"现在说", "Say now"},
	"say.next":           {"下一个", "Next"},
	"seg.next":           {"下一段", "Next segment"},
	"show.left":          {"全场剩余", "Show left"},
	"show.projected":     {"预计结束", "Projected end"},
	"show.overunder":     {"偏差", "Over/under"},
	"show.windows":       {"调整窗口剩余", "Adjust windows left"},
	"show.not_started":   {"未开播", "Not started"},
	"show.paused":        {"已暂停", "PAUSED"},
	"show.ended":         {"已结束", "Ended"},
	"phase.normal":       {"正常", "On time"},
	"phase.warning":      {"即将结束", "Wrap up"},
	"phase.danger":       {"马上结束", "Ending"},
	"phase.overtime":     {"超时", "OVERTIME"},
	"phase.idle":         {"待开播", "Standby"},
	"phase.ended":        {"已结束", "Ended"},
	"col.no":             {"#", "#"},
	"col.segment":        {"环节", "Segment"},
	"col.kind":           {"类型", "Kind"},
	"col.planned":        {"计划", "Planned"},
	"col.actual":         {"实际", "Actual"},
	"col.start":          {"开始", "Start"},
	"kind.opening":       {"开场", "Opening"},
	"kind.product":       {"产品", "Product"},
	"kind.interaction":   {"互动", "Interaction"},
	"kind.break":         {"休息", "Break"},
	"kind.closing":       {"收尾", "Closing"},
	"confirm.end":        {"结束本场直播？", "End the show?"},
	"confirm.rewind":     {"清除本次运行的全部计时，重新彩排？", "Discard this run's timing and rehearse again?"},
	"confirm.delete":     {"删除此环节？(可撤销)", "Delete this segment? (undo available)"},
	"shortcuts":          {"快捷键", "Shortcuts"},
	"cue.point":          {"下一个卖点", "Next selling point"},
	"cue.phase":          {"进入下一阶段", "Next phase"},
	"cue.warning":        {"准备收尾", "Wrap up"},
	"cue.danger":         {"马上结束", "Ending now"},
	"cue.overtime":       {"已超时", "Overtime"},
	"prod.segments":      {"环节", "Segments"},
	"prod.add":           {"添加环节", "Add segment"},
	"prod.delete":        {"删除", "Delete"},
	"prod.undo":          {"撤销", "Undo"},
	"prod.up":            {"上移", "Move up"},
	"prod.down":          {"下移", "Move down"},
	"prod.import":        {"导入…", "Import…"},
	"prod.export":        {"导出…", "Export…"},
	"prod.apply":         {"应用到中控台", "Load into desk"},
	"prod.title":         {"标题", "Title"},
	"prod.id":            {"编号", "ID"},
	"prod.kind":          {"类型", "Kind"},
	"prod.duration":      {"时长", "Duration"},
	"prod.product":       {"产品", "Product"},
	"prod.flagship":      {"主推爆品", "Flagship"},
	"prod.notes":         {"备注", "Notes"},
	"prod.phases":        {"阶段与卖点 (每行一个卖点)", "Phases and selling points (one per line)"},
	"prod.checks":        {"检查结果", "Checks"},
	"prod.lint":          {"广告法用语", "Ad-law terms"},
	"prod.ok":            {"没有问题", "No issues"},
	"prod.loaded":        {"已载入中控台", "Loaded into the desk"},
	"prod.total":         {"总时长", "Total"},
	"err.title":          {"出错了", "Error"},
	"status.ready":       {"就绪", "Ready"},
	"status.sound_off":   {"无音频设备：仅视觉提示", "No audio device: visual cues only"},
	"prod.apply_segment": {"保存此环节", "Save segment"},
	"prod.select_first":  {"先在左侧选择一个环节", "Select a segment first"},
	"prod.undone":        {"已撤销", "Undone"},
	"prod.deleted":       {"已删除", "Deleted"},
}
