package scripts

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/interact"
)

// Every coupon and vote definition problem reads in Chinese in the Chinese
// UI (and as before in English), through the same Localize the importer
// and the editor use.
func TestInteractionProblemsTranslated(t *testing.T) {
	ok := interact.Coupon{ID: "c1", Name: "满199减30", Stock: 10, PerViewer: 1, Window: time.Minute, Threshold: 19900, FaceValue: 3000}
	okVote := interact.Vote{ID: "v1", Question: "选哪个", Options: []string{"A", "B"}, Duration: time.Minute}
	var errs []error
	for _, mod := range []func(*interact.Coupon){
		func(c *interact.Coupon) { c.ID = "" },
		func(c *interact.Coupon) { c.Stock = 0 },
		func(c *interact.Coupon) { c.Stock = interact.MaxStock + 1 },
		func(c *interact.Coupon) { c.Threshold = -1 },
		func(c *interact.Coupon) { c.FaceValue = 30000 },
		func(c *interact.Coupon) { c.PerViewer = 0 },
		func(c *interact.Coupon) { c.Window = -time.Second },
		func(c *interact.Coupon) { c.Window = 2 * time.Hour },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, mod := range []func(*interact.Vote){
		func(v *interact.Vote) { v.Question = "" },
		func(v *interact.Vote) { v.Options = []string{"A", "B", "C", "D", "E", "F"} },
		func(v *interact.Vote) { v.Options = []string{"A", ""} },
		func(v *interact.Vote) { v.Duration = 0 },
		func(v *interact.Vote) { v.Mode = "x" },
		func(v *interact.Vote) { v.ChangeRule = "x" },
	} {
		v := okVote
		mod(&v)
		if err := v.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) < 12 {
		t.Fatalf("only %d definitions refused", len(errs))
	}
	english := regexp.MustCompile(`must|empty|negative|positive|option|coupon|vote|stock`)
	for _, err := range errs {
		le := &LoadError{File: "ix.yaml", Line: 3, Err: err}
		zh, en := le.In(LangZH), le.In(LangEN)
		if english.MatchString(zh) {
			t.Errorf("untranslated: %s", zh)
		}
		if !strings.Contains(en, err.Error()) {
			t.Errorf("English %q lost the message %q", en, err.Error())
		}
	}
	for _, err := range []error{ErrUnknownInteraction, ErrDuplicateInteraction} {
		if english.MatchString(Localize(err, LangZH)) || Localize(err, LangZH) == err.Error() {
			t.Errorf("untranslated: %s", Localize(err, LangZH))
		}
	}
	if _, err := ParseYuan("abc"); err == nil || strings.Contains(Localize(err, LangZH), "want") {
		t.Errorf("yuan error %v", Localize(err, LangZH))
	}
}
