package reconciler_test

import (
	"os"
	"testing"

	"github.com/astrolift/astrolift/internal/testenv"
)

// env is the local control plane (with kwok) for the deployer's tests.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, testenv.Options{Controllers: true, ServiceClusterIPRange: "10.96.0.0/12"}, &env))
}
