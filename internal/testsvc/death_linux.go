package testsvc

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the server when the test binary dies, even if it
// never reaches its cleanup (a panic, a timeout, a kill).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
