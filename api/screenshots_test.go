package api_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"
)

// GET /apps/:slug/screenshot: 404 (not_found) before a capture, then the
// PNG with cache headers; a conditional request is answered 304.
func TestScreenshotAPI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	viewer := h.user("viewer@acme.test", "app.viewer")
	path := "/api/v1/apps/" + h.app.Slug + "/screenshot"

	res := h.do(request{method: http.MethodGet, path: path, token: viewer})
	if code, _ := res.errorCode(); res.Code != http.StatusNotFound || code != "not_found" || !strings.Contains(string(res.body), "no screenshot") {
		t.Fatalf("before any capture: %d %s, want 404 not_found", res.Code, res.body)
	}

	img := image.NewRGBA(image.Rect(0, 0, 480, 300))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 32, 160, 96, 255
	}
	var buf bytes.Buffer
	must(t, png.Encode(&buf, img))
	captured := time.Date(2026, 11, 26, 11, 30, 0, 0, time.UTC)
	must(t, h.s.SaveScreenshot(ctx, h.app.ID, h.env.ID, "https://shop.example.com", 0, buf.Bytes(), captured))

	res = h.do(request{method: http.MethodGet, path: path, token: viewer})
	if res.Code != http.StatusOK || !bytes.Equal(res.body, buf.Bytes()) {
		t.Fatalf("after a capture: %d, %d bytes; want 200 with the %d stored bytes", res.Code, len(res.body), buf.Len())
	}
	hdr := res.Header()
	etag := hdr.Get("ETag")
	if hdr.Get("Content-Type") != "image/png" || hdr.Get("Cache-Control") != "private, max-age=300" ||
		hdr.Get("Last-Modified") != captured.Format(http.TimeFormat) || len(etag) != 66 || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("headers = %v", hdr)
	}
	got, err := png.Decode(bytes.NewReader(res.body))
	if err != nil || got.Bounds().Dx() != 480 || color.RGBAModel.Convert(got.At(10, 10)) != (color.RGBA{32, 160, 96, 255}) {
		t.Fatalf("served image: %v, %v", got, err)
	}

	res = h.do(request{method: http.MethodGet, path: path, token: viewer, headers: map[string]string{"If-None-Match": etag}})
	if res.Code != http.StatusNotModified || len(res.body) != 0 {
		t.Fatalf("If-None-Match with the ETag: %d (%d bytes), want 304", res.Code, len(res.body))
	}
	res = h.do(request{method: http.MethodGet, path: path, token: viewer,
		headers: map[string]string{"If-Modified-Since": captured.Add(time.Minute).Format(http.TimeFormat)}})
	if res.Code != http.StatusNotModified {
		t.Fatalf("If-Modified-Since after the capture: %d, want 304", res.Code)
	}

	// A newer capture changes the ETag.
	buf.Reset()
	img.Pix[0] = 0
	must(t, png.Encode(&buf, img))
	must(t, h.s.SaveScreenshot(ctx, h.app.ID, h.env.ID, "https://shop.example.com", 0, buf.Bytes(), captured.Add(time.Hour)))
	res = h.do(request{method: http.MethodGet, path: path, token: viewer, headers: map[string]string{"If-None-Match": etag}})
	if res.Code != http.StatusOK || res.Header().Get("ETag") == etag || !bytes.Equal(res.body, buf.Bytes()) {
		t.Fatalf("after a new capture with the old ETag: %d, ETag %s", res.Code, res.Header().Get("ETag"))
	}
}
