package podexec

import (
	"errors"
	"fmt"
	"testing"

	utilexec "k8s.io/client-go/util/exec"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		ok   bool
	}{
		// What client-go returns for a kubelet's NonZeroExitCode status.
		{utilexec.CodeExitError{Err: errors.New("command terminated with exit code 7"), Code: 7}, 7, true},
		{fmt.Errorf("stream: %w", utilexec.CodeExitError{Err: errors.New("x"), Code: 2}), 2, true},
		// kwok's local exec.
		{errors.New("Internal error occurred: error executing command in container: cmd wait: sh -c exit 3: exit status 3"), 3, true},
		{errors.New("dial tcp: connection refused"), 0, false},
	} {
		code, ok := exitCode(tc.err)
		if code != tc.code || ok != tc.ok {
			t.Errorf("exitCode(%v) = %d, %v; want %d, %v", tc.err, code, ok, tc.code, tc.ok)
		}
	}
}
