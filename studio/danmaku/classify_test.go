package danmaku

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		text  string
		class Class
		topic string
		vote  int
	}{
		{"主播160斤穿什么码", Question, "尺码", 0},
		{"码数偏大吗", Question, "尺码", 0},
		{"这个多少钱", Question, "价格", 0},
		{"价格", Question, "价格", 0},
		{"什么时候发货", Question, "发货", 0},
		{"包邮吗？", Question, "发货", 0},
		{"快递", Question, "发货", 0},
		{"这个怎么用啊", Question, "用法", 0},
		{"敏感肌能用吗", Question, "用法", 0},
		{"黑色还有吗", Question, "库存", 0},
		{"是正品吗?", Question, "售后", 0},
		{"今天几号", Question, "", 0},
		{"主播是哪里人?", Question, "", 0},
		{"發貨了嗎", Question, "发货", 0},
		{"已拍", BuyIntent, "", 0},
		{"拍了拍了", BuyIntent, "", 0},
		{"想要黑色", BuyIntent, "", 0},
		{"冲冲冲", BuyIntent, "", 0},
		{"上链接", BuyIntent, "", 0},
		{"买了两件", BuyIntent, "", 0},
		{"下单了", BuyIntent, "", 0},
		{"上次买的没收到", Complaint, "", 0},
		{"退货怎么这么慢", Complaint, "", 0},
		{"差评", Complaint, "", 0},
		{"感觉是假货", Complaint, "", 0},
		{"太贵了", Complaint, "", 0},
		{"骗人的", Complaint, "", 0},
		{"不好用", Complaint, "", 0},
		{"好用", Praise, "", 0},
		{"喜欢这个颜色", Praise, "", 0},
		{"太漂亮了", Praise, "", 0},
		{"已经回购三次了", Praise, "", 0},
		{"推荐推荐", Praise, "", 0},
		{"1", Vote, "", 1},
		{"2", Vote, "", 2},
		{"扣1", Vote, "", 1},
		{"扣 2", Vote, "", 2},
		{"选3", Vote, "", 3},
		{"１", Vote, "", 1},
		{"扣１", Vote, "", 1},
		{"111", Vote, "", 1},
		{"扣一", Vote, "", 1},
		{"扣1！", Vote, "", 1},
		{"12", Other, "", 0},
		{"0", Other, "", 0},
		{"1111", Other, "", 0},
		{"88", Other, "", 0},
		{"22", Vote, "", 2},
		{"扣12", Other, "", 0},
		{"一", Other, "", 0},
		{"666", Other, "", 0},
		{"哈哈哈", Other, "", 0},
		{"", Other, "", 0},
	}
	for _, c := range cases {
		class, topic, vote := Classify(c.text)
		if class != c.class || topic != c.topic || vote != c.vote {
			t.Errorf("Classify(%q) = %v %q %d, want %v %q %d", c.text, class, topic, vote, c.class, c.topic, c.vote)
		}
	}
}

func TestClassString(t *testing.T) {
	if Question.String() != "question" || Vote.String() != "vote" || Class(99).String() != "unknown" {
		t.Fatal("class names")
	}
}
