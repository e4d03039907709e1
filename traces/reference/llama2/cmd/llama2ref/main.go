// Command llama2ref prints the logits of a llama2.c checkpoint for a token sequence, as JSON, for
// lrpsim_export's cross-check of its PyTorch model:
//
//	go run ./traces/reference/llama2/cmd/llama2ref -model ../shared/models/stories260K.bin -tokens 1,403,407
//
// Output: {"config": {...}, "tokens": [...], "logits": [[vocab floats] per position]}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/traces/reference/llama2"
)

func main() {
	model := flag.String("model", "", "llama2.c checkpoint (.bin)")
	tokens := flag.String("tokens", "1", "comma-separated token ids")
	flag.Parse()
	if err := run(*model, *tokens); err != nil {
		fmt.Fprintln(os.Stderr, "llama2ref:", err)
		os.Exit(1)
	}
}

func run(model, tokens string) error {
	if model == "" {
		return fmt.Errorf("-model: a llama2.c checkpoint is required")
	}
	var toks []int
	for _, f := range strings.Split(tokens, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-tokens: %q is not an integer", f)
		}
		toks = append(toks, t)
	}
	m, err := llama2.Load(model)
	if err != nil {
		return err
	}
	logits, err := m.Logits(toks)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"config": m.Config, "tokens": toks, "logits": logits})
}
