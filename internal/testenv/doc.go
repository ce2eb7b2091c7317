// Package testenv starts a local Kubernetes control plane built from Go
// modules (see `make k8s-bins`) for tests and for `astrolift dev`.
//
// The API server and etcd are driven by controller-runtime's envtest. On
// request, kube-controller-manager, kube-scheduler and kwok with one simulated
// node are started beside them, so that Deployments become Available, Jobs
// complete and CronJobs spawn Jobs without a container runtime.
//
// Binaries are looked up in $KUBEBUILDER_ASSETS, then in bin/k8s of the
// repository that contains the working directory. When they are missing,
// Start fails with an error that names `make k8s-bins`; it never skips.
//
// A test package starts one control plane in TestMain and gives each test its
// own namespace:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) {
//		os.Exit(testenv.Main(m, testenv.Options{Controllers: true}, &env))
//	}
//
//	func TestSomething(t *testing.T) {
//		ns := env.Namespace(t)
//		...
//	}
//
// This package must not be imported by `astrolift serve`.
package testenv
