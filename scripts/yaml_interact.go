package scripts

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"studiodesk/studio/interact"
)

// YAML fields of a coupon and a vote (docs/script-format.md).
var (
	couponFields = []string{"id", "name", "discount", "face_value", "threshold", "stock", "per_viewer", "window", "price_protection"}
	voteFields   = []string{"id", "question", "options", "duration", "mode", "change_rule"}
)

// ixLines remembers where each coupon and vote came from.
type ixLines struct {
	coupons []lines
	votes   []lines
}

func (d *yamlDecoder) coupons(s *Show, v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return d.fail(v, "", "coupons", errf("e.want_list", ErrBadValue))
	}
	for i, n := range v.Content {
		var c interact.Coupon
		d.ix.coupons = append(d.ix.coupons, lines{})
		what := "coupon " + strconv.Itoa(i+1)
		err := d.mapping(n, what, "", &d.ix.coupons[i], couponFields, func(key string, v *yaml.Node) error {
			field := what + " " + key
			var err error
			switch key {
			case "id":
				c.ID, err = d.str(v, "", field)
			case "name":
				c.Name, err = d.str(v, "", field)
			case "discount":
				c.Discount, err = d.str(v, "", field)
			case "price_protection":
				c.PriceProtection, err = d.str(v, "", field)
			case "face_value", "threshold":
				var t string
				if t, err = d.str(v, "", field); err != nil {
					return err
				}
				cents, perr := ParseYuan(t)
				if perr != nil {
					return d.fail(v, "", field, perr)
				}
				if key == "face_value" {
					c.FaceValue = cents
				} else {
					c.Threshold = cents
				}
			case "stock", "per_viewer":
				var t string
				if t, err = d.str(v, "", field); err != nil {
					return err
				}
				n, perr := parseCount(t)
				if perr != nil {
					return d.fail(v, "", field, perr)
				}
				if key == "stock" {
					c.Stock = n
				} else {
					c.PerViewer = n
				}
			case "window":
				c.Window, err = d.dur(v, "", field)
			}
			return err
		})
		if err != nil {
			return err
		}
		s.Coupons = append(s.Coupons, c.WithDefaults())
	}
	return nil
}

func (d *yamlDecoder) votes(s *Show, v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return d.fail(v, "", "votes", errf("e.want_list", ErrBadValue))
	}
	for i, n := range v.Content {
		var vo interact.Vote
		d.ix.votes = append(d.ix.votes, lines{})
		what := "vote " + strconv.Itoa(i+1)
		err := d.mapping(n, what, "", &d.ix.votes[i], voteFields, func(key string, v *yaml.Node) error {
			field := what + " " + key
			var err error
			switch key {
			case "id":
				vo.ID, err = d.str(v, "", field)
			case "question":
				vo.Question, err = d.str(v, "", field)
			case "duration":
				vo.Duration, err = d.dur(v, "", field)
			case "mode":
				vo.Mode, err = d.str(v, "", field)
			case "change_rule":
				vo.ChangeRule, err = d.str(v, "", field)
			case "options":
				if v.Kind != yaml.SequenceNode {
					return d.fail(v, "", field, errf("e.want_list", ErrBadValue))
				}
				for _, o := range v.Content {
					t, err := d.str(o, "", field)
					if err != nil {
						return err
					}
					vo.Options = append(vo.Options, t)
				}
			}
			return err
		})
		if err != nil {
			return err
		}
		s.Votes = append(s.Votes, vo)
	}
	return nil
}

// locatedIx turns an interaction issue into a LoadError on the right line.
func (d *yamlDecoder) locatedIx(s *Show, iss *ixIssue) error {
	e := &LoadError{File: d.file, Err: iss.err}
	var l *lines
	switch iss.kind {
	case interact.KindCoupon:
		l = &d.ix.coupons[iss.index]
	case interact.KindVote:
		l = &d.ix.votes[iss.index]
	default:
		l = &d.segs[iss.index]
		e.Segment = segmentLabel(&s.Segments[iss.index], iss.index)
		e.Field = iss.field
	}
	e.Line = l.of(iss.field)
	if iss.dupOf >= 0 {
		first := d.ix.coupons
		if iss.dupK == interact.KindVote {
			first = d.ix.votes
		}
		e.Err = fmt.Errorf("%w (first at line %d)", iss.err, first[iss.dupOf].at)
	}
	return e
}

// interactionNodes encodes the show's coupons and votes for SaveYAML.
func interactionNodes(root *yaml.Node, s *Show) {
	if len(s.Coupons) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range s.Coupons {
			n := &yaml.Node{Kind: yaml.MappingNode}
			put(n, "id", str(c.ID))
			if c.Name != "" {
				put(n, "name", str(c.Name))
			}
			if c.Discount != "" {
				put(n, "discount", str(c.Discount))
			}
			put(n, "face_value", numNode(FormatYuan(c.FaceValue)))
			if c.Threshold != 0 {
				put(n, "threshold", numNode(FormatYuan(c.Threshold)))
			}
			put(n, "stock", numNode(strconv.Itoa(c.Stock)))
			put(n, "per_viewer", numNode(strconv.Itoa(c.PerViewer)))
			put(n, "window", str(FormatDuration(c.Window)))
			if c.PriceProtection != "" {
				put(n, "price_protection", str(c.PriceProtection))
			}
			seq.Content = append(seq.Content, n)
		}
		put(root, "coupons", seq)
	}
	if len(s.Votes) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, v := range s.Votes {
			n := &yaml.Node{Kind: yaml.MappingNode}
			put(n, "id", str(v.ID))
			put(n, "question", str(v.Question))
			opts := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, o := range v.Options {
				opts.Content = append(opts.Content, str(o))
			}
			put(n, "options", opts)
			put(n, "duration", str(FormatDuration(v.Duration)))
			if v.Mode != "" {
				put(n, "mode", str(v.Mode))
			}
			if v.ChangeRule != "" {
				put(n, "change_rule", str(v.ChangeRule))
			}
			seq.Content = append(seq.Content, n)
		}
		put(root, "votes", seq)
	}
}

func numNode(v string) *yaml.Node {
	tag := "!!int"
	if _, err := strconv.Atoi(v); err != nil {
		tag = "!!float"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}
