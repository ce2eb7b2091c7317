package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// streamHeartbeat keeps idle SSE connections (and proxies) alive.
const streamHeartbeat = 15 * time.Second

// stream serves platform events as Server-Sent Events: `id` is the event
// id, `event` its kind, `data` the JSON event. Filters: ?app=<slug> and
// ?kind=<kind> (repeatable; "deployment.*" matches a prefix). A client that
// reconnects with Last-Event-ID (or ?last_event_id=) first gets every
// matching event after it; otherwise the stream starts with new events.
// Events flow across replicas through the store (LISTEN/NOTIFY on
// PostgreSQL).
func (a *API) stream(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	var onlyApp int64
	slugs := map[int64]string{}
	if slug := c.Query("app"); slug != "" {
		app, err := a.appParam(ctx, p.user.OrgID, slug)
		if err != nil {
			a.fail(c, err)
			return
		}
		sc, err := a.appScope(ctx, app.ID)
		if err != nil {
			a.fail(c, err)
			return
		}
		if !p.allows(PermAppRead, sc) {
			a.fail(c, forbidden(PermAppRead))
			return
		}
		onlyApp, slugs[app.ID] = app.ID, app.Slug
	}
	kinds := c.QueryArray("kind")
	last := c.GetHeader("Last-Event-ID")
	if last == "" {
		last = c.Query("last_event_id")
	}
	var lastID int64
	if last != "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			a.fail(c, invalid("Last-Event-ID", "Last-Event-ID %q is not an event id", last))
			return
		}
		lastID = n
	} else {
		newest, err := a.store.ListEvents(ctx, store.EventFilter{OrgID: p.user.OrgID, Limit: 1})
		if err != nil {
			a.fail(c, err)
			return
		}
		if len(newest) > 0 {
			lastID = newest[0].ID
		}
	}
	signal, err := a.store.SubscribeEvents(ctx)
	if err != nil {
		a.fail(c, err)
		return
	}

	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
	w.Flush()

	readable := map[int64]bool{} // app id -> the caller may read it
	canRead := func(appID int64) bool {
		if appID == 0 {
			return true
		}
		if ok, seen := readable[appID]; seen {
			return ok
		}
		sc, err := a.appScope(ctx, appID)
		ok := err == nil && p.allows(PermAppRead, sc)
		readable[appID] = ok
		return ok
	}
	slugOf := func(appID int64) string {
		if s, ok := slugs[appID]; ok || appID == 0 {
			return s
		}
		if app, err := a.store.GetAppByID(ctx, appID); err == nil {
			slugs[appID] = app.Slug
		}
		return slugs[appID]
	}
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		// Drain everything after lastID, in order.
		for {
			after := lastID
			if after == 0 {
				after = -1 // AfterID 0 means "unset"; -1 is "from the first event"
			}
			es, err := a.store.ListEvents(ctx, store.EventFilter{OrgID: p.user.OrgID, AppID: onlyApp, AfterID: after, Limit: 500})
			if err != nil {
				if ctx.Err() == nil {
					a.log.Error("event stream", "error", err)
				}
				return
			}
			for _, e := range es {
				lastID = e.ID
				if !kindMatches(kinds, e.Kind) || !canRead(e.AppID) {
					continue
				}
				data, _ := json.Marshal(newEventDTO(e, slugOf(e.AppID)))
				fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Kind, data)
			}
			w.Flush()
			if len(es) < 500 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-signal:
			if !ok {
				return
			}
		case <-heartbeat.C:
			fmt.Fprint(w, ": ping\n\n")
			w.Flush()
		}
	}
}

func kindMatches(kinds []string, kind string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if prefix, ok := strings.CutSuffix(k, "*"); ok && strings.HasPrefix(kind, prefix) || k == kind {
			return true
		}
	}
	return false
}
