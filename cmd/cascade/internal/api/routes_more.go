package api

// moreRoutes: catalog moderation, rejects (list, replay), consumption report.
func (a *API) moreRoutes() []route {
	return nil
}
