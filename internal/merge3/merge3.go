package merge3

import (
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Conflict is a region both sides changed differently. Lines keep their
// line endings; line numbers are 1-based and point at the region's first
// line in each version (for an empty region, the line it would precede).
type Conflict struct {
	BaseLine   int      `json:"base_line"`
	OursLine   int      `json:"ours_line"`
	TheirsLine int      `json:"theirs_line"`
	Base       []string `json:"base"`
	Ours       []string `json:"ours"`
	Theirs     []string `json:"theirs"`
}

// Merge merges ours and theirs, both edits of base. Without conflicts it
// returns the merged text; with conflicts the text is "" and the conflicts
// list every region both changed differently.
func Merge(base, ours, theirs string) (string, []Conflict) {
	b, o, t := Lines(base), Lines(ours), Lines(theirs)
	var out strings.Builder
	var conflicts []Conflict
	bi, oi, ti := 0, 0, 0
	for _, r := range syncRegions(b, o, t) {
		// The unstable region before this sync region.
		bc, oc, tc := b[bi:r.base], o[oi:r.ours], t[ti:r.theirs]
		switch {
		case slices.Equal(oc, bc):
			write(&out, tc)
		case slices.Equal(tc, bc), slices.Equal(oc, tc):
			write(&out, oc)
		default:
			conflicts = append(conflicts, Conflict{BaseLine: bi + 1, OursLine: oi + 1, TheirsLine: ti + 1, Base: bc, Ours: oc, Theirs: tc})
		}
		write(&out, b[r.base:r.base+r.size])
		bi, oi, ti = r.base+r.size, r.ours+r.size, r.theirs+r.size
	}
	if len(conflicts) > 0 {
		return "", conflicts
	}
	return out.String(), nil
}

// region is a run of lines the same in all three versions.
type region struct{ base, ours, theirs, size int }

// syncRegions intersects the matches of base/ours and base/theirs. The
// last region is the empty one at the ends of the three texts.
func syncRegions(b, o, t []string) []region {
	mo := difflib.NewMatcherWithJunk(b, o, false, nil).GetMatchingBlocks()
	mt := difflib.NewMatcherWithJunk(b, t, false, nil).GetMatchingBlocks()
	var out []region
	i, j := 0, 0
	for i < len(mo) && j < len(mt) {
		x, y := mo[i], mt[j]
		lo, hi := max(x.A, y.A), min(x.A+x.Size, y.A+y.Size)
		if lo < hi {
			out = append(out, region{base: lo, ours: x.B + lo - x.A, theirs: y.B + lo - y.A, size: hi - lo})
		}
		if x.A+x.Size < y.A+y.Size {
			i++
		} else {
			j++
		}
	}
	return append(out, region{base: len(b), ours: len(o), theirs: len(t)})
}

// Lines splits text into lines that keep their "\n".
func Lines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func write(sb *strings.Builder, lines []string) {
	for _, l := range lines {
		sb.WriteString(l)
	}
}
