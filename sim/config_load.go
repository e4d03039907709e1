package sim

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/lrpsim/lrpsim/configs"
	"github.com/lrpsim/lrpsim/internal/safeio"
)

// DefaultConfig returns the embedded default configuration (configs/leopard.yaml).
func DefaultConfig() (*Config, error) {
	data, err := fs.ReadFile(configs.FS, configs.Default)
	if err != nil {
		return nil, fmt.Errorf("reading embedded default config: %w", err)
	}
	c := &Config{}
	if err := decodeStrict("configs/"+configs.Default, data, c); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// BundledPrefix marks a bundled configuration in a config reference: "bundled:policies/spatten.yaml".
const BundledPrefix = "bundled:"

// LoadConfig loads the configuration a command names, validated, and is the one config loader
// of every command: "" is the default configuration, "bundled:NAME" a bundled one (configs/NAME,
// the .yaml optional), anything else a YAML file read over the default.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return DefaultConfig()
	}
	if name, ok := strings.CutPrefix(path, BundledPrefix); ok {
		return BundledConfig(name)
	}
	data, err := safeio.ReadFile(path, "a config file (YAML)", safeio.MaxText)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(path, data)
}

// BundledConfig loads one of the configurations embedded in the binary by file name, with or
// without its .yaml ("policies/spatten" is "policies/spatten.yaml").
func BundledConfig(name string) (*Config, error) {
	if path.Ext(name) != ".yaml" {
		name += ".yaml"
	}
	data, err := fs.ReadFile(configs.FS, name)
	if err != nil {
		return nil, fmt.Errorf("no bundled config %q (have %s)", BundledPrefix+name, strings.Join(BundledConfigNames(), ", "))
	}
	return ParseConfig("configs/"+name, data)
}

// BundledConfigNames lists the bundled configurations as NAME for bundled:NAME, in byte order.
func BundledConfigNames() []string {
	var names []string
	_ = fs.WalkDir(configs.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
			names = append(names, p)
		}
		return err
	})
	return names
}

// ParseConfig decodes data (named file in errors) over the default configuration.
func ParseConfig(file string, data []byte) (*Config, error) {
	c, err := DefaultConfig()
	if err != nil {
		return nil, err
	}
	c.lines = nil
	if err := decodeStrict(file, data, c); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// CheckConfig reads a config file over the default configuration and returns every problem
// (config validate): a structural one (YAML syntax, an unknown key, a wrong type) ends the
// check, as the values after it cannot be trusted; otherwise every value out of range.
func CheckConfig(path string) []error {
	data, err := safeio.ReadFile(path, "a config file (YAML)", safeio.MaxText)
	if err != nil {
		return []error{fmt.Errorf("reading config: %w", err)}
	}
	c, err := DefaultConfig()
	if err != nil {
		return []error{err}
	}
	c.lines = nil
	if err := decodeStrict(path, data, c); err != nil {
		return []error{err}
	}
	return c.Problems()
}
