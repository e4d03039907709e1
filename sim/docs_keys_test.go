package sim_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
)

// configSchema returns every dotted key a config file may set, its sections included ("memory"
// and "memory.channels"). It is the one place TestDocsNameRealKeys learns the schema.
func configSchema(t *testing.T) map[string]bool {
	t.Helper()
	// The schema is the registries' (sim.ConfigKeys: every section field and every registered
	// variant's own keys), with each section's name (memory, front_end) as a key too.
	keys := map[string]bool{}
	for _, key := range sim.ConfigKeys() {
		for {
			keys[key] = true
			i := strings.LastIndexByte(key, '.')
			if i < 0 {
				break
			}
			key = key[:i]
		}
	}
	if len(keys) < 20 {
		t.Fatalf("sim.ConfigKeys gave %d keys: the schema is missing", len(keys))
	}
	return keys
}

// A keyMention is a config key a document names, where, and by which rule it was recognized.
type keyMention struct {
	key  string
	line int
	rule string
}

var (
	// dotted finds dotted words (front_end.lanes, memory.dram_latency) not inside a path or a
	// file name (configs/serial-memory.yaml, arch/memory.go); the first word decides whether
	// it is a config key.
	dotted = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)`)
	// backticked finds `word` and `section.word`.
	backticked = regexp.MustCompile("`([a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)*)`")
	// inContext finds a bare word the prose itself calls a config key, "config `dispatch`", or
	// makes a symbol of the cycle model, "F = `fill_cycles`".
	inContext = regexp.MustCompile("(?:(?i:config) |\\b[A-Z] = )`([a-z][a-z0-9_]*)`")
	// fileExtensions end a dotted word that names a file, not a key.
	fileExtensions = []string{"go", "yaml", "yml", "md", "json", "csv", "py", "txt", "svg", "png"}
)

// cycleModelDocs write the config's parameters bare (`lanes`, `fifo_depth`) in their prose, so
// there every backticked snake_case word with an underscore is taken for a key, except the
// words listed: names that are not config keys, each with its reason.
var cycleModelDocs = map[string][]string{
	"arch/README.md": {
		"max_pass_keys",         // a count of Stats, the keep-max second pass's decisions
		"empty_row", "keep_max", // the trace's meta field and its value (traces/FORMAT.md)
	},
}

// namedKeys returns the config keys a document names. doc is its path relative to the
// repository root; a .yaml file's comments are read, any other file as Markdown. The rules:
//
//   - dotted: a dotted word whose first word is a section of the schema (memory.channels,
//     `front_end.lanes`), anywhere; other dotted words (report fields such as
//     energy.total_pj, trace fields such as meta.empty_row, file names) are not keys;
//   - key table: the first column of a Markdown table whose headers begin "key", "meaning"
//     (README.md's config reference; bench/README.md's "key" table names benchmarks); a bare
//     word after a dotted one in the same cell is in its section (`operands.bits_q`, `bits_k`);
//   - context: a bare word after "config" or defined as a symbol ("F = `fill_cycles`");
//   - cycle model: in cycleModelDocs, every backticked word with an underscore but the listed.
//
// Bare backticked words elsewhere are not taken for keys: the docs use that form for metric
// names, trace fields, energy actions and enum values as well. Nor is `word:` in a YAML
// comment: the comments use it for enum values and rule names (dynamic:, row_relative:).
func namedKeys(doc, text string, sections map[string]bool) []keyMention {
	var out []keyMention
	isYAML := strings.HasSuffix(doc, ".yaml") || strings.HasSuffix(doc, ".yml")
	nonKeys, cycleModel := cycleModelDocs[doc]
	inTable := false
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if isYAML {
			_, comment, ok := strings.Cut(line, "#")
			if !ok {
				continue
			}
			line = comment
		}
		for _, m := range dotted.FindAllStringSubmatch(line, -1) {
			words := strings.Split(m[1], ".")
			if sections[words[0]] && !slices.Contains(fileExtensions, words[len(words)-1]) {
				out = append(out, keyMention{m[1], n, "dotted"})
			}
		}
		if isYAML {
			continue
		}
		cells := strings.Split(strings.TrimSpace(line), "|")
		switch {
		case len(cells) < 3 || cells[0] != "":
			inTable = false
		case strings.TrimSpace(cells[1]) == "key" && strings.TrimSpace(cells[2]) == "meaning":
			inTable = true
		case inTable:
			section := ""
			for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
				key := m[1]
				if s, _, ok := strings.Cut(key, "."); ok {
					section = s
				} else if section != "" {
					key = section + "." + key
				}
				out = append(out, keyMention{key, n, "key table"})
			}
		}
		for _, m := range inContext.FindAllStringSubmatch(line, -1) {
			out = append(out, keyMention{m[1], n, "context"})
		}
		if cycleModel {
			for _, m := range backticked.FindAllStringSubmatch(line, -1) {
				if w := m[1]; strings.Contains(w, "_") && !strings.Contains(w, ".") && !slices.Contains(nonKeys, w) {
					out = append(out, keyMention{w, n, "cycle model"})
				}
			}
		}
	}
	return out
}

// schemaCheck returns the mentions of keys that are not in schema. A bare word (no section)
// is a key when it is a top-level key or the last word of one.
func schemaCheck(schema map[string]bool, mentions []keyMention) []keyMention {
	leaves := map[string]bool{}
	for k := range schema {
		leaves[k[strings.LastIndex(k, ".")+1:]] = true
	}
	var bad []keyMention
	for _, m := range mentions {
		known := schema[m.key] || (!strings.Contains(m.key, ".") && leaves[m.key])
		// Two rules may find the same word: report it once.
		if !known && !slices.ContainsFunc(bad, func(b keyMention) bool { return b.key == m.key && b.line == m.line }) {
			bad = append(bad, m)
		}
	}
	return bad
}

// sectionsOf returns the keys of schema that hold other keys.
func sectionsOf(schema map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range schema {
		if s, _, ok := strings.Cut(k, "."); ok {
			out[s] = true
		}
	}
	return out
}

// docFiles lists the documents whose key mentions are checked: every Markdown file of the
// repository but results/ (generated, and held byte for byte elsewhere), and every YAML file
// under configs/ (for its comments).
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	var docs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "results" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		yamlConfig := strings.HasPrefix(rel, "configs/") && (strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".yml"))
		if strings.HasSuffix(rel, ".md") || yamlConfig {
			docs = append(docs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestDocsNameRealKeys: every config key a README or a config file's comment names is a key of
// the config schema, so a renamed or removed key cannot live on in the docs (namedKeys says
// which words count as named keys).
func TestDocsNameRealKeys(t *testing.T) {
	schema := configSchema(t)
	sections := sectionsOf(schema)
	root := ".."
	docs := docFiles(t, root)
	checked := 0
	for _, doc := range docs {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(doc)))
		if err != nil {
			t.Fatal(err)
		}
		mentions := namedKeys(doc, string(data), sections)
		checked += len(mentions)
		for _, m := range schemaCheck(schema, mentions) {
			t.Errorf("%s:%d names config key %q (%s), which the config schema does not have", doc, m.line, m.key, m.rule)
		}
	}
	// The rules must keep finding the keys the docs name: README.md's config table alone
	// names every key.
	if checked < len(schema) {
		t.Errorf("%d key mentions in %d documents, fewer than the schema's %d keys: do the rules still recognize them?", checked, len(docs), len(schema))
	}
}

// TestNamedKeysRules holds each rule to a synthetic document: a made-up key it must find,
// and words it must not take for keys.
func TestNamedKeysRules(t *testing.T) {
	schema := configSchema(t)
	for _, k := range []string{"units", "memory", "memory.channels", "front_end.lanes", "pruning.epsilon"} {
		if !schema[k] {
			t.Fatalf("the schema lacks %q", k)
		}
	}
	sections := sectionsOf(schema)
	tests := []struct {
		name, doc, text string
		bad             []string // made-up keys the check must report, in order
	}{
		{"dotted made up", "x/README.md", "Set `memory.chanels` to 16.", []string{"memory.chanels"}},
		{"dotted bare in prose", "x/README.md", "raise front_end.lane_count first", []string{"front_end.lane_count"}},
		{"dotted real", "x/README.md", "`memory.channels`, `front_end.lanes` and pruning.policy", nil},
		{"dotted not a section", "x/README.md", "`energy.total_pj`, `meta.empty_row`, `lane.bit_product`, `dram.v_bytes`", nil},
		{"file names", "x/README.md", "configs/serial-memory.yaml, ideal-memory.yaml, `memory.go`, arch/memory.go", nil},
		{"key table", "x/README.md", "| key | meaning |\n|---|---|\n| `units` | u |\n| `operands.bits_q`, `bits_k`, `bits_w` | widths |\n| `fe_units` | u |\n\n| key | program |\n|---|---|\n| `qk` | bench |",
			[]string{"operands.bits_w", "fe_units"}},
		{"config context", "x/README.md", "the config `dispach` chooses; config `dispatch` is real", []string{"dispach"}},
		{"symbol", "x/README.md", "(F = `fil_cycles`, D = `drain_cycles`)", []string{"fil_cycles"}},
		{"bare backticked elsewhere", "x/README.md", "`dram_bytes`, `fe_units`, `empty_row` and `bit_product`", nil},
		{"cycle model", "arch/README.md", "`fe_units` units of `lanes` lanes, `fifo_depth` entries, `max_pass_keys`, `empty_row`", []string{"fe_units"}},
		{"yaml comment", "configs/x.yaml", "units: 8 # see memory.kv_bufers and thresholds.scale\nmemory.bogus: 1\n", []string{"memory.kv_bufers"}},
		{"yaml comment not keys", "configs/x.yaml", "theta: 0.002 # prune_score.threshold, quant_qk.bitwidth; dynamic: a free unit\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range schemaCheck(schema, namedKeys(tt.doc, tt.text, sections)) {
				got = append(got, m.key)
			}
			if !slices.Equal(got, tt.bad) {
				t.Errorf("reported %q, want %q", got, tt.bad)
			}
		})
	}
}
