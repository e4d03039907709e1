package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// ManifestFormat identifies the layout of a sweep manifest.
const ManifestFormat = "lrpsim-sweep-manifest/1"

// Manifest describes a sweep's CSV: what produced it (lrpsim version, engine, energy table,
// base configuration, traces and every point's configuration, by hash), its columns, and, for a
// shard, which slice it holds. It is written as JSON beside the CSV; it holds nothing that
// depends on where, when, how fast or in how many pieces the sweep ran, so a sweep gives the
// same manifest bytes however it was run, and merged shards give those of an unsharded run.
type Manifest struct {
	Format     string    `json:"format"`
	Version    string    `json:"lrpsim_version"`
	Sweep      string    `json:"sweep"`
	SweepHash  string    `json:"sweep_sha256"`
	Engine     string    `json:"engine"`
	BaseConfig ConfigRef `json:"base_config"`
	// Sets are the --set assignments applied to the base configuration, in order; absent when
	// none were given.
	Sets        []string   `json:"sets,omitempty"`
	EnergyTable TableRef   `json:"energy_table"`
	Traces      []TraceRef `json:"traces"`
	Keys        []string   `json:"keys"`
	Columns     []string   `json:"columns"`
	Points      int        `json:"points"`
	PointConfig []PointRef `json:"point_configs"`
	// Shard is set in the manifest of a shard's CSV, nil in a whole sweep's.
	Shard     *Shard `json:"shard,omitempty"`
	Rows      int    `json:"rows"`
	CSVSHA256 string `json:"csv_sha256"`
}

// ConfigRef names the base configuration: the file as written in the sweep ("" for the built-in
// default) and the SHA-256 of the effective configuration as YAML (the sweep's baselines and
// --set assignments applied).
type ConfigRef struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// TableRef names the energy table: its name and node, where it came from, and the SHA-256 of its
// canonical YAML (energy.Table.WriteYAML).
type TableRef struct {
	Name   string `json:"name"`
	Node   string `json:"node"`
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
}

// PointRef is one point of the sweep: its trace and the SHA-256 of its configuration as YAML.
type PointRef struct {
	Point        int    `json:"point"`
	Trace        string `json:"trace"`
	ConfigSHA256 string `json:"config_sha256"`
}

// Shard is one slice of a sweep: the points whose number modulo Count is Index. Shards are
// numbered from 0. The zero Shard (Count 0) stands for the whole sweep.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseShard reads a shard spec "i/N": shard i of N, with 0 <= i < N (shards are numbered from
// 0, like Kubernetes indexed jobs and Slurm's --array=0-(N-1)).
func ParseShard(spec string) (Shard, error) {
	bad := func(why string) (Shard, error) {
		return Shard{}, fmt.Errorf("--shard %q: %s", spec, why)
	}
	is, ns, ok := strings.Cut(spec, "/")
	if !ok {
		return bad("expected INDEX/COUNT, e.g. 0/4 (shards are numbered from 0)")
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return bad("expected INDEX/COUNT with two integers, e.g. 0/4 (shards are numbered from 0)")
	}
	if n < 1 {
		return bad(fmt.Sprintf("shard count %d out of range: expected at least 1", n))
	}
	if i < 0 || i >= n {
		return bad(fmt.Sprintf("shard index %d out of range: shards are numbered from 0, so with %d shards the index is 0 to %d", i, n, n-1))
	}
	return Shard{Index: i, Count: n}, nil
}

// String returns "i/N", or "" for the whole sweep.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Has reports whether point belongs to the shard.
func (s Shard) Has(point int) bool {
	return s.Count == 0 || point%s.Count == s.Index
}

// manifest returns the plan's manifest for a CSV of rows rows with the given hash.
func (p *Plan) manifest(shard Shard, rows int, csvSHA string) *Manifest {
	m := &Manifest{
		Format: ManifestFormat, Version: p.Version, Sweep: p.Sweep.Name, SweepHash: p.Hash, Engine: p.Sweep.Engine,
		BaseConfig: p.baseRef(), Sets: p.Sweep.Sets, EnergyTable: p.tableRef(),
		Traces: p.Traces, Columns: p.Columns, Points: len(p.Points), Rows: rows, CSVSHA256: csvSHA,
	}
	for _, a := range p.Sweep.Axes {
		m.Keys = append(m.Keys, a.Key)
	}
	for _, pt := range p.Points {
		m.PointConfig = append(m.PointConfig, PointRef{Point: pt.Index, Trace: p.Traces[pt.Trace].Name, ConfigSHA256: pt.configSHA})
	}
	if shard.Count > 0 {
		s := shard
		m.Shard = &s
	}
	return m
}

func (p *Plan) baseRef() ConfigRef {
	return ConfigRef{File: p.Sweep.Base, SHA256: p.baseSHA}
}

func (p *Plan) tableRef() TableRef {
	src := "node " + p.Sweep.EnergyNode
	if p.Sweep.EnergyTable != "" {
		src = p.Sweep.EnergyTable
	}
	return TableRef{Name: p.Table.Name, Node: p.Table.Node, Source: src, SHA256: p.tableSHA}
}

// encode renders the manifest as indented JSON.
func (m *Manifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadManifest reads a manifest written by a sweep or a merge.
func ReadManifest(path string) (*Manifest, error) {
	b, err := safeio.ReadFile(path, "a sweep manifest (JSON)", safeio.MaxText)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: expected an lrpsim sweep manifest: %w", path, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: expected an lrpsim sweep manifest (format %s), got format %q", path, ManifestFormat, m.Format)
	}
	return &m, nil
}

// SweptKeys returns the swept config keys ("keys") of the manifest beside a sweep's CSV
// (ManifestPath), for a reader that only labels the CSV's columns (plot sweep); nil when there is
// no readable manifest there. Unlike ReadManifest it does not insist on the whole format, so
// that a manifest of another lrpsim version still names its keys.
func SweptKeys(csvPath string) []string {
	b, err := safeio.ReadFile(ManifestPath(csvPath), "a sweep manifest (JSON)", safeio.MaxText)
	if err != nil {
		return nil
	}
	var m struct {
		Keys []string `json:"keys"`
	}
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m.Keys
}

// encodeCSV renders the header and the rows as CSV.
func encodeCSV(columns []string, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(columns); err != nil {
		return nil, fmt.Errorf("encoding CSV: %w", err)
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("encoding CSV: %w", err)
	}
	return buf.Bytes(), nil
}
