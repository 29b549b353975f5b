// Command sentinel-check proves that an AWS access policy holds in reality:
// it checks CloudTrail's role sessions against an HCL policy and the
// credential broker's session records.
package main

import (
	"os"

	"github.com/sentinel-check/sentinel-check/internal/heapgoal"
)

func main() {
	heapgoal.Tune(heapgoal.DefaultHeadroom, heapgoal.DefaultMinPercent)
	os.Exit(Command{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}.Main(os.Args))
}
