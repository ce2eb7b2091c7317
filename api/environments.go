package api

import (
	"encoding/json"
	"net/http"
	"strings"

	ssautils "github.com/fluxcd/pkg/ssa/utils"
	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// driftDTO is an environment's last drift check.
type driftDTO struct {
	Environment string `json:"environment"`
	// Status: in_sync, drifted, error (the check could not run) or unknown
	// (not checked yet: nothing deployed, or the first check is pending).
	Status   string `json:"status"`
	SelfHeal bool   `json:"self_heal"`
	drift.Report
}

// environmentDrift shows what the last drift check of an environment found:
// per object, the drifted fields with live and desired values (never for
// Secrets) and the field managers who changed them.
func (a *API) environmentDrift(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	e, err := a.store.GetEnvironment(ctx, app.ID, c.Param("env"))
	if err != nil {
		a.fail(c, err)
		return
	}
	o, err := a.store.Observe(ctx, e.ID, "drift")
	if err != nil {
		a.fail(c, err)
		return
	}
	out := driftDTO{Environment: e.Name, Status: "unknown", SelfHeal: e.SelfHeal}
	if o.JSON != "" {
		if err := json.Unmarshal([]byte(o.JSON), &out.Report); err != nil {
			a.fail(c, err)
			return
		}
		switch {
		case out.Error != "":
			out.Status = "error"
		case len(out.Objects) > 0:
			out.Status = "drifted"
		default:
			out.Status = "in_sync"
		}
	}
	if out.Objects == nil {
		out.Objects = []drift.Object{}
	}
	c.JSON(http.StatusOK, out)
}

// maskRendered masks the values of Secrets in a deployment's stored
// objects before they are shown: plaintext never leaves the platform.
func maskRendered(rendered string) string {
	if !strings.Contains(rendered, "kind: Secret") {
		return rendered
	}
	objs, err := ssautils.ReadObjects(strings.NewReader(rendered))
	if err != nil {
		return "# the stored objects could not be read: " + err.Error() + "\n"
	}
	render.MaskSecrets(objs)
	b, err := render.YAML(objs)
	if err != nil {
		return "# the stored objects could not be written: " + err.Error() + "\n"
	}
	return string(b)
}
