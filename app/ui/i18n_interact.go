package ui

// Messages of the interactions card, the host's interaction panel and the
// producer's interactions editor.
func init() {
	for k, v := range map[string][2]string{
		"ix.more":        {"还有 %d 个互动", "%d more"},
		"ix.none":        {"本场脚本没有定义互动（编导 › 互动）", "The show defines no interactions (Producer › Interactions)"},
		"ix.keep":        {"先不发", "Not now"},
		"ix.rule":        {"满%s减%s", "¥%s off ¥%s"},
		"ix.face":        {"立减%s元", "¥%s off"},
		"ix.queued":      {"平台未连接，已排队", "platform down: queued"},
		"ix.sending":     {"发送中", "sending"},
		"ix.options":     {"个选项", "options"},
		"ix.tag.coupon":  {"【券】", "[Coupon]"},
		"ix.tag.vote":    {"【投票】", "[Vote]"},
		"ix.host.coupon": {"优惠券", "Coupon"},
		"ix.host.vote":   {"投票", "Vote"},

		"ixe.at":          {"挂在", "at"},
		"ixe.tab":         {"互动", "Interactions"},
		"ixe.add_coupon":  {"新建优惠券", "New coupon"},
		"ixe.add_vote":    {"新建投票", "New vote"},
		"ixe.duplicate":   {"复制", "Duplicate"},
		"ixe.delete":      {"删除", "Delete"},
		"ixe.undo":        {"撤销", "Undo"},
		"ixe.attach":      {"挂到环节", "Attach to node"},
		"ixe.detach":      {"（不挂）", "(none)"},
		"ixe.template":    {"插入模板", "Insert template"},
		"ixe.five":        {"美妆五步法", "Five-step beauty flow"},
		"ixe.four":        {"互动四步法", "Four-step interaction model"},
		"ixe.id":          {"编号", "ID"},
		"ixe.name":        {"名称", "Name"},
		"ixe.discount":    {"满减规则", "Rule"},
		"ixe.face":        {"面额（元）", "Face value (¥)"},
		"ixe.threshold":   {"门槛（元）", "Threshold (¥)"},
		"ixe.stock":       {"库存", "Stock"},
		"ixe.per_viewer":  {"每人限领", "Per viewer"},
		"ixe.window":      {"决策时间", "Decision window"},
		"ixe.protection":  {"价保说明", "Price protection"},
		"ixe.question":    {"问题", "Question"},
		"ixe.options":     {"选项（每行一个，2-5个）", "Options (one a line, 2-5)"},
		"ixe.duration":    {"时长", "Duration"},
		"ixe.mode":        {"方式", "Mode"},
		"ixe.rule":        {"改票", "Change rule"},
		"ixe.mode.digits": {"弹幕扣数字", "Danmaku digits"},
		"ixe.mode.plat":   {"平台投票", "Platform poll"},
		"ixe.rule.first":  {"首票有效", "First vote counts"},
		"ixe.rule.last":   {"末票有效", "Last vote counts"},
		"ixe.ok":          {"✓ 有效", "✓ valid"},
		"ixe.empty":       {"选择或新建一个互动", "Select or create an interaction"},
		"ixe.apply":       {"应用到脚本", "Apply to script"},
	} {
		messages[k] = v
	}
}
