// Command studiodesk is the live-commerce studio control desk (直播中控台).
package main

import (
	"os"

	"studiodesk/app/ui"
)

func main() {
	os.Exit(ui.Main(os.Args[1:]))
}
