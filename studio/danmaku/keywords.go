package danmaku

import (
	"bytes"
	"unicode/utf8"
)

// Keyword groups found in one pass over a match key.
const (
	gQuestion   = 1 << iota // strong question cue
	gBuy                    // buy intent
	gComplaint              // complaint
	gPraise                 // praise
	gContact                // contact word (needs an id or number next to it)
	gContactAdd             // "add me" phrase: spam on its own
	gQR                     // QR code mention
	gLinkPhrase             // "click the link" and similar
	gTopicBase              // first topic bit; topics follow in topicNames order
)

// topicNames are question topics in priority order: when a question names
// more than one, the first wins.
var topicNames = [...]string{"尺码", "价格", "发货", "用法", "库存", "材质", "颜色", "售后"}

var keywordGroups = []struct {
	group uint32
	words []string
}{
	{gQuestion, []string{"多少", "怎么", "什么", "啥时候", "有没有", "能不能", "可不可以", "是不是", "会不会",
		"要不要", "几号", "几天", "几点", "哪里", "哪个", "哪款", "哪天", "如何", "咋", "为啥", "为什么",
		"请问", "求问", "问下", "问一下", "多大", "多高", "多重", "多久", "多长"}},
	{gBuy, []string{"已拍", "拍了", "想要", "买了", "下单", "冲", "上链接", "要了", "已买", "抢到", "已付款",
		"付款了", "拍下", "入手", "我要", "求链接", "蹲", "已抢", "拍到"}},
	{gComplaint, []string{"退货", "退款", "差评", "假货", "骗", "太贵", "没收到", "还没发货", "不发货", "坑人",
		"垃圾", "质量差", "质量不好", "投诉", "举报", "智商税", "难用", "不好用", "破了", "坏了", "少发",
		"发错", "态度差", "割韭菜", "不喜欢", "不推荐", "虚假", "太差", "失望", "上当"}},
	{gPraise, []string{"好用", "喜欢", "漂亮", "回购", "推荐", "好看", "好美", "真好", "质量好", "爱了", "绝了",
		"好香", "舒服", "好吃", "赞", "棒", "种草", "好评", "不错", "超值", "显瘦", "爱死", "太美", "美哭",
		"值得", "宝藏"}},
	{gContact, []string{"微信", "威信", "薇信", "徽信", "维信", "卫信", "vx", "wx", "v信", "微x", "qq", "扣扣",
		"企鹅", "微号", "加我", "私聊", "私信", "联系我", "联系方式", "手机号", "电话", "tel", "飞机号",
		"tg", "纸飞机", "vx号", "wechat"}},
	{gContactAdd, []string{"加微信", "加威信", "加薇信", "加徽信", "加维信", "加vx", "加v信", "加wx", "加qq",
		"加扣扣", "加企鹅", "加我微信", "加我qq", "加我vx", "加好友", "看我主页", "主页有", "进群", "加群",
		"私聊我", "私我", "兼职", "日赚", "刷单"}},
	{gQR, []string{"二维码", "扫码", "扫一扫", "扫描"}},
	{gLinkPhrase, []string{"点击链接", "点链接", "戳链接", "复制链接", "复制打开", "淘口令", "复制口令", "短链接",
		"网址", "链接在", "打开链接", "点我头像"}},
	{gTopicBase << 0, []string{"尺码", "码数", "尺寸", "大码", "小码", "什么码", "多大码", "几码", "身高", "体重",
		"斤", "偏大", "偏小", "码子", "微胖", "腰围", "胸围", "穿多大", "多大"}},
	{gTopicBase << 1, []string{"多少钱", "价格", "价钱", "几块", "几元", "多少米", "到手价", "优惠", "便宜", "贵",
		"折扣", "券", "满减", "划算", "原价", "活动价"}},
	{gTopicBase << 2, []string{"发货", "快递", "包邮", "物流", "运费", "顺丰", "几天到", "到货", "邮费", "偏远",
		"配送", "发什么"}},
	{gTopicBase << 3, []string{"怎么用", "用法", "怎么洗", "怎么穿", "怎么吃", "怎么搭", "使用", "用量", "功效",
		"效果", "适合", "能用", "保质期", "孕妇", "怎么涂"}},
	{gTopicBase << 4, []string{"库存", "有货", "补货", "缺货", "没货", "售罄", "还有", "没抢到", "抢不到"}},
	{gTopicBase << 5, []string{"材质", "面料", "成分", "纯棉", "材料", "起球", "掉色", "过敏", "敏感肌", "透气"}},
	{gTopicBase << 6, []string{"颜色", "色号", "什么色", "几个色", "配色", "显白", "显黑"}},
	{gTopicBase << 7, []string{"售后", "退换", "七天", "无理由", "保修", "正品", "运费险", "质保", "发票"}},
}

type keyword struct {
	text  []byte
	group uint32
}

// kwIndex finds all keyword groups in a key with one table lookup per rune.
type kwIndex struct {
	low  []uint16 // rune < len(low) → 1-based index into lists, 0 = none
	high map[rune]uint16
	list [][]keyword
}

var keywords = buildKeywords()

func buildKeywords() *kwIndex {
	ix := &kwIndex{low: make([]uint16, 0xA000), high: map[rune]uint16{}}
	for _, g := range keywordGroups {
		for _, w := range g.words {
			r, _ := utf8.DecodeRuneInString(w)
			slot := ix.slot(r)
			if slot == 0 {
				ix.list = append(ix.list, nil)
				slot = uint16(len(ix.list))
				if int(r) < len(ix.low) {
					ix.low[r] = slot
				} else {
					ix.high[r] = slot
				}
			}
			ix.list[slot-1] = append(ix.list[slot-1], keyword{text: []byte(w), group: g.group})
		}
	}
	return ix
}

func (ix *kwIndex) slot(r rune) uint16 {
	if r >= 0 && int(r) < len(ix.low) {
		return ix.low[r]
	}
	return ix.high[r]
}

// groups returns the union of the groups of every keyword in key.
func (ix *kwIndex) groups(key []byte) uint32 {
	var m uint32
	for i := 0; i < len(key); {
		c := key[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRune(key[i:])
		}
		if s := ix.slot(r); s != 0 {
			for _, kw := range ix.list[s-1] {
				if m&kw.group == 0 && bytes.HasPrefix(key[i:], kw.text) {
					m |= kw.group
				}
			}
		}
		i += size
	}
	return m
}

// topicOf returns the first topic in the group mask, or "".
func topicOf(m uint32) string {
	for i := range topicNames {
		if m&(gTopicBase<<i) != 0 {
			return topicNames[i]
		}
	}
	return ""
}
