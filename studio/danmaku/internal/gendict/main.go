// Command gendict writes the danmaku segmenter's compact dictionary: gse's
// simplified Chinese dictionary (zh_s) exactly as gse loads it (duplicates
// dropped, alphanumerics lower-cased, rare words filtered, single
// characters at frequency 2), as sorted "word<TAB>frequency" lines,
// gzipped. Run it with go generate in studio/danmaku after a gse update.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/go-ego/gse"
)

func main() {
	out := flag.String("o", "dict/zh_s.txt.gz", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendict:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	var seg gse.Segmenter
	seg.SkipLog = true
	seg.Dict = gse.NewDict()
	seg.Init()
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		return fmt.Errorf("load gse zh_s: %w", err)
	}
	type entry struct {
		key  string
		freq uint32
	}
	toks := seg.Dict.Tokens
	entries := make([]entry, 0, len(toks))
	for i := range toks {
		k, f := toks[i].Text(), toks[i].Freq()
		if strings.ContainsAny(k, "\t\n") || k == "" {
			return fmt.Errorf("token %d %q: empty or has a tab or newline", i, k)
		}
		if f != math.Trunc(f) || f <= 0 || f > math.MaxUint32 {
			return fmt.Errorf("token %q: frequency %v is not a positive 32-bit integer", k, f)
		}
		entries = append(entries, entry{k, uint32(f)})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	for i := 1; i < len(entries); i++ {
		if entries[i].key == entries[i-1].key {
			return fmt.Errorf("duplicate key %q", entries[i].key)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	for _, e := range entries {
		bw.WriteString(e.key)
		bw.WriteByte('\t')
		bw.WriteString(strconv.FormatUint(uint64(e.freq), 10))
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d words, total frequency %.0f\n", out, len(entries), seg.Dict.TotalFreq())
	return nil
}
