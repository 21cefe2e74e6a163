#!/usr/bin/env python3
"""Helpers of scripts/fuzz-api (the commands use the standard library only).

    fuzz_support.py free-port                      print a free loopback TCP port
    fuzz_support.py wait URL [SECONDS] [--pid PID]  wait until URL answers 200
    fuzz_support.py seed REGISTRY_URL [--quiet]     push small images (Docker schema2, OCI, OCI index);
                                                    again to restore what the fuzzer deleted
    fuzz_support.py reseed REGISTRY_URL SECONDS [API_URL TOKEN_FILE]
                                                    seed again every SECONDS, until terminated
    fuzz_support.py signin API_URL [STATE_FILE]     sign in as admin (password in $ADMIN_PASSWORD),
                                                    enrolling TOTP if needed; print the session token
                                                    (STATE_FILE keeps the TOTP secret for a later one)
    fuzz_support.py alive API_URL TOKEN_FILE        exit 0 while the session still answers /api/auth/me
    fuzz_support.py watch API_URL TOKEN_FILE PID_FILE  every 3 s check the session; when it is gone,
                                                    say so and interrupt the PID in PID_FILE (SIGINT)
    fuzz_support.py summary REPORT_DIR              PASS/FAIL figures from schemathesis' reports

Everything talks to loopback addresses only.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import io
import json
import os
import socket
import struct
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def die(message: str) -> None:
    print(f"fuzz_support: {message}", file=sys.stderr)
    sys.exit(1)


def check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        die(f"refusing a non-loopback address: {url}")


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


# ---- free-port / wait ------------------------------------------------------------------------


def free_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        print(sock.getsockname()[1])


def wait(url: str, seconds: float = 30, pid: int | None = None) -> None:
    check_loopback(url)
    deadline = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < deadline:
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                die(f"process {pid} exited while waiting for {url}")
        try:
            status, _, _ = request("GET", url, timeout=2)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as err:
            last = str(err)
        time.sleep(0.1)
    die(f"{url} did not answer 200 within {seconds:g} s ({last})")


# ---- seed ------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj) -> bytes:
    return json.dumps(obj, indent=3, sort_keys=False).encode()


def make_layer(name: str, files: dict[str, bytes]) -> tuple[bytes, str]:
    """A real gzipped tar; returns (gzip bytes, diff_id = sha256 of the uncompressed tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mode = 0o755 if path.startswith("bin/") else 0o644
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    gz = gzip.compress(tar_bytes, mtime=0)
    return gz, sha256(tar_bytes)


class Registry:
    def __init__(self, base: str) -> None:
        check_loopback(base)
        self.base = base.rstrip("/")

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        status, _, _ = request("HEAD", f"{self.base}/v2/{repo}/blobs/{digest}")
        if status == 200:
            return digest
        status, headers, body = request("POST", f"{self.base}/v2/{repo}/blobs/uploads/", body=b"")
        if status != 202:
            die(f"starting a blob upload to {repo}: HTTP {status} {body[:300]!r}")
        location = urllib.parse.urljoin(self.base + "/", headers["Location"])
        check_loopback(location)
        sep = "&" if "?" in location else "?"
        url = f"{location}{sep}digest={urllib.parse.quote(digest)}"
        status, _, body = request(
            "PUT", url, body=data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        )
        if status != 201:
            die(f"uploading blob {digest} to {repo}: HTTP {status} {body[:300]!r}")
        return digest

    def push_manifest(self, repo: str, reference: str, media_type: str, data: bytes) -> str:
        status, headers, body = request(
            "PUT", f"{self.base}/v2/{repo}/manifests/{reference}", body=data,
            headers={"Content-Type": media_type},
        )
        if status != 201:
            die(f"pushing manifest {repo}:{reference}: HTTP {status} {body[:500]!r}")
        digest = sha256(data)
        answered = headers.get("Docker-Content-Digest")
        if answered and answered != digest:
            die(f"{repo}:{reference}: registry says {answered}, we computed {digest}")
        return digest

    def push_image(self, repo: str, *, oci: bool, arch: str = "amd64", variant: str | None = None,
                   version: str = "1.0", tag: str | None = None) -> tuple[str, int, str]:
        """Pushes a config and one layer and the manifest (by tag, else by digest).

        Returns (manifest digest, manifest size, media type)."""
        layer, diff_id = make_layer(repo, {
            "etc/os-release": f"NAME=fuzz\nVERSION={version}\nARCH={arch}\n".encode(),
            f"bin/{repo.rsplit('/', 1)[-1]}": b"#!/bin/sh\necho hello from " + repo.encode() + b"\n",
        })
        config = {
            "architecture": arch,
            "os": "linux",
            "created": "2024-05-01T12:00:00Z",
            "config": {
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        f"APP_VERSION={version}"],
                "Cmd": ["/bin/sh"],
                "Labels": {"org.opencontainers.image.title": repo,
                           "org.opencontainers.image.version": version},
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": "2024-05-01T12:00:00Z",
                         "created_by": f"/bin/sh -c #(nop) ADD file:{diff_id[7:19]} in / "},
                        {"created": "2024-05-01T12:00:01Z",
                         "created_by": '/bin/sh -c #(nop)  CMD ["/bin/sh"]', "empty_layer": True}],
        }
        if variant:
            config["variant"] = variant
        config_bytes = canonical(config)
        config_digest = self.push_blob(repo, config_bytes)
        layer_digest = self.push_blob(repo, layer)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
            "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
                       "size": len(config_bytes), "digest": config_digest},
            "layers": [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER,
                        "size": len(layer), "digest": layer_digest}],
        }
        if oci:
            manifest["annotations"] = {"org.opencontainers.image.created": "2024-05-01T12:00:00Z"}
        media_type = manifest["mediaType"]
        data = canonical(manifest)
        digest = self.push_manifest(repo, tag or sha256(data), media_type, data)
        return digest, len(data), media_type

    def push_index(self, repo: str, tags: list[str], version: str) -> str:
        manifests = []
        for arch, variant in (("amd64", None), ("arm64", "v8")):
            digest, size, media_type = self.push_image(repo, oci=True, arch=arch, variant=variant,
                                                       version=version)
            platform = {"architecture": arch, "os": "linux"}
            if variant:
                platform["variant"] = variant
            manifests.append({"mediaType": media_type, "size": size, "digest": digest, "platform": platform})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        data = canonical(index)
        for tag in tags:
            digest = self.push_manifest(repo, tag, OCI_INDEX, data)
        return digest


def seed(base: str, quiet: bool = False) -> None:
    reg = Registry(base)
    status, _, _ = request("GET", f"{reg.base}/v2/")
    if status != 200:
        die(f"{reg.base}/v2/ answered HTTP {status}")
    pushed = []
    # alpine: Docker schema2 (latest and v1 share a digest) and an OCI manifest (v2).
    digest, _, _ = reg.push_image("alpine", oci=False, version="3.19", tag="latest")
    reg.push_manifest("alpine", "v1", DOCKER_MANIFEST, request(
        "GET", f"{reg.base}/v2/alpine/manifests/{digest}", headers={"Accept": DOCKER_MANIFEST})[2])
    pushed += [("alpine:latest", digest), ("alpine:v1", digest)]
    digest, _, _ = reg.push_image("alpine", oci=True, version="3.20", tag="v2")
    pushed.append(("alpine:v2", digest))
    # team/app: OCI manifest (v1) and a two-platform OCI index (v2, latest).
    digest, _, _ = reg.push_image("team/app", oci=True, version="1.0", tag="v1")
    pushed.append(("team/app:v1", digest))
    digest = reg.push_index("team/app", ["v2", "latest"], version="2.0")
    pushed += [("team/app:v2", digest), ("team/app:latest", digest)]
    # team/tools/cli: Docker schema2 (v1) and an OCI index (latest).
    digest, _, _ = reg.push_image("team/tools/cli", oci=False, version="0.9", tag="v1")
    pushed.append(("team/tools/cli:v1", digest))
    digest = reg.push_index("team/tools/cli", ["latest"], version="1.0")
    pushed.append(("team/tools/cli:latest", digest))

    status, _, body = request("GET", f"{reg.base}/v2/_catalog")
    repos = json.loads(body).get("repositories", []) if status == 200 else []
    for expected in ("alpine", "team/app", "team/tools/cli"):
        if expected not in repos:
            die(f"{expected} missing from the registry's catalog after seeding: {repos}")
    if not quiet:
        print(f"seeded {len(pushed)} tags in {len(repos)} repositories: "
              + ", ".join(name for name, _ in pushed), file=sys.stderr)


def reseed(base: str, interval: float, api: str | None = None, token_file: str | None = None) -> None:
    """Pushes the images again every `interval` seconds; with the API, also makes the `local`
    registry writable again (the schema's own example PATCHes it read-only, after which every
    delete is a 409 and the delete paths go untested)."""
    while True:
        time.sleep(interval)
        try:
            seed(base, quiet=True)
            if api and token_file:
                check_loopback(api)
                with open(token_file) as f:
                    token = f.read().strip()
                request("PATCH", api.rstrip("/") + "/api/admin/registries/local",
                        body=b'{"read_only": false}',
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        except (OSError, SystemExit) as err:
            print(f"fuzz_support: reseeding failed: {err}", file=sys.stderr)


# ---- signin ----------------------------------------------------------------------------------


def totp(secret_b32: str, step: int) -> str:
    secret = secret_b32.strip().replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    status, _, body = request("POST", url, body=json.dumps(payload).encode(),
                              headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        return status, {"raw": body[:300].decode(errors="replace")}


def signin(api: str, state_path: str | None = None) -> None:
    """Password, then TOTP (enrolling on first sign-in). Token on stdout, the rest on stderr."""
    check_loopback(api)
    api = api.rstrip("/")
    password = os.environ.get("ADMIN_PASSWORD") or die("ADMIN_PASSWORD is not set")
    username = os.environ.get("ADMIN_USERNAME", "admin")
    state = {}
    if state_path and os.path.exists(state_path):
        with open(state_path) as f:
            state = json.load(f)
    status, answer = post_json(f"{api}/api/auth/login", {"username": username, "password": password})
    if status != 200:
        die(f"login: HTTP {status} {answer}")
    if answer.get("status") == "totp_setup_required":
        state["totp_secret"] = answer["totp_secret"]
    elif answer.get("status") != "totp_required" or "totp_secret" not in state:
        die(f"login: unexpected answer {answer.get('status')!r} (no TOTP secret known)")
    # A code is accepted once: never reuse the step of an earlier sign-in.
    step = int(time.time()) // 30
    if step <= state.get("last_step", -1):
        time.sleep(30 - time.time() % 30 + 0.5)
        step = int(time.time()) // 30
    for attempt in range(2):
        status, session = post_json(f"{api}/api/auth/verify-2fa", {
            "login_token": answer["login_token"], "code": totp(state["totp_secret"], step)})
        if status == 200:
            break
        # The step may have ticked over between computing and checking: one more try on the next.
        if attempt == 0 and status == 401:
            time.sleep(30 - time.time() % 30 + 0.5)
            step = int(time.time()) // 30
            continue
        die(f"verify-2fa: HTTP {status} {session}")
    state["last_step"] = step
    if session.get("backup_codes"):
        state["backup_codes"] = session["backup_codes"]
    if state_path:
        with open(state_path, "w") as f:
            json.dump(state, f)
    token = session.get("token") or die(f"verify-2fa: no token in {list(session)}")
    print(f"signed in as {session.get('user', {}).get('username', username)} "
          f"(session until {session.get('expires_at')})", file=sys.stderr)
    print(token)


# ---- alive / watch ---------------------------------------------------------------------------


def session_status(api: str, token_file: str) -> int:
    check_loopback(api)
    with open(token_file) as f:
        token = f.read().strip()
    status, _, _ = request("GET", api.rstrip("/") + "/api/auth/me",
                           headers={"Authorization": f"Bearer {token}"}, timeout=5)
    return status


def alive(api: str, token_file: str) -> None:
    try:
        status = session_status(api, token_file)
    except OSError as err:
        die(f"GET /api/auth/me: {err}")
    if status != 200:
        print(f"GET /api/auth/me with the fuzzer's token: HTTP {status}", file=sys.stderr)
        sys.exit(1)


def watch(api: str, token_file: str, pid_file: str) -> None:
    """Stops a run whose session is gone: every request after that only tests the 401 path."""
    import signal
    for _ in range(600):
        try:
            with open(pid_file) as f:
                pid = int(f.read().strip())
            break
        except (OSError, ValueError):
            time.sleep(0.1)
    else:
        die(f"no PID in {pid_file}")
    while True:
        time.sleep(3)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            status = session_status(api, token_file)
        except OSError:
            continue  # a busy or dead server is for the run itself to report
        if status == 401:
            print(f"\nfuzz-api: the fuzzer's session was revoked during the run; stopping schemathesis",
                  file=sys.stderr)
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            sys.exit(1)


# ---- summary ---------------------------------------------------------------------------------


def summary(report_dir: str) -> None:
    """The figures of schemathesis' JSON report (operations per JUnit test case as a fallback)."""
    path = os.path.join(report_dir, "report.json")
    if os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
        ops, cases = report.get("operations", {}), report.get("test_cases", {})
        print(f"operations: {ops.get('tested', 0)} tested of {ops.get('selected', 0)} selected "
              f"({ops.get('total', 0)} in the document), {ops.get('errored', 0)} errored")
        print(f"test cases: {cases.get('generated', 0)} generated, {cases.get('with_failures', 0)} with failures "
              f"({cases.get('unique_failures', 0)} unique), {cases.get('errored', 0)} errored; "
              f"{report.get('running_time', 0):.0f}s, stopped by {report.get('stop_reason')}")
        for failure in report.get("failures", [])[:30]:
            print(f"  failure: {json.dumps(failure)[:300]}")
        for error in report.get("errors", [])[:30]:
            print(f"  error: {json.dumps(error)[:300]}")
        return
    path = os.path.join(report_dir, "junit.xml")
    if not os.path.exists(path):
        die(f"no report in {report_dir}")
    total = failed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        total += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"  failing: {case.get('name')}")
    print(f"operations: {total} tested, {failed} failed or errored")


def main(argv: list[str]) -> None:
    if not argv:
        die(__doc__)
    command, args = argv[0], argv[1:]
    if command == "free-port":
        free_port()
    elif command == "wait":
        pid = None
        if "--pid" in args:
            i = args.index("--pid")
            pid = int(args[i + 1])
            del args[i:i + 2]
        wait(args[0], float(args[1]) if len(args) > 1 else 30, pid)
    elif command == "seed":
        seed(args[0], quiet="--quiet" in args[1:])
    elif command == "reseed":
        reseed(args[0], float(args[1]), *args[2:4])
    elif command == "signin":
        signin(args[0], args[1] if len(args) > 1 else None)
    elif command == "alive":
        alive(args[0], args[1])
    elif command == "watch":
        watch(args[0], args[1], args[2])
    elif command == "summary":
        summary(args[0])
    else:
        die(f"unknown command {command!r}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
