"""Observability rules: alert rules, dashboards, datasources, scraping, collectors, PromQL (promtool) and
Alertmanager's configuration (amtool)."""
