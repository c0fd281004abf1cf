"""``medtrust review serve`` as a real process on 127.0.0.1: HTTPS with a certificate made in
the test (``cryptography``), and forwarded headers honoured only from a trusted proxy, so that
cookies are ``Secure`` whenever the user's connection is HTTPS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from medtrust.store import Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _serve(tmp_path: Path, *args: str) -> Iterator[int]:
    """Run ``medtrust review serve`` on a free port until the test is done; yields the port."""
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    Store(db).close()
    port = _free_port()
    env = {**os.environ, "MEDTRUST_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "medtrust", "review", "serve", "--port", str(port), "--db", db,
         *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "review serve did not start"
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(20)


def _login_cookie(response: httpx.Response) -> str:
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("medtrust_login=")
    return cookie.lower()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = _self_signed(tmp_path)
    for port in _serve(tmp_path, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)):
        yield port, cert


def test_serves_https_with_the_given_certificate_and_secure_cookies(
    tls_server: tuple[int, Path],
) -> None:
    port, cert = tls_server
    r = httpx.get(
        f"https://127.0.0.1:{port}/login", verify=ssl.create_default_context(cafile=str(cert))
    )
    assert r.status_code == 200 and 'name="password"' in r.text
    assert "; secure" in _login_cookie(r)
    with pytest.raises(httpx.HTTPError):  # plain http is not answered on the TLS port
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)


@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_proto_is_honoured_only_from_a_trusted_proxy(
    tmp_path: Path, trusted: bool
) -> None:
    args = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"] if trusted else []
    for port in _serve(tmp_path, *args):
        behind = httpx.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert behind.status_code == 200
        assert ("; secure" in _login_cookie(behind)) is trusted
        direct = httpx.get(f"http://127.0.0.1:{port}/login")
        assert "; secure" not in _login_cookie(direct)  # the proxy said http: not https


def test_a_proxy_that_is_not_listed_is_not_believed(tmp_path: Path) -> None:
    for port in _serve(tmp_path, "--forwarded-allow-ips", "10.1.2.3"):
        r = httpx.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert "; secure" not in _login_cookie(r)
