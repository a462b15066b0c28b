package scripts

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studiodesk/studio/interact"
)

const ixShowYAML = `id: ix
title: 互动测试
segments:
  - id: open
    title: 开场
    kind: opening
    duration: 1m
  - id: c1-node
    title: 发券
    kind: interaction
    duration: 3m
    interaction: c1
  - id: v1-node
    title: 投票
    kind: interaction
    duration: 2m
    interaction: v1
  - id: c2-node
    title: 满赠
    kind: interaction
    duration: 3m
    interaction: c2
  - id: v2-node
    title: 问答
    kind: interaction
    duration: 1m
    interaction: v2
coupons:
  - id: c1
    name: 精华液限时券
    discount: 满199减30
    face_value: 30
    threshold: 199
    stock: 500
    per_viewer: 1
    window: 3m
    price_protection: 直播间价保15天
  - id: c2
    name: 满赠礼盒券
    face_value: 0
    threshold: 299.5
    stock: 100
votes:
  - id: v1
    question: 下一支试什么色？
    options: [豆沙色, 正红色, 奶茶色]
    duration: 2m
    mode: digits
    change_rule: first
  - id: v2
    question: 核心成分是？
    options: [烟酰胺, 玻尿酸]
    duration: 45s
    mode: platform
    change_rule: last
`

func wantIx() ([]interact.Coupon, []interact.Vote) {
	return []interact.Coupon{
			{ID: "c1", Name: "精华液限时券", Discount: "满199减30", FaceValue: 3000, Threshold: 19900, Stock: 500, PerViewer: 1, Window: 3 * time.Minute, PriceProtection: "直播间价保15天"},
			{ID: "c2", Name: "满赠礼盒券", FaceValue: 0, Threshold: 29950, Stock: 100, PerViewer: 1, Window: interact.DefaultWindow},
		}, []interact.Vote{
			{ID: "v1", Question: "下一支试什么色？", Options: []string{"豆沙色", "正红色", "奶茶色"}, Duration: 2 * time.Minute, Mode: "digits", ChangeRule: "first"},
			{ID: "v2", Question: "核心成分是？", Options: []string{"烟酰胺", "玻尿酸"}, Duration: 45 * time.Second, Mode: "platform", ChangeRule: "last"},
		}
}

func TestYAMLInteractionsLoad(t *testing.T) {
	s, err := LoadYAML("ix.yaml", []byte(ixShowYAML))
	if err != nil {
		t.Fatal(err)
	}
	c, v := wantIx()
	if !reflect.DeepEqual(s.Coupons, c) || !reflect.DeepEqual(s.Votes, v) {
		t.Fatalf("got\n%+v\n%+v", s.Coupons, s.Votes)
	}
	if got, _ := s.FindInteraction(s.Segments[1].Interaction); got == nil || got.ID != "c1" {
		t.Fatalf("node c1-node names %v", got)
	}
	// Save → load gives the same show.
	data, err := SaveYAML(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadYAML("saved.yaml", data)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip: %v\n%s", err, data)
	}
}

func TestYAMLBadInteractionsNamed(t *testing.T) {
	for _, c := range []struct {
		name, from, to, want string
		is                   error
	}{
		{"stock 0", "stock: 500", "stock: 0", `ix.yaml:34: coupon "精华液限时券": stock: 0: must be at least 1`, interact.ErrInvalid},
		{"6 options", "[烟酰胺, 玻尿酸]", "[a, b, c, d, e, f]", `ix.yaml:52: vote "v2": options: 6: must be 2 to 5`, interact.ErrInvalid},
		{"unknown node reference", "interaction: v2", "interaction: v9", `ix.yaml:27: segment "问答": interaction "v9": names no coupon or vote defined in the show`, ErrUnknownInteraction},
		{"duplicate id", "  - id: v2\n", "  - id: c2\n", `ix.yaml:50: vote "c2": id: "c2": duplicate interaction id (first at line 38)`, ErrDuplicateInteraction},
		{"negative threshold", "threshold: 299.5", "threshold: -5", `ix.yaml:41: coupon "满赠礼盒券": threshold: -500: must not be negative`, interact.ErrInvalid},
		{"bad money", "face_value: 30", "face_value: 三十", `ix.yaml:32: coupon 1 face_value "三十": not a valid value (want an amount in yuan, e.g. 30 or 29.9)`, ErrBadValue},
		{"unknown field", "    per_viewer: 1\n", "    per_user: 1\n", `ix.yaml:35: unknown field "per_user"`, ErrUnknownField},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(ixShowYAML, c.from, c.to, 1)
			if src == ixShowYAML {
				t.Fatal("edit did not apply")
			}
			_, err := LoadYAML("ix.yaml", []byte(src))
			if err == nil || err.Error() != c.want || !errors.Is(err, c.is) {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}

// ixWorkbook builds the run sheet of ixShowYAML by hand, as a producer
// would type it, with edit applied to the 互动 sheet.
func ixWorkbook(t *testing.T, edit func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "脚本"))
	rows := [][]any{
		{"序号", "环节", "类型", "时长", "互动"},
		{"open", "开场", "开场", "1m"},
		{"c1-node", "发券", "互动", "3m", "c1"},
		{"v1-node", "投票", "互动", "2m", "v1"},
		{"c2-node", "满赠", "互动", "3m", "c2"},
		{"v2-node", "问答", "互动", "1m", "v2"},
	}
	for i, r := range rows {
		must(f.SetSheetRow("脚本", "A"+itoa(i+1), &r))
	}
	_, err := f.NewSheet("节目")
	must(err)
	must(f.SetSheetRow("节目", "A1", &[]any{"编号", "ix"}))
	must(f.SetSheetRow("节目", "A2", &[]any{"标题", "互动测试"}))
	_, err = f.NewSheet("互动")
	must(err)
	ix := [][]any{
		{"编号", "类型", "名称", "满减规则", "面额", "门槛", "库存", "每人限领", "时长", "价保", "问题", "选项", "方式", "改票"},
		{"c1", "优惠券", "精华液限时券", "满199减30", "30", "199", "500", "1", "3m", "直播间价保15天"},
		{"c2", "优惠券", "满赠礼盒券", "", "0", "299.5", "100"},
		{"v1", "投票", "", "", "", "", "", "", "2m", "", "下一支试什么色？", "豆沙色|正红色|奶茶色", "弹幕数字", "首票"},
		{"v2", "投票", "", "", "", "", "", "", "45s", "", "核心成分是？", "烟酰胺｜玻尿酸", "平台投票", "末票"},
	}
	for i, r := range ix {
		must(f.SetSheetRow("互动", "A"+itoa(i+1), &r))
	}
	if edit != nil {
		edit(f)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func itoa(i int) string { return cellName(1, i)[1:] }

func TestXLSXInteractionsLoad(t *testing.T) {
	s, err := ImportXLSX("ix.xlsx", bytes.NewReader(ixWorkbook(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c, v := wantIx()
	if !reflect.DeepEqual(s.Coupons, c) || !reflect.DeepEqual(s.Votes, v) {
		t.Fatalf("got\n%+v\n%+v", s.Coupons, s.Votes)
	}
	if s.Segments[3].Interaction != "c2" {
		t.Fatalf("node %+v", s.Segments[3])
	}
	// Export → import gives the same show; the YAML twin is equal too.
	var buf bytes.Buffer
	if err := ExportXLSX(s, &buf); err != nil {
		t.Fatal(err)
	}
	back, err := ImportXLSX("ix.xlsx", &buf)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip: %v\n%+v", err, back)
	}
	y, _ := LoadYAML("ix.yaml", []byte(ixShowYAML))
	if !reflect.DeepEqual(y.Coupons, s.Coupons) || !reflect.DeepEqual(y.Votes, s.Votes) {
		t.Fatal("the XLSX and YAML twins differ")
	}
}

func TestXLSXBadInteractionsNamed(t *testing.T) {
	set := func(sheet, cell, v string) func(*excelize.File) {
		return func(f *excelize.File) { _ = f.SetCellStr(sheet, cell, v) }
	}
	for _, c := range []struct {
		name string
		edit func(*excelize.File)
		want string
	}{
		{"stock 0", set("互动", "G2", "0"), `ix.xlsx: 互动!G2: coupon "精华液限时券": stock: 0: must be at least 1`},
		{"6 options", set("互动", "L5", "a|b|c|d|e|f"), `ix.xlsx: 互动!L5: vote "v2": options: 6: must be 2 to 5`},
		{"unknown node reference", set("脚本", "E6", "v9"), `ix.xlsx: 脚本!E6: segment "问答": interaction "v9": names no coupon or vote defined in the show`},
		{"duplicate id", set("互动", "A5", "c2"), `ix.xlsx: 互动!A5: vote "c2": id: "c2": duplicate interaction id (first at A3)`},
		{"negative threshold", set("互动", "F3", "-5"), `ix.xlsx: 互动!F3: coupon "满赠礼盒券": threshold: -500: must not be negative`},
		{"bad kind", set("互动", "B4", "抽奖"), `ix.xlsx: 互动!B4: "抽奖": not a valid value (want 优惠券/发券/券 or 投票)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ImportXLSX("ix.xlsx", bytes.NewReader(ixWorkbook(t, c.edit)))
			if err == nil || err.Error() != c.want {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}

func TestYuan(t *testing.T) {
	for in, want := range map[string]int64{"30": 3000, "29.9": 2990, "¥199": 19900, "0.05": 5, "-5": -500, "": 0} {
		got, err := ParseYuan(in)
		if err != nil || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v", in, got, err)
		}
		if in != "" && in[0] != 0xc2 {
			if back, _ := ParseYuan(FormatYuan(got)); back != got {
				t.Errorf("FormatYuan(%d) = %q", got, FormatYuan(got))
			}
		}
	}
	for _, bad := range []string{"1.234", "abc", "NaN", "1e12"} {
		if _, err := ParseYuan(bad); err == nil {
			t.Errorf("ParseYuan(%q) accepted", bad)
		}
	}
}

// The complete example of docs/script-format.md loads, with its 2 coupons
// and 2 votes attached to their nodes.
func TestDocsInteractionsExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../docs/script-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Interactions: coupons and votes")
	if !ok {
		t.Fatal("docs: no interactions section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("docs: no YAML example")
	}
	s, err := LoadYAML("script-format.md", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Coupons) != 2 || len(s.Votes) != 2 {
		t.Fatalf("%d coupons, %d votes", len(s.Coupons), len(s.Votes))
	}
	for _, g := range s.Segments {
		if g.Kind == KindInteraction {
			if c, v := s.FindInteraction(g.Interaction); c == nil && v == nil {
				t.Fatalf("node %s names %q", g.ID, g.Interaction)
			}
		}
	}
}

// FuzzXLSXInteractSheet types anything into the 互动 sheet's cells: the
// import either fails with a located error or loads a show that exports
// and imports back unchanged.
func FuzzXLSXInteractSheet(f *testing.F) {
	f.Add("c1", "优惠券", "30", "199", "500", "3m", "a|b")
	f.Add("v1", "投票", "-1", "x", "0", "1:30", "a|b|c|d|e|f")
	f.Add("", "vote", "1e3", "0x1p-2", "9999999999", "25h", "|")
	f.Fuzz(func(t *testing.T, id, kind, face, threshold, stock, dur, opts string) {
		data := ixWorkbook(t, func(x *excelize.File) {
			for cell, v := range map[string]string{"A2": id, "B2": kind, "E2": face, "F2": threshold, "G2": stock, "I2": dur, "L2": opts} {
				_ = x.SetCellStr("互动", cell, v)
			}
		})
		s, err := ImportXLSX("fuzz.xlsx", bytes.NewReader(data))
		if err != nil {
			var le *LoadError
			if s != nil || !errors.As(err, &le) {
				t.Fatalf("error %v (show %v)", err, s)
			}
			return
		}
		var buf bytes.Buffer
		if err := ExportXLSX(s, &buf); err != nil {
			t.Fatalf("loaded show does not export: %v", err)
		}
		back, err := ImportXLSX("fuzz.xlsx", &buf)
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, back, s)
		}
	})
}

// An option the 选项 cell could not hold is refused on export, not split.
func TestXLSXExportRefusesSeparatorInOption(t *testing.T) {
	s, err := LoadYAML("ix.yaml", []byte(strings.Replace(ixShowYAML, "[豆沙色, 正红色, 奶茶色]", "[豆沙色, \"红|橙\", 奶茶色]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ExportXLSX(s, &buf); err == nil || !strings.Contains(err.Error(), `vote "v1": option 2 "红|橙"`) {
		t.Fatalf("export: %v", err)
	}
}
