package reconciler_test

import (
	"context"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// TestCertificatesForCustomDomains: without cert-manager a validated
// custom domain only names its TLS secret in the Ingress; once the
// Certificate CRD is installed, the next deployment adds a
// cert-manager.io/v1 Certificate for the host from the configured issuer.
func TestCertificatesForCustomDomains(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, e := f.appEnv("certs", "production")
	d := &store.Domain{OrgID: f.org.ID, AppID: a.ID, EnvironmentID: e.ID, Hostname: "certs.example.org", ChallengeToken: "t"}
	must(t, f.s.CreateDomain(ctx, d))
	_, err := f.s.RecordDomainCheck(ctx, d.ID, store.DomainCheck{At: time.Now(), State: store.DomainValidated})
	must(t, err)
	manifest := "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	deployer := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t), CertIssuer: "letsencrypt"}
	deploy := func() {
		t.Helper()
		dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
		must(t, f.s.CreateDeployment(ctx, dep, "test"))
		if err := deployer.Run(ctx, dep.ID); err != nil {
			t.Fatalf("deploy: %v", err)
		}
	}
	cert := &unstructured.Unstructured{}
	cert.SetAPIVersion("cert-manager.io/v1")
	cert.SetKind("Certificate")
	key := types.NamespacedName{Namespace: e.Namespace, Name: "tls-certs-example-org"}

	deploy() // no CRD: no Certificate, the deployment succeeds
	ing, err := env.Clientset.NetworkingV1().Ingresses(e.Namespace).Get(ctx, "certs-web", metav1.GetOptions{})
	must(t, err)
	if len(ing.Spec.TLS) != 2 || ing.Spec.TLS[1].SecretName != key.Name {
		t.Fatalf("ingress tls = %+v", ing.Spec.TLS)
	}

	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "certificates.cert-manager.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "cert-manager.io", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "certificates", Singular: "certificate", Kind: "Certificate", ListKind: "CertificateList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptrTo(true)}}}},
		},
	}
	c, err := client.New(env.Config, client.Options{})
	must(t, err)
	if err := apiextensionsv1.AddToScheme(c.Scheme()); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, crd); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	must(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: crd.Name}, got); err != nil {
			return false, nil
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	}))

	deployer.Cluster = localCluster(t) // a fresh client discovers the new kind
	deploy()
	must(t, c.Get(ctx, key, cert))
	names, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	issuer, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "name")
	secret, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	if len(names) != 1 || names[0] != "certs.example.org" || issuer != "letsencrypt" || secret != key.Name {
		t.Fatalf("certificate spec = %v", cert.Object["spec"])
	}
}

func ptrTo[T any](v T) *T { return &v }
