package rehearsal

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// class is a kind of viewer message the simulator writes.
type class int

const (
	clQuestion  class = iota // 这个尺码怎么选
	clBuy                    // 已拍, 上链接
	clPraise                 // 好用, 回购
	clComplaint              // 上次发货好慢
	clChat                   // 来了来了, 主播好
	clEmoji                  // ❤️❤️, [比心]
	clSpam                   // links, QR codes, contact handles
	clLottery                // 抽我抽我
	clLong                   // very long lines
	clMalformed              // invalid UTF-8
	clHostile                // script/style injection attempts
	nClass
)

var products = []string{"精华", "面霜", "粉底液", "防晒", "口红", "卫衣", "连衣裙", "牛仔裤", "洗面奶", "眼霜", "空气炸锅", "保温杯"}

var questions = []string{
	"这个尺码怎么选", "多少钱", "什么时候发货", "怎么用", "敏感肌能用吗", "有优惠券吗",
	"还有货吗", "主播身高多少", "可以试色吗", "保质期多久", "孕妇能用吗", "和上一款有什么区别",
	"包邮吗", "偏大还是偏小", "油皮适合吗", "能便宜点吗", "几号链接", "有赠品吗",
	"是正品吗", "可以退吗", "多久能到", "学生党能用吗", "干皮用会搓泥吗", "一盒能用多久",
	"黑色还有吗", "新疆发货吗", "怎么领券", "七天无理由吗", "有小样吗", "和专柜一样吗",
}

var questionTemplates = []string{
	"身高%d体重%d斤穿什么码", "%d斤穿M还是L", "%s多少钱", "%s怎么用", "%s敏感肌能用吗",
	"%s什么时候发货", "%s有几个色", "%s还有库存吗",
}

var buys = []string{
	"已拍", "想要", "拍了两单", "上链接", "已下单", "拍了拍了", "求链接", "我要我要",
	"1号链接已拍", "下单了等发货", "已拍，主播快发货", "给我妈也拍了一单", "库存没了吗？拍不了",
	"付款了", "又拍了一单", "抢到了！", "加购了", "蹲一个返场",
}

var praises = []string{
	"好用", "回购第三次了", "主播好美", "质量真的好", "上次买的很喜欢", "性价比高",
	"已经推荐给闺蜜了", "用了一个月皮肤变好了", "颜色好看", "面料很舒服", "老粉了，放心买",
	"物流很快", "客服态度好", "真的不踩雷", "家里人都说好", "比专柜便宜好多",
}

var complaints = []string{
	"上次发货好慢", "客服不回消息", "收到的有色差", "退货好麻烦", "等了一周还没到", "包装破了",
	"怎么又涨价了", "上次的赠品没收到", "尺码偏小，退了", "用了过敏", "链接怎么下架了", "券领不了",
}

var chats = []string{
	"来了来了", "主播好", "晚上好", "第一次来", "关注了", "哈哈哈哈", "666", "打卡",
	"主播今天好漂亮", "背景音乐叫什么", "声音小了", "卡了", "从上一场看到现在", "主播辛苦了",
	"姐妹们冲", "等半天了", "这个好", "看看", "嗯嗯", "今天有什么福利",
}

var emojis = []string{
	"❤️❤️❤️", "👍👍", "🔥🔥🔥", "😂", "[比心]", "[赞]", "🌹", "👏👏👏", "😍😍", "[玫瑰][玫瑰]",
	"💰", "🎉🎉", "🙏", "[捂脸]", "👀", "✨✨✨",
}

var spams = []string{
	"加微信 abc123 领福利", "www.xx.com 低价同款", "扫码领红包", "vx: shop8888 有内部价",
	"关注我的号每天抽奖", "http://t.cn/A6xYz9 免费领", "私信我 有内部价", "QQ群 123456789 进群领券",
	"淘口令 ￥Ab12Cd3￥ 打开淘宝", "加V：meiz_2024 一件代发", "https://m.example-shop.cn/item?id=77 便宜一半",
	"威信 lucky_668 返现", "➕薇 yy5566 代购", "扫我头像二维码领券", "直播间同款 👉 bit.ly/3xYz",
	"刷单兼职 日结 加q 987654321", "ｗｗｗ．ｘｘ．ｃｏｍ", "加微.信:a b c 1 2 3",
}

var lotteries = []string{
	"抽我抽我", "来个福袋", "关注主播抽免单", "我要中奖", "福袋福袋", "保佑中奖",
	"万人团冲冲冲", "点赞到10万抽免单", "许愿中一次", "求中",
}

var hostiles = []string{
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(document.cookie)>",
	"javascript:alert(1)",
	"<a href=\"javascript:alert(1)\">点我领券</a>",
	"</div><style>body{display:none}</style>",
	"\" style=\"background:url(javascript:alert(1))",
	"color:red;background-image:url(http://evil.example/x.png)",
	"<div style=\"position:fixed;top:0;left:0;width:100%;height:100%;background:red\">",
	"width:expression(alert(1))",
	"{{constructor.constructor('alert(1)')()}}",
	"<svg/onload=alert(1)>",
	"<iframe src=\"https://evil.example\"></iframe>",
	"'; DROP TABLE danmaku; --",
	"\u202e已拍\u202c 反转文字",
	"主\u200b播\u200b好\u200d看",
	"\x00\x1b[31m红字\x1b[0m",
	"Z̷̢̛̛̤̪̲̠͚̩̘̱͐̃̈́͐̇a̴̧̛͈͎̘̟͇̜͗͒̔̀̊l̸̨̺̞͉̝͕̬̃g̵̢̛̙͓͎̱̦͒̓o̷̟͎̱͂",
	"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
	"@import url(http://evil.example/x.css);",
	"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
}

// malformed are lines with invalid UTF-8: stray continuation bytes,
// truncated sequences, overlong encodings and encoded surrogates.
var malformed = []string{
	"好用\xff\xfe吗", "多少\xe4\xbd", "\xc0\xaf已拍", "\xed\xa0\x80主播", "上链接\x80\x80\x80",
	"\xf8\x88\x80\x80\x80", "尺码\xe6\x80", "\xfe\xff\x00h\x00i",
}

var longUnits = []string{"哈", "啊", "买买买", "👍", "好用", "回购第三次了", "主播好美", "想要想要"}

var floodTexts = []string{"抽我抽我", "上链接", "666", "来个福袋", "扣1", "主播好美", "想要", "关注主播抽免单", "哈哈哈哈哈"}

var nameHeads = []string{"小", "阿", "大", "momo", "草莓味的", "每天都想", "宝妈", "爱吃", "不吃", "快乐", "今天也要", "温柔的", "Lucky", "一只"}
var nameTails = []string{"鹿", "杰", "猫", "瘦", "丽丽", "橙子", "土豆", "小王", "鱼", "兔", "Cici", "Amy", "酱", "仙女"}

var hostileNames = []string{"<b>官方客服</b>", "<img src=x onerror=alert(1)>", "管理员\u202e", "加v abc123", "javascript:alert(1)"}

var giftNames = []struct {
	name   string
	amount int64 // 1/1000 CNY per gift
}{
	{"小心心", 0}, {"玫瑰", 100}, {"棒棒糖", 1000}, {"为你点亮", 1000}, {"比心", 1000},
	{"爱的纸鹤", 9900}, {"浪漫花火", 19900}, {"嘉年华", 3000000},
}

var voteFormats = []string{"%d", "扣%d", "%d%d%d", "选%d", "%d号", "扣%d扣%d", "%d！", "扣%s", "%s"}

var fullWidthDigits = []string{"０", "１", "２", "３", "４", "５", "６", "７", "８", "９"}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// text writes one message of class c.
func text(r *rand.Rand, c class) string {
	switch c {
	case clQuestion:
		if r.IntN(4) == 0 {
			t := pick(r, questionTemplates)
			switch {
			case strings.HasPrefix(t, "身高"):
				return strings.Replace(strings.Replace(t, "%d", strconv.Itoa(150+r.IntN(35)), 1), "%d", strconv.Itoa(85+r.IntN(90)), 1)
			case strings.HasPrefix(t, "%d"):
				return strings.Replace(t, "%d", strconv.Itoa(85+r.IntN(90)), 1)
			default:
				return strings.Replace(t, "%s", pick(r, products), 1)
			}
		}
		return pick(r, questions)
	case clBuy:
		return pick(r, buys)
	case clPraise:
		return pick(r, praises)
	case clComplaint:
		return pick(r, complaints)
	case clChat:
		return pick(r, chats)
	case clEmoji:
		s := pick(r, emojis)
		if r.IntN(3) == 0 {
			s = pick(r, chats) + s
		}
		return s
	case clSpam:
		return pick(r, spams)
	case clLottery:
		return pick(r, lotteries)
	case clLong:
		unit := pick(r, longUnits)
		n := 50 + r.IntN(600)
		var b strings.Builder
		for b.Len() < n*3 {
			b.WriteString(unit)
		}
		return b.String()
	case clMalformed:
		return pick(r, malformed)
	case clHostile:
		return pick(r, hostiles)
	}
	return pick(r, chats)
}

// voteText writes a vote for option d (1-based) in one of the usual forms.
func voteText(r *rand.Rand, d int) string {
	f := voteFormats[r.IntN(len(voteFormats))]
	ds := strconv.Itoa(d)
	switch {
	case f == "%d%d%d":
		return ds + ds + ds
	case f == "扣%d扣%d":
		return "扣" + ds + "扣" + ds
	case strings.Contains(f, "%s"):
		if d >= 0 && d <= 9 {
			ds = fullWidthDigits[d]
		}
		return strings.Replace(f, "%s", ds, 1)
	}
	return strings.Replace(f, "%d", ds, 1)
}

// viewerID is a stable opaque id for viewer index idx (< 2^32): a
// bijective scramble, so distinct indexes give distinct ids.
func viewerID(idx uint64) string {
	return "u" + strconv.FormatUint(uint64(uint32(idx)*2654435761), 36)
}

// viewerName is a stable display name for idx; in the hostile profile a few
// names are injection attempts too.
func viewerName(idx uint64, hostile bool) string {
	h := idx * 0x9E3779B97F4A7C15
	if hostile && h%23 == 0 {
		return hostileNames[(h>>8)%uint64(len(hostileNames))]
	}
	name := nameHeads[(h>>11)%uint64(len(nameHeads))] + nameTails[(h>>23)%uint64(len(nameTails))]
	if (h>>37)%3 == 0 {
		name += strconv.FormatUint((h>>41)%10000, 10)
	}
	return name
}
