# HAProxy as in the BuilderNet image's haproxy.cfg.mustache (buildernet-vm.md §3), the routes
# that fit the twin: /livez on 80 and 443 answered by HAProxy, 80 redirects to https, every
# other path on 443 goes to FlowProxy's user port (so /readyz is FlowProxy's), 5544 (TLS) to
# its system port. The certificate is self-signed at boot (twin-haproxy-cert); the real
# image gets one from Let's Encrypt (acme-le). No rate limiting, ACME or /bob routes.
need(.flowproxy; "flowproxy") as $f
| need($f.user_listen_addr; "flowproxy.user_listen_addr") as $user
| need($f.system_listen_addr; "flowproxy.system_listen_addr") as $system
| "global
    log /dev/log local0 notice
    maxconn 4096

defaults
    log global
    mode http
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend http
    bind :80
    http-request return status 200 content-type text/plain lf-string \"OK\\n\" if { path /livez }
    http-request redirect scheme https code 301

frontend https
    bind :443 ssl crt /etc/haproxy/twin-cert.pem
    http-request return status 200 content-type text/plain lf-string \"OK\\n\" if { path /livez }
    default_backend user_of

backend user_of
    option httpchk GET /livez
    server flowproxy \($user) check inter 2s

frontend system
    mode tcp
    option tcplog
    bind :5544 ssl crt /etc/haproxy/twin-cert.pem
    default_backend system_of

backend system_of
    mode tcp
    server flowproxy \($system) check inter 5s
"
