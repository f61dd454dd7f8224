# Written by `invoke bootstrap` from platform/templates/gitlab.rb; changes here are replaced on its next run
# (and the bootstrap runs `gitlab-ctl reconfigure` when this file changed).
external_url 'https://{{ gitlab_name }}'
registry_external_url 'https://{{ registry_name }}:{{ registry_port }}'

# The certificate the bootstrap issues from the platform's own CA (both names, and the host's address).
letsencrypt['enable'] = false
nginx['redirect_http_to_https'] = true
nginx['ssl_certificate'] = '{{ certificate }}'
nginx['ssl_certificate_key'] = '{{ certificate_key }}'
registry_nginx['ssl_certificate'] = '{{ certificate }}'
registry_nginx['ssl_certificate_key'] = '{{ certificate_key }}'

# A small host: fewer Puma workers and Sidekiq threads; the cluster's Prometheus does the monitoring.
puma['worker_processes'] = 2
sidekiq['concurrency'] = 10
prometheus_monitoring['enable'] = false
