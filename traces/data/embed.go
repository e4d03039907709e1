// Package data embeds the bundled traces (see MANIFEST.md beside this file) so that the lrpsim
// binary replays one with no file at hand.
package data

import "embed"

// FS holds the bundled traces.
//
//go:embed *.npz
var FS embed.FS

// Default is the trace `lrpsim run` replays when given none.
const Default = "synthetic-default.npz"
