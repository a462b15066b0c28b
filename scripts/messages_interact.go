package scripts

import (
	"fmt"
	"regexp"
	"strings"

	"studiodesk/studio/interact"
)

// localizeField says a coupon or vote definition problem in l.
func localizeField(e *interact.FieldError, l Lang) string {
	if l != LangZH {
		return e.Error()
	}
	kind := map[string]string{"coupon": "优惠券", "vote": "投票"}[e.Kind]
	if kind == "" {
		kind = e.Kind
	}
	field := ixFieldZH[e.Field]
	if field == "" {
		field = e.Field
	}
	s := fmt.Sprintf("%s“%s”：%s", kind, e.Label, field)
	if e.Value != nil {
		s += fmt.Sprintf("：%v", e.Value)
	}
	return s + "：" + whyZH(e.Why)
}

var ixFieldZH = map[string]string{"id": "编号", "name": "名称", "stock": "库存", "face_value": "面额",
	"threshold": "门槛", "per_viewer": "每人限领", "window": "决策时长", "question": "问题",
	"options": "选项", "duration": "时长", "mode": "方式", "change_rule": "改票"}

// The reasons interact's validation gives, and their Chinese.
var whyPatterns = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^empty$`), "为空"},
	{regexp.MustCompile(`^not valid UTF-8$`), "不是有效的 UTF-8 文本"},
	{regexp.MustCompile(`^must be at least (.+)$`), "至少为 $1"},
	{regexp.MustCompile(`^must be at most (\d+) bytes$`), "最多 $1 字节"},
	{regexp.MustCompile(`^must be at most (.+)$`), "最多为 $1"},
	{regexp.MustCompile(`^must not be negative$`), "不能为负数"},
	{regexp.MustCompile(`^must be below the threshold (.+)$`), "须低于门槛 $1"},
	{regexp.MustCompile(`^must be positive \(default (.+)\)$`), "须大于 0（默认 $1）"},
	{regexp.MustCompile(`^must be positive$`), "须大于 0"},
	{regexp.MustCompile(`^must be (\d+) to (\d+)$`), "须为 $1 到 $2 个"},
	{regexp.MustCompile(`^option (\d+): empty$`), "第 $1 项为空"},
	{regexp.MustCompile(`^must be "digits" or "platform"$`), "须为 弹幕数字（digits）或 平台投票（platform）"},
	{regexp.MustCompile(`^must be "first" or "last"$`), "须为 首票（first）或 末票（last）"},
}

func whyZH(why string) string {
	for _, p := range whyPatterns {
		if p.re.MatchString(why) {
			return p.re.ReplaceAllString(why, p.zh)
		}
	}
	return strings.TrimSpace(why)
}
