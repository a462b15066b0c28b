// Command studiodesk is the live-commerce studio control desk (直播中控台).
// With a subcommand (verify, export, report, shows) it works on the show
// logs without opening a window.
package main

import (
	"os"

	"studiodesk/app/cli"
	"studiodesk/app/ui"
)

func main() {
	if handled, code := cli.Run(os.Args[1:], os.Stdout, os.Stderr); handled {
		os.Exit(code)
	}
	os.Exit(ui.Main(os.Args[1:]))
}
