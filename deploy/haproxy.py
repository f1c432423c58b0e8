"""HAProxy's configuration, written from deploy/settings.py: the local topology's (deploy.local, at start) and
the Compose file's (deploy/haproxy/haproxy.cfg, by `python -m deploy.render`) come from this one function.

What it sets up (HAProxy 2.6, Debian's package and the haproxy:2.6 image):
- cookie affinity: `cookie SERVERID insert indirect nocache httponly`. The first response to a browser
  carries SERVERID=<replica>; every later request (the page, its websocket, a media file, a download)
  goes to that replica. `indirect` keeps the cookie away from the app, `nocache` keeps shared caches from
  handing one student's cookie to another.
- a replica that goes down (its health check fails, or a connection to it is refused) loses its
  students to the others: HAProxy ignores a cookie naming a server that is down, `option redispatch` sends a
  request whose connection failed elsewhere, and the new replica's cookie replaces the old one.
- health checks on Streamlit's /_stcore/health, expecting "ok".
- websocket-friendly timeouts: an hour for an open tunnel, short ones for plain HTTP.
- `balance roundrobin`: a class arriving at once is spread evenly (leastconn counted the short page loads of
  ninety arrivals and put 9 on one replica and 48 on another); a browser with a cookie keeps its replica.
"""
from __future__ import annotations

from dataclasses import dataclass

from deploy import settings as S


@dataclass(frozen=True)
class Server:
    name: str  # also the value of the affinity cookie
    host: str
    port: int


def render(servers: list[Server], bind: str, *, resolvers: bool = False, stats: str | None = None) -> str:
    """The whole haproxy.cfg. `bind` is "address:port" of the one front door; `resolvers` re-resolves the
    servers' names through Docker's DNS (Compose: a restarted container gets a new address); `stats` is
    "address:port" of a read-only status page, or None."""
    t = S.TIMEOUTS
    lines = [
        "# Written by deploy/haproxy.py from deploy/settings.py; do not edit by hand",
        "# (python -m deploy.render rewrites it; tests/deploy/test_container_files.py checks it).",
        "global",
        "    maxconn 4096",
        "    log stdout format raw local0 info",
        "",
    ]
    if resolvers:
        lines += [
            "resolvers docker",
            "    nameserver dns 127.0.0.11:53",
            "    hold valid 5s",
            "",
        ]
    lines += [
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option redispatch",
        "    retries 2",
        f"    timeout connect {t.connect}s",
        f"    timeout http-request {t.http_request}s",
        f"    timeout client {t.client}s",
        f"    timeout server {t.server}s",
        f"    timeout tunnel {t.tunnel}s",
        f"    timeout client-fin {t.client_fin}s",
        f"    timeout check {t.check}s",
        "",
        "frontend class",
        f"    bind {bind}",
        "    default_backend replicas",
        "",
        "backend replicas",
        "    balance roundrobin",
        f"    cookie {S.AFFINITY_COOKIE} insert indirect nocache httponly",
        "    option httpchk",
        f"    http-check send meth GET uri {S.HEALTH_PATH}",
        f"    http-check expect string {S.HEALTH_BODY}",
        "    # which replica answered (its name, as in the cookie): for an administrator's curl -I, and the tests",
        f"    http-response set-header {S.REPLICA_HEADER} %[srv_name]",
        f"    default-server check inter {S.CHECK_INTERVAL_S}s fall {S.CHECK_FALL} rise {S.CHECK_RISE}"
        + (" resolvers docker init-addr last,libc,none" if resolvers else ""),
    ]
    lines += [f"    server {s.name} {s.host}:{s.port} cookie {s.name}" for s in servers]
    if stats:
        lines += ["", "frontend stats", f"    bind {stats}", "    stats enable", "    stats uri /",
                  "    stats refresh 5s"]
    return "\n".join(lines) + "\n"


def compose_config(replicas: int) -> str:
    """The Compose file's proxy configuration: replicas app1 … appN at APP_PORT, found through Docker's DNS."""
    servers = [Server(n, n, S.APP_PORT) for n in S.replica_names(replicas)]
    return render(servers, f"*:{S.PROXY_PORT}", resolvers=True)
