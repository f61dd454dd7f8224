"""Hosts and what runs on them: the inventory, the read-only probe and the preflight, and the bootstrap on top
(upgrades, backups and the platform host come next, beside it)."""
