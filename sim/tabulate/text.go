package tabulate

import (
	"strings"
	"unicode/utf8"
)

// DefaultWidth is the line width of the text format when none is given: a terminal's, or a
// README's code block.
const DefaultWidth = 100

// Columns is a table laid out as aligned plain text for a terminal (the text format of table
// and compare): column titles wrapped onto as many lines as their cells are wide, cells padded
// to their column, numbers right-aligned, and, where the columns do not fit in Width, the table
// cut into panels of columns, one under the other, each repeating the first Keys columns so
// that every line says which row it is.
type Columns struct {
	Header []string
	// Rows are the table's lines; a nil row is a rule between groups of lines.
	Rows [][]string
	// Right marks the right-aligned columns.
	Right func(col int) bool
	// Keys is the number of leading columns repeated in every panel.
	Keys int
	// Width is the widest a line may be (0: DefaultWidth); a key columns and one more column
	// wider than that make a wider line.
	Width int
}

// colGap separates two columns.
const colGap = "  "

// String renders the table.
func (c Columns) String() string {
	width := c.Width
	if width <= 0 {
		width = DefaultWidth
	}
	n := len(c.Header)
	widths := make([]int, n)
	for _, row := range c.Rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	titles := make([][]string, n)
	for i, h := range c.Header {
		for _, w := range strings.Fields(h) {
			widths[i] = max(widths[i], utf8.RuneCountInString(w))
		}
		titles[i] = wrapWords(h, widths[i])
	}
	keys := min(c.Keys, n)
	keyWidth := 0
	for i := range keys {
		keyWidth += widths[i] + len(colGap)
	}
	var panels [][]int
	var cur []int
	used := keyWidth
	for i := keys; i < n; i++ {
		if len(cur) > 0 && used+widths[i] > width {
			panels = append(panels, cur)
			cur, used = nil, keyWidth
		}
		cur = append(cur, i)
		used += widths[i] + len(colGap)
	}
	if len(cur) > 0 || len(panels) == 0 {
		panels = append(panels, cur)
	}
	var b strings.Builder
	for p, panel := range panels {
		if p > 0 {
			b.WriteString("\n")
		}
		cols := make([]int, 0, keys+len(panel))
		for i := range keys {
			cols = append(cols, i)
		}
		cols = append(cols, panel...)
		c.panel(&b, cols, widths, titles)
	}
	return b.String()
}

// panel writes the columns cols of every row.
func (c Columns) panel(b *strings.Builder, cols, widths []int, titles [][]string) {
	right := func(col int) bool { return c.Right != nil && c.Right(col) }
	line := func(cell func(col int) string) {
		var l strings.Builder
		for k, col := range cols {
			if k > 0 {
				l.WriteString(colGap)
			}
			s := cell(col)
			fill := strings.Repeat(" ", max(0, widths[col]-utf8.RuneCountInString(s)))
			if right(col) {
				l.WriteString(fill + s)
			} else {
				l.WriteString(s + fill)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	height := 0
	for _, col := range cols {
		height = max(height, len(titles[col]))
	}
	// Titles sit on the rule: a short one takes the last lines.
	for h := range height {
		line(func(col int) string {
			t := titles[col]
			if i := h - (height - len(t)); i >= 0 {
				return t[i]
			}
			return ""
		})
	}
	rule := func(col int) string { return strings.Repeat("-", widths[col]) }
	line(rule)
	for _, row := range c.Rows {
		if row == nil {
			line(rule)
			continue
		}
		line(func(col int) string {
			if col < len(row) {
				return row[col]
			}
			return ""
		})
	}
}

// wrapWords breaks text into lines of at most width runes at spaces (a longer word stands
// alone).
func wrapWords(text string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width:
			out = append(out, line)
			line = w
		default:
			line += " " + w
		}
	}
	if line != "" || len(out) == 0 {
		out = append(out, line)
	}
	return out
}

// WrapText breaks text into lines of at most width bytes at spaces, each ending in a newline
// (the notes under a text table).
func WrapText(text string, width int) string {
	if width <= 0 {
		width = DefaultWidth
	}
	return wrap(text, width)
}
