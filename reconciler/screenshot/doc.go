// Package screenshot keeps a small picture of every ready app: the
// thumbnail on the dashboard's app overview, served by
// GET /api/v1/apps/:slug/screenshot.
//
// A Shooter loop scans, every minute and as soon as a deployment succeeds
// (Trigger), the apps in status ready. An app's primary environment is the
// one named "production" among its environments with a public URL, else the
// last of them in display order (environments are listed in promotion
// order). When that environment has a succeeded deployment, the loop
// captures its public URL with headless Chromium (driven over the DevTools
// protocol by chromedp) whenever the environment's latest succeeded
// deployment is not the one last captured, the URL changed, or the last
// capture is older than a day. Each capture is leased per app
// ("screenshot:<app id>"), so that one replica takes it.
//
// A capture opens the URL in a 1280x800 viewport (30 s at most), waits for
// the page to load and settle, and downscales the picture to a 480x300 PNG
// of less than 100 KB (a 256-colour one, or a 320x200 one, when a busy page
// does not fit), stored in the database (app_screenshots). Every request the
// page makes is checked against an ssrf.Policy first: cloud metadata and
// link-local addresses are always refused, private and loopback ones unless
// the policy allows them. A failed capture (timeout, refused address, a 5xx
// answer, no browser) keeps the previous picture, is logged at debug level
// and retried later with backoff: it never emits an event.
//
// Screenshots are optional: Browser finds the browser (--screenshot-browser,
// else chromium, chromium-browser or google-chrome on PATH); without one,
// or with "off", the loop does not run and the route answers 404.
package screenshot
