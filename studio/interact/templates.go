package interact

import "time"

// Cue is one step of an interaction template: what the host says at the
// script node and, where the step has one, the interaction to define.
type Cue struct {
	Step   int     `json:"step"`
	Name   string  `json:"name"`
	Line   string  `json:"line"`
	Coupon *Coupon `json:"coupon,omitempty"`
	Vote   *Vote   `json:"vote,omitempty"`
}

// FiveStepBeautyFlow is the five-step flow for beauty products: a
// time-limited coupon on the visual focus, an ingredient quiz, a review
// wall, a friend-assist gift and the host's own try-on. Ids are prefixed
// with prefix so a show can use the flow more than once.
func FiveStepBeautyFlow(prefix string) []Cue {
	c := Coupon{ID: prefix + "coupon", Name: "限时券 满199减30", Discount: "满199减30",
		FaceValue: 3000, Threshold: 19900, Stock: 500, PriceProtection: "7天价保"}.WithDefaults()
	v := Vote{ID: prefix + "quiz", Question: "这款精华的核心成分是？", Options: []string{"烟酰胺", "玻尿酸", "视黄醇"},
		Duration: 60 * time.Second, Mode: ModeDigits, ChangeRule: RuleFirst}
	return []Cue{
		{Step: 1, Name: "视觉聚焦+限时券", Line: "镜头推近看质地，限时券三分钟内有效", Coupon: &c},
		{Step: 2, Name: "成分问答", Line: "猜猜核心成分，扣1、扣2还是扣3？", Vote: &v},
		{Step: 3, Name: "好评弹幕墙", Line: "看看用过的姐妹怎么说"},
		{Step: 4, Name: "好友助力解锁赠品", Line: "邀请好友助力，解锁小样赠品"},
		{Step: 5, Name: "主播试用", Line: "我现在上脸试给大家看"},
	}
}

// FourStepModel is the host's four-step interaction model: ice-break →
// follow-up → push → close (破冰-承接-推进-收尾). The ice-break carries a
// two-option digit vote.
func FourStepModel(prefix string) []Cue {
	v := Vote{ID: prefix + "icebreak", Question: "今天想先看哪款？", Options: []string{"第一款", "第二款"},
		Duration: 45 * time.Second, Mode: ModeDigits, ChangeRule: RuleLast}
	return []Cue{
		{Step: 1, Name: "破冰", Line: "想先看哪款的扣1或扣2", Vote: &v},
		{Step: 2, Name: "承接", Line: "回应弹幕里的问题，接住大家的需求"},
		{Step: 3, Name: "推进", Line: "讲清楚价格和优惠，给出下单理由"},
		{Step: 4, Name: "收尾", Line: "提醒倒计时和库存，引导下单"},
	}
}
