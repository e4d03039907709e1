package timeline

import (
	"fmt"
	"strconv"
	"testing"
)

// TestAppendName: every kind's event name is written as strconv.AppendQuote of its name
// formatted with fmt.Sprintf, for zero, negative and large arguments.
func TestAppendName(t *testing.T) {
	for k := kind(0); k < kinds; k++ {
		l := &looks[k]
		for _, a := range [][3]int64{{0, 0, 0}, {7, 12, 3}, {-1, -40, 0}, {1 << 40, 123456789, 5}} {
			e := record{kind: k, a: a}
			var want []byte
			switch {
			case l.nameArg:
				want = strconv.AppendQuote(nil, fmt.Sprintf(l.name, a[0]))
			case k == kindRowTask:
				want = strconv.AppendQuote(nil, fmt.Sprintf(l.name, a[0], a[1]))
			default:
				want = strconv.AppendQuote(nil, l.name)
			}
			if got := appendName(nil, e, l); string(got) != string(want) {
				t.Errorf("kind %d, args %v: %s, want %s", k, a, got, want)
			}
		}
	}
}
