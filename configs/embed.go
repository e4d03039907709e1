// Package configs embeds the bundled YAML configurations; leopard.yaml is the default that
// every other configuration overlays.
package configs

import "embed"

// FS holds the bundled configurations.
//
//go:embed *.yaml policies/*.yaml
var FS embed.FS

// Default is the name of the default configuration file.
const Default = "leopard.yaml"
