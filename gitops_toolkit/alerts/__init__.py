"""Alerting and the site: `invoke alerts.test` (rule tests with promtool, routing tests with amtool),
`invoke slack.seal` (the Slack webhooks sealed for the cluster) and `invoke site` (what differs per site)."""
