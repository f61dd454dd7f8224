"""`invoke loadtest`: Online Boutique's shopper journey under load with Locust, thresholds and evidence."""
