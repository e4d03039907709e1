package arch

import "fmt"

// LaneSchedule is how a front-end unit hands keys to its lanes (config front_end.scheduling).
// It is spelled apart from dispatch, which hands row tasks to units (arch.Dispatcher).
type LaneSchedule int

const (
	// DynamicLanes: a lane that frees takes the next key at once.
	DynamicLanes LaneSchedule = iota
	// LockstepLanes: keys go in groups of `lanes`; a group starts when the previous one has finished.
	LockstepLanes
)

// String returns the config spelling of the schedule.
func (p LaneSchedule) String() string {
	if p == LockstepLanes {
		return "lockstep"
	}
	return "dynamic"
}

// ParseLaneSchedule reads a schedule from its config spelling.
func ParseLaneSchedule(s string) (LaneSchedule, error) {
	switch s {
	case "dynamic":
		return DynamicLanes, nil
	case "lockstep":
		return LockstepLanes, nil
	}
	return 0, fmt.Errorf("unknown lane scheduling %q (want dynamic or lockstep)", s)
}
