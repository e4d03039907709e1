package arch

import (
	"fmt"
	"slices"
)

// LaneSchedule is how a front-end unit hands keys to its lanes (config front_end.scheduling).
// It is spelled apart from dispatch, which hands row tasks to units (arch.Dispatcher).
type LaneSchedule int

// The lane schedules, in the order of laneScheduleWords.
const (
	// DynamicLanes: a lane that frees takes the next key at once.
	DynamicLanes LaneSchedule = iota
	// LockstepLanes: keys go in groups of `lanes`; a group starts when the previous one has
	// finished.
	LockstepLanes
)

// laneScheduleWords are the config spellings of the schedules, in their order.
func laneScheduleWords() []string { return []string{"dynamic", "lockstep"} }

// String returns the config spelling of the schedule.
func (p LaneSchedule) String() string {
	if p == LockstepLanes {
		return laneScheduleWords()[LockstepLanes]
	}
	return laneScheduleWords()[DynamicLanes]
}

// ParseLaneSchedule reads a schedule from its config spelling.
func ParseLaneSchedule(s string) (LaneSchedule, error) {
	if i := slices.Index(laneScheduleWords(), s); i >= 0 {
		return LaneSchedule(i), nil
	}
	return 0, fmt.Errorf("unknown lane scheduling %q (want %s)", s, OrList(laneScheduleWords()))
}
