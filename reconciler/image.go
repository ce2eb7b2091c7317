package reconciler

import "strings"

// imageRef is the image a deployment runs: image as given when there is no
// digest, otherwise the image's repository pinned to the digest
// ("repo@sha256:…"), with any tag or older digest on image dropped. An
// image without a repository (empty, or a bare tag such as "v2", which the
// renderer completes with build.image) leaves just the digest, which the
// renderer pins build.image to.
func imageRef(image, digest string) string {
	image = strings.TrimSpace(image)
	if digest == "" {
		return image
	}
	repo := image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	// A tag is a colon after the last slash (a colon before it is a
	// registry port).
	if i := strings.LastIndexByte(repo, ':'); i >= 0 && i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	if repo == "" || strings.HasPrefix(image, "sha256:") || !strings.ContainsAny(image, "/:@") {
		return digest // a bare tag or nothing: build.image@digest
	}
	return repo + "@" + digest
}
