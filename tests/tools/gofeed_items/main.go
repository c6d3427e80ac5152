// gofeed_items: print what gofeed (github.com/mmcdole/gofeed, an independent feed parser)
// reads from each feed file named on the command line, one JSON object a line:
// {"file": PATH, "feed": gofeed.Feed} or {"file": PATH, "error": "..."}. The reference of
// the differential test (tests/feeds/differential.py); not part of the daemon.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mmcdole/gofeed"
)

func main() {
	parser := gofeed.NewParser()
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for _, path := range os.Args[1:] {
		record := map[string]interface{}{"file": path}
		file, err := os.Open(path)
		if err != nil {
			record["error"] = err.Error()
		} else {
			feed, perr := parser.Parse(file)
			file.Close()
			if perr != nil {
				record["error"] = perr.Error()
			} else {
				record["feed"] = feed
			}
		}
		if err := out.Encode(record); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
