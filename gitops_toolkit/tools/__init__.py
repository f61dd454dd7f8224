"""The only places that run an external program or service (kubectl, kustomize, Helm's engine, promtool, amtool,
git, SSH and pyinfra, GitLab's API, check-jsonschema, package installs): parsed data in, one error type out."""
