"""`invoke drill`: operational drills against a running cluster (self-healing, drift reverted by Argo CD, a
rollout through git, a crash-looping pod alerting Slack), each timed and each cleaning up after itself."""
