package api

// routes declares every route of the API, in one place.
func (a *API) routes() {
	r := a.router
	r.Use(a.recoverPanics, a.observe)
	r.NoRoute(a.notFound)
	r.NoMethod(a.methodNotAllowed)

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	r.GET("/metrics", a.metricsHandler())
}
