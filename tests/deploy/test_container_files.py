"""The container files agree with deploy/settings.py, the one source the local topology (deploy.local) reads:
the same image, ports, health path, affinity cookie, timeouts and environment — checked without a container
runtime. The Compose file and its proxy configuration are what `python -m deploy.render` writes; HAProxy
accepts both configurations (`haproxy -c`, where Debian's haproxy is installed); the Kubernetes manifests
parse, build with `kubectl kustomize` (offline) and pass `kubectl apply --dry-run=client` where kubectl reaches a
cluster (skipped otherwise, saying so: client-side dry runs still ask the API server for its resource types)."""
from __future__ import annotations

import pathlib
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from deploy import haproxy, render
from deploy import settings as S

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


def _k8s(kind: str, name: str | None = None) -> dict:
    docs = [d for f in sorted(K8S.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    found = [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''} in deploy/k8s/, found {len(found)}"
    return found[0]


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) per instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _json_or_shell(args: str) -> list[str]:
    import json

    return json.loads(args) if args.startswith("[") else shlex.split(args)


# ---------------------------------------------------------------------------------------------------------
# the Dockerfile

def test_dockerfile_is_slim_python_cpu_torch_non_root_with_a_healthcheck():
    ins = _dockerfile()
    first = [a for w, a in ins if w == "FROM"]
    assert len(first) == 1 and re.fullmatch(r"python:3\.1[12]-slim(-\w+)?", first[0]), first
    runs = " ".join(a for w, a in ins if w == "RUN")
    copies = [a for w, a in ins if w == "COPY"]
    # the CPU build of torch: the Community Cloud requirements, whose torch lines are links to PyTorch's CPU wheels
    assert any(a.startswith("cloud/requirements.txt ") for a in copies), copies
    assert "pip install -r /tmp/requirements.txt" in runs
    cloud = (ROOT / "cloud" / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu/torch-" in cloud and "+cpu" in cloud.replace("%2B", "+")
    users = [a for w, a in ins if w == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    assert f"--uid {S.APP_UID}" in runs and users[-1] == S.APP_USER
    assert [a for w, a in ins if w == "EXPOSE"] == [str(S.APP_PORT)]
    health = [a for w, a in ins if w == "HEALTHCHECK"]
    assert len(health) == 1 and f"127.0.0.1:{S.APP_PORT}{S.HEALTH_PATH}" in health[0], health
    assert f"b'{S.HEALTH_BODY}'" in health[0]
    cmd = _json_or_shell([a for w, a in ins if w == "CMD"][-1])
    assert cmd[:3] == ["streamlit", "run", S.ENTRY], cmd
    assert cmd[3:] == S.server_flags(S.APP_PORT, "0.0.0.0"), cmd
    envs = " ".join(a for w, a in ins if w == "ENV")
    for k, v in S.ENV.items():
        assert f"{k}={v}" in envs, f"the image's ENV lacks {k}={v}"


def test_dockerignore_keeps_the_app_and_drops_the_rest():
    ignored = {ln.strip() for ln in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
               if ln.strip() and not ln.startswith("#")}
    for needed in ("app.py", "ui", "rnn", "pages", "poll", "cloud", ".streamlit", "static"):
        assert needed not in ignored, f"{needed} is needed in the image"
    assert {".git", "tests", "artifacts"} <= ignored


# ---------------------------------------------------------------------------------------------------------
# Compose and its proxy

def test_compose_and_its_haproxy_config_are_what_the_settings_write():
    replicas = [n for n in _compose()["services"] if re.fullmatch(r"app\d+", n)]
    assert replicas == S.replica_names(len(replicas)) and len(replicas) >= 2, replicas
    for path, text in render.files(len(replicas)).items():
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is stale: run python -m deploy.render " \
                                         f"--replicas {len(replicas)}"


def test_compose_names_the_image_ports_health_and_environment_of_the_settings():
    services = _compose()["services"]
    apps = {n: s for n, s in services.items() if re.fullmatch(r"app\d+", n)}
    for name, app in apps.items():
        assert app["image"] == S.IMAGE
        assert app["build"]["dockerfile"] == "deploy/Dockerfile"
        assert [str(p) for p in app["expose"]] == [str(S.APP_PORT)]
        assert f"127.0.0.1:{S.APP_PORT}{S.HEALTH_PATH}" in " ".join(app["healthcheck"]["test"])
        env = app["environment"]
        assert {k: env[k] for k in S.ENV} == S.ENV, name
        for k in S.SECRET_ENV:
            assert "${" in env[k], f"{k} must come from the environment, not be written in the file"
        assert env[S.DB_ENV].startswith("postgresql+psycopg://") and f"@db:{S.DB_PORT}/{S.DB_NAME}" in env[S.DB_ENV]
        assert app["depends_on"]["db"]["condition"] == "service_healthy"
    proxy = services["proxy"]
    assert proxy["ports"] == [f"{S.PROXY_PORT}:{S.PROXY_PORT}"]
    assert sorted(proxy["depends_on"]) == sorted(apps)
    db = services["db"]
    assert db["environment"]["POSTGRES_DB"] == S.DB_NAME and db["environment"]["POSTGRES_USER"] == S.DB_USER
    volume = db["volumes"][0].split(":")[0]
    assert volume in _compose()["volumes"], "Postgres keeps its data in a named volume"


def test_haproxy_config_has_cookie_affinity_health_checks_and_websocket_timeouts():
    cfg = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    lines = [ln.strip() for ln in cfg.splitlines()]
    assert f"cookie {S.AFFINITY_COOKIE} insert indirect nocache httponly" in lines
    assert not any(ln.startswith("balance source") or "hash-type" in ln for ln in lines), \
        "affinity by the client's address puts a whole school (one NAT address) on one replica"
    assert f"http-check send meth GET uri {S.HEALTH_PATH}" in lines
    assert f"http-check expect string {S.HEALTH_BODY}" in lines
    assert f"timeout tunnel {S.TIMEOUTS.tunnel}s" in lines and S.TIMEOUTS.tunnel >= 3600
    assert "option redispatch" in lines
    for name in S.replica_names(3):
        assert f"server {name} {name}:{S.APP_PORT} cookie {name}" in lines
    assert f"bind *:{S.PROXY_PORT}" in lines


@pytest.mark.skipif(not shutil.which("haproxy"), reason="Debian's haproxy is not installed (apt-get install haproxy)")
@pytest.mark.parametrize("which", ["compose", "local"])
def test_haproxy_accepts_the_configurations(tmp_path, which):
    if which == "compose":
        path = DEPLOY / "haproxy" / "haproxy.cfg"
    else:  # what deploy.local writes for three replicas
        path = tmp_path / "haproxy.cfg"
        path.write_text(haproxy.render([haproxy.Server(n, "127.0.0.1", 9001 + i)
                                        for i, n in enumerate(S.replica_names(3))], "127.0.0.1:9000"))
    r = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_local_and_compose_proxies_differ_only_in_servers_bind_and_name_resolution():
    local = haproxy.render([haproxy.Server(n, "127.0.0.1", 1) for n in S.replica_names(3)], "127.0.0.1:1")
    compose = haproxy.compose_config(3)

    def shared(text: str) -> list[str]:
        skip = r"\s*(server |bind |resolvers |nameserver |hold |$)"
        return [ln.split(" resolvers ")[0] for ln in text.splitlines() if not re.match(skip, ln)]

    assert shared(local) == shared(compose)


# ---------------------------------------------------------------------------------------------------------
# Kubernetes

def test_deployment_runs_the_image_with_probes_on_the_health_path_and_the_environment():
    dep = _k8s("Deployment")
    spec = dep["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    assert c["image"] == S.IMAGE
    assert c["args"] == ["streamlit", "run", S.ENTRY, *S.server_flags(S.APP_PORT, "0.0.0.0")]
    assert c["ports"] == [{"name": "http", "containerPort": S.APP_PORT}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": S.HEALTH_PATH, "port": "http"}, probe
    env = {e["name"]: e for e in c["env"]}
    assert {k: env[k]["value"] for k in S.ENV} == S.ENV
    for k in S.SECRET_ENV:
        assert "secretKeyRef" in env[k]["valueFrom"], f"{k} comes from a Secret"
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == S.APP_UID
    assert dep["spec"]["replicas"] >= 2
    assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_service_and_ingress_route_to_the_app_port_with_cookie_affinity_and_websocket_timeouts():
    svc = _k8s("Service", "gradients-through-time")
    assert svc["spec"]["ports"][0]["port"] == S.APP_PORT and svc["spec"]["ports"][0]["targetPort"] == "http"
    assert "sessionAffinity" not in svc["spec"] or svc["spec"]["sessionAffinity"] != "ClientIP", \
        "never affinity by client IP: a school's students share one NAT address"
    ing = _k8s("Ingress")
    a = ing["metadata"]["annotations"]
    p = "nginx.ingress.kubernetes.io/"
    assert a[p + "affinity"] == "cookie"
    assert a[p + "session-cookie-name"] == S.AFFINITY_COOKIE
    assert a[p + "session-cookie-change-on-failure"] == "true"
    assert int(a[p + "proxy-read-timeout"]) == S.TIMEOUTS.tunnel
    assert int(a[p + "proxy-send-timeout"]) == S.TIMEOUTS.tunnel
    assert int(a[p + "proxy-connect-timeout"]) == S.TIMEOUTS.connect
    backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": svc["metadata"]["name"], "port": {"name": "http"}}


def test_postgres_statefulset_keeps_its_data_and_matches_the_url_in_the_secret():
    sts = _k8s("StatefulSet", "poll-db")
    (c,) = sts["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in c["env"]}
    assert env["POSTGRES_DB"]["value"] == S.DB_NAME and env["POSTGRES_USER"]["value"] == S.DB_USER
    assert c["ports"][0]["containerPort"] == S.DB_PORT
    assert sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == c["volumeMounts"][0]["name"]
    assert _k8s("Service", "poll-db")["spec"]["ports"][0]["port"] == S.DB_PORT
    header = (K8S / "app.yaml").read_text()
    assert f"@poll-db:{S.DB_PORT}/{S.DB_NAME}" in header  # the Secret's URL, as the header tells it


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed: the manifests are checked "
                                                        "by parsing only")
def test_kustomize_builds_the_manifests_offline():
    r = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(r.stdout) if d)
    assert kinds == sorted(["Deployment", "Service", "Ingress", "PodDisruptionBudget", "Service", "StatefulSet"])


def test_kubectl_dry_run_where_a_cluster_answers():
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed: the manifests are checked by parsing only")
    probe = subprocess.run(["kubectl", "version", "--request-timeout=5s"], capture_output=True, text=True,
                           timeout=30)
    if probe.returncode != 0:
        pytest.skip("kubectl reaches no cluster: `kubectl apply --dry-run=client` asks the API server for its "
                    "resource types, so it cannot run here (the manifests are checked by parsing and kustomize)")
    r = subprocess.run(["kubectl", "apply", "--dry-run=client", "-k", str(K8S)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
