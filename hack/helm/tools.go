//go:build tools

// Package tools pins helm, built from source by hack/tool.sh to render and
// validate the chart in charts/ (no binary downloads here).
package tools

import _ "helm.sh/helm/v3/cmd/helm"
