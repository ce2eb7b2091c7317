package reconciler

import "testing"

func TestImageRef(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, c := range []struct{ image, digest, want string }{
		{"", "", ""},
		{"v2", "", "v2"},
		{"registry.example.com/acme/shop:v2", "", "registry.example.com/acme/shop:v2"},
		{"", d, d},
		{"v2", d, d},
		{"registry.example.com/acme/shop", d, "registry.example.com/acme/shop@" + d},
		{"registry.example.com/acme/shop:v2", d, "registry.example.com/acme/shop@" + d},
		{"registry.example.com:5000/acme/shop:v2", d, "registry.example.com:5000/acme/shop@" + d},
		{"registry.example.com:5000/acme/shop", d, "registry.example.com:5000/acme/shop@" + d},
		{"nginx:1.27", d, "nginx@" + d},
		{"ghcr.io/acme/shop:v2@sha256:ffff", d, "ghcr.io/acme/shop@" + d},
		{"sha256:ffff", d, d},
	} {
		if got := imageRef(c.image, c.digest); got != c.want {
			t.Errorf("imageRef(%q, %q) = %q, want %q", c.image, c.digest, got, c.want)
		}
	}
}
