package timeline

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// look is how a kind of event is written: its name (a format of its first argument when
// nameArg), category, phase, process, thread (fixed when tid is set), and the keys of its
// arguments, taken in order from the record's a, then b ("cycles" is the duration).
type look struct {
	name    string
	nameArg bool
	cat     string
	ph      byte
	pid     int
	tid     *int64
	args    []string
}

var (
	tid0     = int64(0)
	tidWaits = int64(-1)
)

// looks is the table of kinds.
var looks = [kinds]look{
	kindRowTask:        {name: "head %d row %d", cat: "front_end", ph: 'X', pid: pidFrontEnd, args: []string{"head", "row"}},
	kindStall:          {name: "stalled (FIFO full)", cat: "stall", ph: 'X', pid: pidFrontEnd, args: []string{"cycles"}},
	kindWait:           {name: "waiting for memory", cat: "wait", ph: 'X', pid: pidFrontEnd, args: []string{"cycles"}},
	kindSurvivor:       {name: "survivor", cat: "back_end", ph: 'X', pid: pidBackEnd, args: []string{"head", "row"}},
	kindNormalization:  {name: "normalization", cat: "back_end", ph: 'X', pid: pidBackEnd, args: []string{"head", "row"}},
	kindKeepMax:        {name: "row maximum and normalization", cat: "back_end", ph: 'X', pid: pidBackEnd, args: []string{"head", "row"}},
	kindFIFO:           {name: "fifo %d", nameArg: true, cat: "fifo", ph: 'C', pid: pidFIFO, tid: &tid0, args: []string{"", "entries"}},
	kindRequest:        {name: "tile %d", nameArg: true, cat: "dram", ph: 'X', pid: pidMemory, args: []string{"", "bytes", "first_data", "offset"}},
	kindBuffers:        {name: "K/V buffers in use", cat: "memory", ph: 'C', pid: pidMemory, tid: &tid0, args: []string{"buffers"}},
	kindBufferWait:     {name: "load waiting for a K/V buffer", cat: "memory", ph: 'X', pid: pidMemory, tid: &tidWaits, args: []string{"cycles"}},
	kindDependencyWait: {name: "load waiting for the previous layer", cat: "memory", ph: 'X', pid: pidMemory, tid: &tidWaits, args: []string{"cycles"}},
}

// WriteJSON writes the trace-event JSON: {"traceEvents": [...], "displayTimeUnit": "ns",
// "otherData": {...}}, the track names first, then the events in the order the run reported
// them (viewers sort them). Timestamps are in microseconds of the simulated clock (clockGHz).
// Events at or after the run's end (cycles) are bookkeeping the event engine may do after the
// last busy cycle, such as a buffer returning to the pool, and are left out. It streams the
// recording from its spill file, so w is best buffered or compressed by the caller only if it
// wants; WriteJSON buffers itself.
func (r *Recorder) WriteJSON(w io.Writer, clockGHz float64, cycles int64, about map[string]string) error {
	r.flushPending()
	bw := bufio.NewWriterSize(w, 1<<16)
	perUs := clockGHz * 1000
	us := func(b []byte, cycles int64) []byte {
		return strconv.AppendFloat(b, float64(cycles)/perUs, 'f', -1, 64)
	}
	if perUs == 1000 {
		us = appendMicros
	}
	bw.WriteString("{\"traceEvents\":[\n")
	r.writeTracks(bw)
	kept := 0
	err := r.spill.each(func(e record) error {
		if e.ts >= cycles {
			return nil
		}
		kept++
		// Formatted straight into the writer's free space when it fits (no copy).
		_, err := bw.Write(appendEvent(bw.AvailableBuffer(), e, us))
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{")
	keys := []string{"window_from_cycle", "window_to_cycle", "events", "truncated", "clock_ghz"}
	vals := map[string]string{"window_from_cycle": strconv.FormatInt(r.opt.From, 10),
		"window_to_cycle": strconv.FormatInt(r.opt.To, 10), "events": strconv.Itoa(kept),
		"truncated": strconv.FormatBool(r.truncated), "clock_ghz": strconv.FormatFloat(clockGHz, 'g', -1, 64)}
	for k, v := range about {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	sort.Strings(keys[5:])
	for i, k := range keys {
		if i > 0 {
			bw.WriteString(",")
		}
		fmt.Fprintf(bw, "%s:%s", quote(k), quote(vals[k]))
	}
	bw.WriteString("}}\n")
	return bw.Flush()
}

// exactMicros bounds the cycle counts appendMicros formats itself: below it a float64's spacing
// near cycles/1000 is under 2^-23, far finer than the 0.001 between 3-decimal numbers.
const exactMicros = 1 << 40

// appendMicros appends cycles/1000 as strconv.AppendFloat(b, float64(cycles)/1000, 'f', -1, 64)
// does (the microseconds of a 1 GHz clock), without the shortest-float search, which writing
// millions of timestamps would feel: for 0 <= cycles < exactMicros the decimal cycles/1000 (at
// most 3 fractional digits, trailing zeros dropped) is the shortest that rounds to the quotient,
// since any other of as few digits is 0.001 or more away and the quotient is within half a
// spacing of it (TestAppendMicros holds the two equal).
func appendMicros(b []byte, cycles int64) []byte {
	if cycles < 0 || cycles >= exactMicros {
		return strconv.AppendFloat(b, float64(cycles)/1000, 'f', -1, 64)
	}
	b = strconv.AppendInt(b, cycles/1000, 10)
	frac := cycles % 1000
	if frac == 0 {
		return b
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}

// shape is a kind's event laid out once: the constant text between its numbers, so that
// writing an event appends a few pieces instead of building each from the look (the bytes are
// those of appendEventPlain in the tests, which builds them from the look field by field).
type shape struct {
	// name is the quoted name, whole (nameArgs 0) or its text up to the first argument, then
	// nameRest the text after each argument, the closing quote included.
	name     string
	nameArgs int
	nameRest [2]string
	// ts runs from the name's end to the timestamp; tid from the timestamp to the thread, or
	// past it when the thread is fixed (fixedTid).
	ts, tid  string
	fixedTid bool
	dur      bool
	// args are the arguments: the text before each, and where its value is (0-2 a, 3 b, 4 the
	// duration).
	args []shapeArg
}

type shapeArg struct {
	text string
	val  int
}

// shapes is the layout of each kind, from looks.
var shapes = func() (s [kinds]shape) {
	for k := range s {
		l, sh := &looks[k], &s[k]
		parts := strings.Split(l.name, "%d")
		sh.nameArgs = len(parts) - 1
		sh.name = ",\n{\"name\":\"" + parts[0]
		if sh.nameArgs == 0 {
			sh.name += "\""
		}
		for i := 1; i < len(parts); i++ {
			sh.nameRest[i-1] = parts[i]
		}
		if sh.nameArgs > 0 {
			sh.nameRest[sh.nameArgs-1] += "\""
		}
		sh.ts = ",\"cat\":\"" + l.cat + "\",\"ph\":\"" + string(l.ph) + "\",\"ts\":"
		sh.tid = ",\"pid\":" + strconv.Itoa(l.pid) + ",\"tid\":"
		if l.tid != nil {
			sh.fixedTid = true
			sh.tid += strconv.FormatInt(*l.tid, 10)
		}
		sh.dur = l.ph == 'X'
		text := ",\"args\":{"
		for i, key := range l.args {
			if key == "" {
				continue
			}
			val := i
			if key == "cycles" {
				val = 4
			}
			sh.args = append(sh.args, shapeArg{text: text + "\"" + key + "\":", val: val})
			text = ","
		}
		if len(sh.args) == 0 {
			sh.args = append(sh.args, shapeArg{text: text, val: -1})
		}
	}
	return s
}()

// appendEvent appends one event, after a ",\n" that ends the event before it (the track names
// come first, so there always is one).
func appendEvent(b []byte, e record, us func([]byte, int64) []byte) []byte {
	sh := &shapes[e.kind]
	b = append(b, sh.name...)
	for i := 0; i < sh.nameArgs; i++ {
		b = strconv.AppendInt(b, e.a[i], 10)
		b = append(b, sh.nameRest[i]...)
	}
	b = append(b, sh.ts...)
	b = us(b, e.ts)
	b = append(b, sh.tid...)
	if !sh.fixedTid {
		b = strconv.AppendInt(b, e.tid, 10)
	}
	if sh.dur {
		b = append(b, ",\"dur\":"...)
		b = us(b, e.dur)
	}
	vals := [...]int64{e.a[0], e.a[1], e.a[2], e.b, e.dur}
	for _, a := range sh.args {
		b = append(b, a.text...)
		if a.val >= 0 {
			b = strconv.AppendInt(b, vals[a.val], 10)
		}
	}
	return append(b, "}}"...)
}

// writeTracks writes the names of the processes and threads ("M" events).
func (r *Recorder) writeTracks(bw *bufio.Writer) {
	first := true
	meta := func(pid int, tid int64, what, name string) {
		if !first {
			bw.WriteString(",\n")
		}
		first = false
		fmt.Fprintf(bw, `{"name":%s,"ph":"M","pid":%d,"tid":%d,"args":{"name":%s}}`, quote(what), pid, tid, quote(name))
	}
	meta(pidFrontEnd, 0, "process_name", "front-end units (row tasks)")
	meta(pidBackEnd, 0, "process_name", "back-end units (exp, multipliers, normalization)")
	meta(pidFIFO, 0, "process_name", "survivor FIFOs")
	meta(pidMemory, 0, "process_name", "memory (DRAM requests per channel and slot, K/V buffers)")
	slotName := func(base string, slot int) string {
		if slot == 0 {
			return base
		}
		return fmt.Sprintf("%s (slot %d)", base, slot)
	}
	for u := 0; u < r.units; u++ {
		meta(pidFrontEnd, int64(u), "thread_name", fmt.Sprintf("unit %d", u))
		for stage, what := range []string{"survivors", "normalization"} {
			group := u<<2 | stage
			for s := 0; s < max(1, r.backEnd.used(group)); s++ {
				meta(pidBackEnd, int64(group)<<slotBits|int64(s), "thread_name", slotName(fmt.Sprintf("unit %d %s", u, what), s))
			}
		}
	}
	for c := 0; c < r.dram.groups(); c++ {
		for s := 0; s < max(1, r.dram.used(c)); s++ {
			meta(pidMemory, int64(c)<<slotBits|int64(s), "thread_name", slotName(fmt.Sprintf("channel %d", c), s))
		}
	}
	meta(pidMemory, -1, "thread_name", "buffer waits")
}

// quote is s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Gzipped reports whether a timeline file's name asks for it gzipped (it ends in ".gz"), which
// Perfetto opens as it opens the JSON.
func Gzipped(path string) bool { return strings.HasSuffix(path, ".gz") }

// WriteGzip writes the trace-event JSON of WriteJSON gzipped.
func (r *Recorder) WriteGzip(w io.Writer, clockGHz float64, cycles int64, about map[string]string) error {
	zw := gzip.NewWriter(w)
	if err := r.WriteJSON(zw, clockGHz, cycles, about); err != nil {
		return err
	}
	return zw.Close()
}
