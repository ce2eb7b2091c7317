package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// screenshot serves the app's latest screenshot (reconciler/screenshot
// captures it): a small PNG, cacheable for five minutes by the caller's
// browser, with ETag and Last-Modified for conditional requests; 404 until
// one was captured.
func (a *API) screenshot(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	sh, err := a.store.GetScreenshot(c.Request.Context(), app.ID)
	if errors.Is(err, store.ErrNotFound) {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found",
			Message: "no screenshot of app " + app.Slug + " yet: it is taken once the app is ready and its primary environment has a public URL and a succeeded deployment"})
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("ETag", `"`+sh.SHA256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers If-None-Match / If-Modified-Since with 304.
	http.ServeContent(c.Writer, c.Request, "", *sh.CapturedAt, bytes.NewReader(sh.PNG))
}
