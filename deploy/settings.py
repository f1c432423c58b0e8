"""The one source of the deployment's settings: the proxy's affinity cookie and timeouts, the health check,
the ports, the image and the replicas' environment.

Read by the local topology (`python -m deploy.local`), which configures HAProxy from them at start, and by
`python -m deploy.render`, which writes the Compose file's proxy configuration from the same function; the
Dockerfile, the Compose file and the Kubernetes manifests are checked against them by
tests/deploy/test_container_files.py (without a container runtime). Change a value here, run
`python -m deploy.render`, then edit the manifests until that test passes.

Why these values:
- Cookie affinity, never the client's address: a school's students share one NAT address, and a hash of it
  would put a whole class on one replica. A Streamlit session lives in one process (its session state,
  its media files and downloads, its reruns over one websocket), so every request of a browser must reach
  the replica that holds its session (Streamlit's docs on multiple replicas; streamlit/streamlit#4173, #2936).
- Websockets stay open for a whole lecture: the proxy's tunnel timeout is an hour, not the 30-60 s of an
  HTTP default, or idle students (reading, not clicking) would be cut off mid-lesson.
- The health path is Streamlit's own (/_stcore/health answers "ok" once the server takes sessions).
- Every replica gets the same cookie secret (Streamlit signs cookies with it; its docs ask for one value
  across replicas) and the same POLL_DB_URL: shared state lives in the database, never in a process.
"""
from __future__ import annotations

from dataclasses import dataclass

# --- the image and the app ------------------------------------------------------------------------------
IMAGE = "gradients-through-time:latest"  # what `docker build -f deploy/Dockerfile -t …` tags; Compose and k8s run it
ENTRY = "app.py"  # `streamlit run app.py` in every replica, the same entry as a local run
APP_PORT = 8501  # Streamlit's port inside a container (each local replica takes a free port instead)
PROXY_PORT = 8600  # the one port a class opens (HAProxy locally and in Compose)
APP_USER = "app"  # the image's non-root user
APP_UID = 10001

# --- the health check -----------------------------------------------------------------------------------
HEALTH_PATH = "/_stcore/health"
HEALTH_BODY = "ok"
CHECK_INTERVAL_S = 2  # the proxy's check of each replica
CHECK_FALL = 2  # failed checks before a replica is taken out
CHECK_RISE = 2  # passed checks before it is taken back

# --- affinity -------------------------------------------------------------------------------------------
AFFINITY_COOKIE = "SERVERID"  # HAProxy `cookie SERVERID insert indirect nocache`; ingress-nginx's session-cookie-name
REPLICA_HEADER = "X-Replica"  # HAProxy names the replica that answered in this response header

# --- timeouts (seconds) ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timeouts:
    connect: int = 5  # the proxy opening a connection to a replica
    http_request: int = 10  # a client sending one HTTP request's headers
    client: int = 60  # an idle HTTP client (before any upgrade)
    server: int = 60  # a replica answering one HTTP request (the page, a media file, a download)
    tunnel: int = 3600  # an open websocket, both ways: a lecture's length, idle students included
    client_fin: int = 10  # a half-closed connection
    check: int = 5  # one health check


TIMEOUTS = Timeouts()

# --- the replicas' environment --------------------------------------------------------------------------
DB_ENV = "POLL_DB_URL"  # the class poll's database (poll/config.py reads it), shared by every replica
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"  # one value across replicas (Streamlit's docs)
# the same in every replica, in every topology; the secrets above come from a Secret or the launcher
ENV = {
    "STREAMLIT_SERVER_HEADLESS": "true",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    # glibc: two arenas per process (cloud/allocator.py measured the growth without it under a lesson)
    "MALLOC_ARENA_MAX": "2",
}
PASSCODE_ENV = "TEACHER_PASSCODE"  # guards the teacher page (ui/session/teacher.py); deploy.local passes on yours
SECRET_ENV = (DB_ENV, COOKIE_SECRET_ENV, PASSCODE_ENV)

# --- Postgres (Compose's service and the k8s StatefulSet; deploy.local takes deploy/postgres.py's) --------
DB_NAME = "poll"
DB_USER = "poll"
DB_PORT = 5432


def server_flags(port: int, address: str) -> list[str]:
    """The `streamlit run` flags every replica gets (the container's CMD has the same, at APP_PORT and 0.0.0.0)."""
    return ["--server.address", address, "--server.port", str(port)]


def replica_names(n: int) -> list[str]:
    """app1 … appN: each replica's name, its proxy server name and the value of its affinity cookie."""
    return [f"app{i}" for i in range(1, n + 1)]
