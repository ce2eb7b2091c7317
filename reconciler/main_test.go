package reconciler_test

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/astrolift/astrolift/internal/testenv"
)

// env is the local control plane (with kwok) for the deployer's tests.
var env *testenv.Env

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard()) // the live-state caches' logs
	os.Exit(testenv.Main(m, testenv.Options{Controllers: true, ServiceClusterIPRange: "10.96.0.0/12"}, &env))
}
