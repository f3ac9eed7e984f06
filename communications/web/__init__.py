"""Pages and endpoints reached from outside the admin: unsubscribe, preferences, tracking, webhooks."""
