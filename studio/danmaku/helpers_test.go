package danmaku

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// fakeClock advances only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mapSegmenter cuts by a fixed table, else into single runes; it keeps
// tests that are not about gse fast and exact.
type mapSegmenter map[string][]string

func (m mapSegmenter) Cut(text string) []string {
	if w, ok := m[text]; ok {
		return w
	}
	return strings.Split(text, "")
}

// kind labels generated messages so tests can check what happened to them.
type kind int

const (
	kQuestion kind = iota
	kBuy
	kPraise
	kComplaint
	kVote
	kHot
	kChatter
	kLink
	kContact
)

var (
	questions = []string{"主播%d斤穿什么码", "这个多少钱", "什么时候发货", "包邮吗？", "这个怎么用啊", "%s还有吗",
		"敏感肌能用吗", "有没有大码", "到手价多少", "发什么快递", "身高%d能穿吗", "保质期多久", "是正品吗?",
		"可以用券吗", "色号是多少", "偏大还是偏小"}
	buys       = []string{"已拍", "拍了拍了", "冲冲冲", "上链接", "想要%s", "已下单", "买了两件", "蹲一个链接"}
	praises    = []string{"好用", "质量很好 回购了", "太漂亮了", "主播好美", "推荐推荐", "喜欢这个颜色", "好看！", "爱了爱了"}
	complaints = []string{"上次买的没收到", "太贵了", "退货怎么这么慢", "差评 质量差", "感觉是假货"}
	votes      = []string{"1", "扣1", "扣2", "２", "111", "选3", "扣 1", "１"}
	hot        = []string{"主播好美", "666", "哈哈哈哈", "来了来了", "主播晚上好", "好好看"}
	links      = []string{"https://t.cn/A6xYz%d 领券", "ｗｗｗ．ｘｘ%d．ｃｏｍ 特价", "点击链接领红包%d", "买东西找 shop%d.top",
		"复制淘口令 ¥AbCd%04dXy¥", "www.haohuo%d.cn 便宜", "戳链接 %d 元购", "b i t . l y /x%d", "HTTP://x%d.cn"}
	contacts = []string{"加威信 abc%d", "微-信 vx%d88", "V.X: jk%d99", "加我qq %d5678", "1%d8001380%02d 联系我",
		"扫码进群领福利%d", "企鹅 8%d6655", "加薇信%d好友"}
	colours = []string{"黑色", "白色", "红色", "粉色", "蓝色"}
	chatter = []rune("的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坐集编宝谈府拉黑且随格尽剑讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷域读")
)

// streamGen produces a realistic mixed danmaku stream, deterministically.
type streamGen struct {
	r       *rand.Rand
	n       int
	viewers int
}

func newStreamGen(seed uint64) *streamGen {
	return &streamGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), viewers: 5000}
}

func (g *streamGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *streamGen) fill(f string) string {
	if !strings.Contains(f, "%") {
		return f
	}
	switch {
	case strings.Contains(f, "%s"):
		return fmt.Sprintf(f, g.pick(colours))
	case strings.Count(f, "%") == 2:
		return fmt.Sprintf(f, g.r.IntN(10), g.r.IntN(100))
	case strings.Contains(f, "斤"):
		return fmt.Sprintf(f, 90+g.r.IntN(80))
	case strings.Contains(f, "身高"):
		return fmt.Sprintf(f, 150+g.r.IntN(35))
	}
	return fmt.Sprintf(f, g.r.IntN(1000))
}

// next returns a message and its kind.
func (g *streamGen) next() (Message, kind) {
	g.n++
	var text string
	var k kind
	switch x := g.r.IntN(100); {
	case x < 22:
		k, text = kQuestion, g.fill(g.pick(questions))
	case x < 34:
		k, text = kBuy, g.fill(g.pick(buys))
	case x < 46:
		k, text = kPraise, g.pick(praises)
	case x < 50:
		k, text = kComplaint, g.pick(complaints)
	case x < 60:
		k, text = kVote, g.pick(votes)
	case x < 75:
		k, text = kHot, g.pick(hot)
	case x < 87:
		k = kChatter
		n := 4 + g.r.IntN(10)
		var b strings.Builder
		for range n {
			b.WriteRune(chatter[g.r.IntN(len(chatter))])
		}
		text = b.String()
	case x < 94:
		k, text = kLink, g.fill(g.pick(links))
	default:
		k, text = kContact, g.fill(g.pick(contacts))
	}
	v := g.r.IntN(g.viewers)
	if g.r.IntN(100) < 3 { // a handful of viewers flood the room
		v = g.viewers + g.r.IntN(5)
	}
	return Message{
		ID:         fmt.Sprintf("m%d", g.n),
		ViewerID:   fmt.Sprintf("u%d", v),
		ViewerName: fmt.Sprintf("观众%d", v),
		Text:       text,
	}, k
}
