package data

import (
	"slices"
	"strings"
	"testing"
)

func TestNaturalCompare(t *testing.T) {
	got := []string{"qa10", "qa2", "qa1", "qa11", "qa02", "b", "a10b", "a9b", "a", "qa1x"}
	slices.SortFunc(got, NaturalCompare)
	want := []string{"a", "a9b", "a10b", "b", "qa1", "qa1x", "qa02", "qa2", "qa10", "qa11"}
	if !slices.Equal(got, want) {
		t.Errorf("natural order %v, want %v", got, want)
	}
}

// TestNaturalNames: the bundled traces in natural order list qa2 before qa10.
func TestNaturalNames(t *testing.T) {
	names := NaturalNames()
	idx := func(s string) int {
		return slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, s) })
	}
	if i2, i10 := idx("memn2n-babi-qa2."), idx("memn2n-babi-qa10."); i2 < 0 || i10 < 0 || i2 > i10 {
		t.Errorf("bundled names %v: qa2 at %d, qa10 at %d", names, i2, i10)
	}
}
