"""The collection app's routers, one per area: a person's pages, consent, the JSON API and the admin pages."""
