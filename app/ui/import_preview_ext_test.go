package ui

import "testing"

// The file's own name decides the format written: a name changed to .yaml
// in the save dialog gets YAML, not the XLSX picked before.
func TestExportFormatFollowsTheFileName(t *testing.T) {
	for _, c := range []struct{ name, picked, want string }{
		{"show.xlsx", ".xlsx", ".xlsx"},
		{"show.yaml", ".xlsx", ".yaml"},
		{"show.YML", ".csv", ".yaml"},
		{"show.csv", ".yaml", ".csv"},
		{"show", ".csv", ".csv"},
		{"show.txt", ".xlsx", ".xlsx"},
	} {
		if got := exportExt(c.name, c.picked); got != c.want {
			t.Errorf("exportExt(%q, %q) = %q, want %q", c.name, c.picked, got, c.want)
		}
	}
}
