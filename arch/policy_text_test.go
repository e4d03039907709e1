package arch

import "testing"

// TestPolicyText: the text form of each policy reads back; an unknown word is an error.
func TestPolicyText(t *testing.T) {
	for _, p := range []LaneSchedule{DynamicLanes, LockstepLanes} {
		b, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var q LaneSchedule
		if err := q.UnmarshalText(b); err != nil || q != p {
			t.Errorf("%v: %q read back as %v, %v", p, b, q, err)
		}
	}
	q := LockstepLanes
	if err := q.UnmarshalText([]byte("random")); err == nil || q != LockstepLanes {
		t.Errorf("random: %v, policy now %v", err, q)
	}
}
