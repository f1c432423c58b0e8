"""Write the Compose topology from deploy/settings.py: deploy/compose.yaml (N app replicas, HAProxy, Postgres)
and deploy/haproxy/haproxy.cfg (the proxy's configuration, from the function the local topology uses).

    python -m deploy.render                 # 3 replicas (the committed files)
    python -m deploy.render --replicas 5    # five: rewrites both files
    python -m deploy.render --check         # exit 1 if the committed files differ from what this writes

Compose names each replica (app1 … appN) rather than scaling one service: the proxy's cookie names the
replica a browser belongs to, so each needs a stable name the proxy's configuration can list.
The Kubernetes manifests (deploy/k8s/) need no generator: the Deployment's `replicas` is the one number to change.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

from deploy import haproxy
from deploy import settings as S

HERE = pathlib.Path(__file__).resolve().parent
COMPOSE = HERE / "compose.yaml"
HAPROXY_CFG = HERE / "haproxy" / "haproxy.cfg"


def compose(replicas: int) -> str:
    names = S.replica_names(replicas)
    env = "\n".join(f'    {k}: "{v}"' for k, v in S.ENV.items())
    apps = "\n".join(f"  {n}:\n    <<: *app" for n in names)
    depends = "\n".join(f"      - {n}" for n in names)
    t = S.TIMEOUTS
    return f"""\
# The app for many classes: {replicas} replicas of one image behind HAProxy with cookie affinity, one Postgres.
# Written by `python -m deploy.render --replicas {replicas}` from deploy/settings.py; do not edit by hand
# (tests/deploy/test_container_files.py checks it against the settings and the local topology).
#
#   cd deploy
#   export POLL_DB_PASSWORD=$(openssl rand -hex 16) STREAMLIT_COOKIE_SECRET=$(openssl rand -hex 32)
#   export TEACHER_PASSCODE='…'             # the teacher page asks for it
#   docker compose up -d --build            # then open http://<this host>:{S.PROXY_PORT}
#
# Each replica is one Streamlit process; a browser's session lives in one of them, so the proxy pins every
# browser to its replica with the {S.AFFINITY_COOKIE} cookie (never the client's address: a school's students share
# one NAT address). A replica that stops loses its students to the others (their settings come back from the
# link, their answers are in Postgres); `restart: unless-stopped` brings it back for new sessions.
# Websockets stay open for the whole lecture: the proxy's tunnel timeout is {t.tunnel} s.
name: gradients-through-time

x-app: &app
  image: {S.IMAGE}
  build:
    context: ..
    dockerfile: deploy/Dockerfile
  environment:
    {S.DB_ENV}: "postgresql+psycopg://{S.DB_USER}:${{POLL_DB_PASSWORD:?set POLL_DB_PASSWORD}}@db:{S.DB_PORT}/{S.DB_NAME}"
    {S.COOKIE_SECRET_ENV}: "${{STREAMLIT_COOKIE_SECRET:?set STREAMLIT_COOKIE_SECRET, the same for every replica}}"
    {S.PASSCODE_ENV}: "${{TEACHER_PASSCODE:?set TEACHER_PASSCODE, the teacher page's passcode}}"
{env}
  expose:
    - "{S.APP_PORT}"
  healthcheck:  # the image's own, spelled out: Compose waits on it
    test: ["CMD", "python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:{S.APP_PORT}{S.HEALTH_PATH}', timeout=2).read() != b'{S.HEALTH_BODY}')"]
    interval: 10s
    timeout: 3s
    start_period: 60s
    retries: 3
  depends_on:
    db:
      condition: service_healthy
  restart: unless-stopped

services:
{apps}

  proxy:
    image: haproxy:2.6
    ports:
      - "{S.PROXY_PORT}:{S.PROXY_PORT}"
    volumes:
      - ./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro
    depends_on:
{depends}
    restart: unless-stopped

  db:
    image: postgres:16
    environment:
      POSTGRES_DB: {S.DB_NAME}
      POSTGRES_USER: {S.DB_USER}
      POSTGRES_PASSWORD: "${{POLL_DB_PASSWORD:?set POLL_DB_PASSWORD}}"
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "{S.DB_USER}", "-d", "{S.DB_NAME}"]
      interval: 5s
      timeout: 3s
      retries: 10
    restart: unless-stopped

volumes:
  pgdata:
"""


def files(replicas: int) -> dict[pathlib.Path, str]:
    return {COMPOSE: compose(replicas), HAPROXY_CFG: haproxy.compose_config(replicas)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deploy.render", description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="only compare with the files on disk")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error(f"--replicas must be at least 1, got {args.replicas}")
    stale = []
    for path, text in files(args.replicas).items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(HERE.parent)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date (run python -m deploy.render --replicas {args.replicas}): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
