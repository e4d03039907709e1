package arch

// MarshalText writes the policy's config spelling (dynamic or lockstep), so that YAML and JSON
// encoders write a Policy as the word a config file holds.
func (p LaneSchedule) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a policy from its config spelling, so that a config file's
// front_end.scheduling is checked and resolved when the file is read.
func (p *LaneSchedule) UnmarshalText(text []byte) error {
	v, err := ParseLaneSchedule(string(text))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
