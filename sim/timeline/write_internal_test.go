package timeline

import (
	"fmt"
	"strconv"
	"strings"
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

// appendEventPlain is appendEvent as it was written before its pieces were laid out once per
// kind (shapes): the reference TestAppendEvent holds appendEvent to.
func appendEventPlain(b []byte, e record, us func([]byte, int64) []byte) []byte {
	l := &looks[e.kind]
	b = append(b, ",\n{\"name\":"...)
	b = appendName(b, e, l)
	b = append(b, ",\"cat\":\""...)
	b = append(b, l.cat...)
	b = append(b, "\",\"ph\":\""...)
	b = append(b, l.ph)
	b = append(b, "\",\"ts\":"...)
	b = us(b, e.ts)
	b = append(b, ",\"pid\":"...)
	b = strconv.AppendInt(b, int64(l.pid), 10)
	b = append(b, ",\"tid\":"...)
	tid := e.tid
	if l.tid != nil {
		tid = *l.tid
	}
	b = strconv.AppendInt(b, tid, 10)
	if l.ph == 'X' {
		b = append(b, ",\"dur\":"...)
		b = us(b, e.dur)
	}
	b = append(b, ",\"args\":{"...)
	vals := [...]int64{e.a[0], e.a[1], e.a[2], e.b}
	first := true
	for i, key := range l.args {
		if key == "" {
			continue
		}
		v := vals[i]
		if key == "cycles" {
			v = e.dur
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, "\":"...)
		b = strconv.AppendInt(b, v, 10)
	}
	return append(b, "}}"...)
}

// TestAppendEvent: appendEvent, from the shapes laid out once, writes the bytes of
// appendEventPlain, which builds them from the looks field by field, for every kind and for
// zero, negative and large numbers, with the 1 GHz timestamps and with another clock's.
func TestAppendEvent(t *testing.T) {
	other := func(b []byte, c int64) []byte { return strconv.AppendFloat(b, float64(c)/1234.5, 'f', -1, 64) }
	for k := kind(0); k < kinds; k++ {
		for _, e := range []record{
			{kind: k},
			{kind: k, ts: 1234567, dur: 89, tid: 3<<slotBits | 2, a: [3]int64{7, 12, 3}, b: 4096},
			{kind: k, ts: 1, dur: 1 << 41, tid: -1, a: [3]int64{-1, -40, -7}, b: -9},
		} {
			for _, us := range []func([]byte, int64) []byte{appendMicros, other} {
				want := appendEventPlain([]byte("x"), e, us)
				if got := appendEvent([]byte("x"), e, us); string(got) != string(want) {
					t.Errorf("kind %d, %+v: %s, want %s", k, e, got, want)
				}
			}
		}
	}
}

// appendName appends the quoted name of event e of look l (appendEventPlain's): the look's name, with its integer
// arguments in place of its %d verbs (the first, or for a row task the first two). The names are
// plain ASCII and the arguments integers, so nothing needs escaping: the bytes are those of
// strconv.AppendQuote(fmt.Sprintf(name, args...)), without the formatting machinery, which
// writing millions of events would feel (TestAppendName holds the two equal).
func appendName(b []byte, e record, l *look) []byte {
	b = append(b, '"')
	args := e.a[:0]
	if l.nameArg {
		args = e.a[:1]
	} else if e.kind == kindRowTask {
		args = e.a[:2]
	}
	name := l.name
	for _, v := range args {
		i := strings.Index(name, "%d")
		b = append(b, name[:i]...)
		b = strconv.AppendInt(b, v, 10)
		name = name[i+2:]
	}
	b = append(b, name...)
	return append(b, '"')
}
