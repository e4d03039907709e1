package tabulate

import (
	"strings"
	"testing"
)

// TestColumns: the text layout aligns the columns (numbers right), wraps the titles onto lines
// as wide as their cells, draws a rule for a nil row, and cuts a table wider than Width into
// panels that repeat the key columns.
func TestColumns(t *testing.T) {
	c := Columns{
		Header: []string{"name", "speedup (geomean)", "note"},
		Rows:   [][]string{{"a", "1.50x", "first"}, nil, {"bbb", "12.25x", "x"}},
		Right:  func(col int) bool { return col == 1 },
		Keys:   1,
	}
	for _, tc := range []struct {
		width int
		want  string
	}{
		{100, `        speedup
name  (geomean)  note
----  ---------  -----
a         1.50x  first
----  ---------  -----
bbb      12.25x  x
`},
		{17, `        speedup
name  (geomean)
----  ---------
a         1.50x
----  ---------
bbb      12.25x

name  note
----  -----
a     first
----  -----
bbb   x
`},
	} {
		c.Width = tc.width
		got := c.String()
		if got != tc.want {
			t.Errorf("width %d:\n%s\nwant\n%s", tc.width, got, tc.want)
		}
		for _, l := range strings.Split(got, "\n") {
			if len(l) > tc.width {
				t.Errorf("width %d: line %q", tc.width, l)
			}
		}
	}
}
