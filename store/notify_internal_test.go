package store

import (
	"strings"
	"testing"
)

func TestEventsChannelName(t *testing.T) {
	for schema, want := range map[string]string{
		"":               "astrolift_events",
		"public":         "astrolift_events",
		"tenant_7":       "astrolift_events:tenant_7",
		`We"ird sch.ema`: `astrolift_events:We"ird sch.ema`,
	} {
		if got := eventsChannelName(schema); got != want {
			t.Errorf("eventsChannelName(%q) = %q, want %q", schema, got, want)
		}
	}
	long := strings.Repeat("s", 63)
	a, b := eventsChannelName(long), eventsChannelName(long[:62]+"t")
	if len(a) > 63 || !strings.HasPrefix(a, "astrolift_events:") || a == b {
		t.Errorf("long schemas: %q and %q, want distinct names of at most 63 bytes", a, b)
	}
}
