"""`invoke certs`: the cluster's certificates, read and renewed over SSH."""
