"""`invoke validate`, the gate: what the render layer returns, checked in stages (schema/, rules/) and reported
(report/); pipeline.py passes the data along."""
