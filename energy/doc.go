// Package energy prices the action counts of a simulation run with an energy reference table,
// after Accelergy's method: every hardware component counts its actions while the simulator runs;
// the energy of a run is the sum over components and actions of count x energy per action, plus
// the leakage of every instance over every cycle; the area is the sum over components of
// instances x area per instance.
//
// The package knows nothing about the simulator: a run hands it a [Counts], a [Table] gives the
// prices, and [Table.Price] returns a [Report]. Tables come from three places:
//
//   - [DefaultTable]: the built-in 45 nm table (tables/45nm.yaml, from Horowitz, ISSCC 2014), and
//     28 nm and 65 nm tables scaled from it by a stated rule;
//   - [LoadTable] or [ParseTable]: a table in this package's YAML format (see README.md), strictly
//     checked, with every error a [*TableError] that names the file, line and key;
//   - [LoadERT]: an Accelergy energy reference table (ERT) and optional area reference table (ART),
//     mapped onto this package's component and action names.
//
// Energies are in picojoules (pJ), areas in square micrometres (um^2) and leakage in pJ per cycle
// or milliwatts (mW) per instance.
package energy
