package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestOutboundWebhooks(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, app := seed(t, f.s, "web")
		appHook := &store.OutboundWebhook{OrgID: org.ID, AppID: app.ID, URL: "https://hooks.example.com/a",
			EventTypes: []string{"deployment.*", "drift.detected"}, SecretSealed: []byte{1, 2, 3}, CreatedBy: "ada@acme.test"}
		orgHook := &store.OutboundWebhook{OrgID: org.ID, URL: "https://hooks.example.com/org", EventTypes: []string{"*"}, SecretSealed: []byte{4}}
		for _, w := range []*store.OutboundWebhook{appHook, orgHook} {
			if err := f.s.CreateOutboundWebhook(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.s.GetOutboundWebhook(ctx, appHook.ID)
		if err != nil || got.AppID != app.ID || got.URL != appHook.URL || !slices.Equal(got.EventTypes, appHook.EventTypes) ||
			string(got.SecretSealed) != "\x01\x02\x03" || got.CreatedBy != "ada@acme.test" || got.LastDeliveryAt != nil || got.FailedCount != 0 {
			t.Fatalf("GetOutboundWebhook = %+v, %v", got, err)
		}
		if l, err := f.s.ListOutboundWebhooks(ctx, org.ID, app.ID); err != nil || len(l) != 1 || l[0].ID != appHook.ID {
			t.Errorf("app webhooks = %v, %v", l, err)
		}
		if l, err := f.s.ListOutboundWebhooks(ctx, org.ID, 0); err != nil || len(l) != 1 || l[0].ID != orgHook.ID || l[0].AppID != 0 {
			t.Errorf("org-wide webhooks = %v, %v", l, err)
		}
		if l, err := f.s.LiveOutboundWebhooks(ctx); err != nil || len(l) != 2 {
			t.Errorf("live webhooks = %v, %v", l, err)
		}

		// Queueing moves the cursor in the same transaction; an event queued
		// twice for a webhook is queued once, and the cursor never goes back.
		if c, err := f.s.OutboundCursor(ctx); err != nil || c != 0 {
			t.Fatalf("cursor of a fresh database = %d, %v", c, err)
		}
		now := f.clock.Now()
		ds := []*store.OutboundDelivery{
			{WebhookID: appHook.ID, EventID: 7, EventType: "deployment.succeeded", Payload: `{"id":7}`, CreatedAt: now},
			{WebhookID: orgHook.ID, EventID: 7, EventType: "deployment.succeeded", Payload: `{"id":7}`, CreatedAt: now},
		}
		if n, err := f.s.EnqueueOutboundDeliveries(ctx, ds, 7); err != nil || n != 2 {
			t.Fatalf("enqueue = %d, %v", n, err)
		}
		again := []*store.OutboundDelivery{{WebhookID: appHook.ID, EventID: 7, EventType: "deployment.succeeded", Payload: `{}`, CreatedAt: now}}
		if n, err := f.s.EnqueueOutboundDeliveries(ctx, again, 5); err != nil || n != 0 {
			t.Fatalf("enqueue again = %d, %v; want 0 queued", n, err)
		}
		if c, _ := f.s.OutboundCursor(ctx); c != 7 {
			t.Errorf("cursor = %d, want 7", c)
		}

		// Claims: one worker wins; the claimed delivery is not due until its
		// claim runs out (a worker that died), then it is due again.
		due, err := f.s.DueOutboundDeliveries(ctx, now, 10)
		if err != nil || len(due) != 2 || due[0].Attempt != 0 || due[0].Status != store.DeliveryPending || due[0].Payload != `{"id":7}` {
			t.Fatalf("due = %+v, %v", due, err)
		}
		d := due[0]
		rival := *d
		ok, err := f.s.ClaimOutboundDelivery(ctx, d, now, now.Add(time.Minute))
		if err != nil || !ok || d.Attempt != 1 {
			t.Fatalf("claim = %v, %v (attempt %d)", ok, err, d.Attempt)
		}
		if ok, err := f.s.ClaimOutboundDelivery(ctx, &rival, now, now.Add(time.Minute)); err != nil || ok {
			t.Fatalf("second claim of the same attempt = %v, %v; want false", ok, err)
		}
		if due, _ := f.s.DueOutboundDeliveries(ctx, now.Add(30*time.Second), 10); len(due) != 1 || due[0].ID == d.ID {
			t.Errorf("a claimed delivery is due: %+v", due)
		}
		if due, _ := f.s.DueOutboundDeliveries(ctx, now.Add(2*time.Minute), 10); len(due) != 2 {
			t.Errorf("after the claim ran out, due = %+v", due)
		}

		// A failed attempt with a retry stays pending until then.
		retry := now.Add(10 * time.Second)
		if err := f.s.RecordOutboundAttempt(ctx, d, store.OutboundAttempt{At: now, StatusCode: 500, Duration: 12 * time.Millisecond,
			Error: "receiver answered 500", RetryAt: &retry}); err != nil {
			t.Fatal(err)
		}
		if stale := (store.OutboundDelivery{ID: d.ID, WebhookID: d.WebhookID, Attempt: 0}); !errors.Is(
			f.s.RecordOutboundAttempt(ctx, &stale, store.OutboundAttempt{At: now, Delivered: true}), store.ErrConflict) {
			t.Error("recording an attempt the delivery is no longer at: want ErrConflict")
		}
		w, _ := f.s.GetOutboundWebhook(ctx, d.WebhookID)
		if w.LastStatus != 500 || w.LastError != "receiver answered 500" || w.LastDeliveryAt == nil || w.FailedCount != 0 {
			t.Errorf("webhook after a failed attempt: %+v", w)
		}
		due, _ = f.s.DueOutboundDeliveries(ctx, retry, 10)
		i := slices.IndexFunc(due, func(x *store.OutboundDelivery) bool { return x.ID == d.ID })
		if i < 0 || due[i].Attempt != 1 || due[i].StatusCode != 500 || due[i].Duration != 12*time.Millisecond || !due[i].NextAttemptAt.Equal(retry) {
			t.Fatalf("retry not due at %v: %+v", retry, due)
		}
		d = due[i]
		if ok, _ := f.s.ClaimOutboundDelivery(ctx, d, retry, retry.Add(time.Minute)); !ok {
			t.Fatal("claim of the retry failed")
		}
		if err := f.s.RecordOutboundAttempt(ctx, d, store.OutboundAttempt{At: retry, StatusCode: 204, Duration: 3 * time.Millisecond, Delivered: true}); err != nil {
			t.Fatal(err)
		}
		w, _ = f.s.GetOutboundWebhook(ctx, d.WebhookID)
		if w.LastStatus != 204 || w.LastError != "" || !w.LastDeliveryAt.Equal(retry) || w.FailedCount != 0 {
			t.Errorf("webhook after a delivery: %+v", w)
		}

		// The other delivery gives up: failed, counted on its webhook.
		other := due[1-i]
		if ok, _ := f.s.ClaimOutboundDelivery(ctx, other, retry, retry.Add(time.Minute)); !ok {
			t.Fatal("claim of the other delivery failed")
		}
		if err := f.s.RecordOutboundAttempt(ctx, other, store.OutboundAttempt{At: retry, Error: "dial tcp: connection refused"}); err != nil {
			t.Fatal(err)
		}
		if w, _ := f.s.GetOutboundWebhook(ctx, other.WebhookID); w.FailedCount != 1 || w.LastStatus != 0 {
			t.Errorf("webhook after a delivery gave up: %+v", w)
		}
		list, err := f.s.ListOutboundDeliveries(ctx, d.WebhookID, 0, 10)
		if err != nil || len(list) != 1 || list[0].Status != store.DeliveryDelivered || list[0].Attempt != 2 || list[0].DeliveredAt == nil ||
			list[0].StatusCode != 204 || list[0].NextAttemptAt != nil {
			t.Fatalf("deliveries = %+v, %v", list, err)
		}
		if list, _ := f.s.ListOutboundDeliveries(ctx, other.WebhookID, 0, 10); len(list) != 1 || list[0].Status != store.DeliveryFailed {
			t.Errorf("given-up delivery = %+v", list)
		}
		if len(mustDue(t, f, retry.Add(time.Hour))) != 0 {
			t.Error("finished deliveries are still due")
		}

		// Pings have no event: several per webhook, each claimed at creation.
		for range 2 {
			p := &store.OutboundDelivery{WebhookID: appHook.ID, EventType: "ping", Payload: `{"type":"ping"}`}
			if err := f.s.CreateOutboundDelivery(ctx, p, retry.Add(time.Minute)); err != nil || p.ID == 0 || p.Attempt != 1 {
				t.Fatalf("ping delivery = %+v, %v", p, err)
			}
		}
		list, _ = f.s.ListOutboundDeliveries(ctx, appHook.ID, 0, 2)
		if len(list) != 2 || list[0].EventType != "ping" || list[0].EventID != 0 || list[0].ID < list[1].ID {
			t.Fatalf("newest first: %+v", list)
		}
		if older, _ := f.s.ListOutboundDeliveries(ctx, appHook.ID, list[1].ID, 10); len(older) != 1 || older[0].EventID != 7 {
			t.Errorf("next page = %+v", older)
		}

		// Deleting a webhook (soft) fails its pending deliveries.
		if err := f.s.DeleteOutboundWebhook(ctx, appHook.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetOutboundWebhook(ctx, appHook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted webhook: %v", err)
		}
		if err := f.s.DeleteOutboundWebhook(ctx, appHook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if l, _ := f.s.ListOutboundWebhooks(ctx, org.ID, app.ID); len(l) != 0 {
			t.Errorf("deleted webhook listed: %v", l)
		}
		list, _ = f.s.ListOutboundDeliveries(ctx, appHook.ID, 0, 10)
		for _, d := range list {
			if d.EventType == "ping" && (d.Status != store.DeliveryFailed || d.Error != "webhook deleted") {
				t.Errorf("pending delivery of a deleted webhook: %+v", d)
			}
		}
		if len(mustDue(t, f, retry.Add(time.Hour))) != 0 {
			t.Error("deliveries of a deleted webhook are due")
		}
	})
}

func mustDue(t *testing.T, f *fixture, at time.Time) []*store.OutboundDelivery {
	t.Helper()
	due, err := f.s.DueOutboundDeliveries(context.Background(), at, 100)
	if err != nil {
		t.Fatal(err)
	}
	return due
}
