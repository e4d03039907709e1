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

// TestAppendMicros: appendMicros writes what strconv.AppendFloat writes for cycles/1000, for
// every count below two million, around powers of ten and two, at and past its bound, for
// negative counts, and for pseudo-random counts up to the bound.
func TestAppendMicros(t *testing.T) {
	check := func(c int64) {
		want := strconv.AppendFloat(nil, float64(c)/1000, 'f', -1, 64)
		if got := appendMicros(nil, c); string(got) != string(want) {
			t.Fatalf("cycles %d: %s, want %s", c, got, want)
		}
	}
	for c := int64(0); c < 2_000_000; c++ {
		check(c)
	}
	for p := int64(1); p < 1<<62; p *= 10 {
		for d := int64(-3); d <= 3; d++ {
			check(p + d)
		}
	}
	for s := 0; s < 63; s++ {
		for d := int64(-3); d <= 3; d++ {
			check(1<<s + d)
		}
	}
	for _, c := range []int64{-1, -999, -1000, -1234567, exactMicros - 1, exactMicros, exactMicros + 1, 1 << 53, 1<<63 - 1} {
		check(c)
	}
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < 1_000_000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		check(int64(x % exactMicros))
	}
}
