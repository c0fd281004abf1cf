"""The owner's Ed25519 signing key: generated on first use, kept private, public half exported.

The key lives at ``$MEDTRUST_HOME/keys/audit_ed25519.pem`` (default ``~/.medtrust``), mode 0600
in a 0700 folder, and is refused when others can read it (as ssh does). Two processes that
create it at once agree on one key: each writes a private temp file and hard-links it into
place; the loser reads the winner's.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from medtrust.audit._hashing import canonical
from medtrust.errors import MedtrustError

KEY_NAME = "audit_ed25519.pem"
ROOT_TYPE = "medtrust.audit.root/v1"
_cache: dict[Path, Ed25519PrivateKey] = {}


def medtrust_home() -> Path:
    """``$MEDTRUST_HOME`` or ``~/.medtrust``."""
    return Path(os.environ.get("MEDTRUST_HOME") or Path.home() / ".medtrust")


def key_path() -> Path:
    """Where the private signing key is kept."""
    return medtrust_home() / "keys" / KEY_NAME


def _load(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        raise MedtrustError(
            f"{path}: audit key is readable by others (mode {mode:04o}); run chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise MedtrustError(f"{path}: not a PEM Ed25519 private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MedtrustError(f"{path}: not an Ed25519 private key")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def private_key(*, create: bool = True) -> Ed25519PrivateKey:
    """The signing key, generated on first use (``create``) or ``MedtrustError`` if absent."""
    path = key_path()
    if path in _cache:
        return _cache[path]
    if not path.exists():
        if not create:
            raise MedtrustError(f"no audit key at {path}")
        _create(path)
    key = _cache[path] = _load(path)
    return key


def public_key_hex(*, create: bool = True) -> str:
    """The raw 32-byte Ed25519 public key, hex: what reports and exports publish."""
    return (
        private_key(create=create)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def public_key_pem(*, create: bool = True) -> str:
    """The public key as SubjectPublicKeyInfo PEM."""
    return (
        private_key(create=create)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from raw hex, PEM text, or a path to a PEM or hex file."""
    text = text.strip()
    if not text.startswith("-----") and len(text) != 64 and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8").strip()
    try:
        if text.startswith("-----"):
            key: Any = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError as exc:
        raise MedtrustError(f"public key: not Ed25519 hex or PEM ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise MedtrustError("public key: not an Ed25519 key")
    return key


def root_message(run_id: str, size: int, root: str) -> bytes:
    """The bytes a root signature covers: canonical JSON naming run, tree size and root."""
    return canonical({"root": root, "run": run_id, "size": size, "type": ROOT_TYPE})


def sign_root(run_id: str, size: int, root: str) -> str:
    """Hex Ed25519 signature of a run's Merkle root with the owner's key."""
    return private_key().sign(root_message(run_id, size, root)).hex()


def verify_root(
    run_id: str, size: int, root: str, signature: str, public_key: str | Ed25519PublicKey
) -> bool:
    """Is ``signature`` a valid signature of (run, size, root) under ``public_key``?"""
    try:
        key = load_public_key(public_key) if isinstance(public_key, str) else public_key
        key.verify(bytes.fromhex(signature), root_message(run_id, size, root))
    except (InvalidSignature, ValueError, TypeError, MedtrustError):
        return False
    return True


TRUSTED_KEYS_ENV = "MEDTRUST_TRUSTED_KEYS"
"""A file (or several, separated by ``os.pathsep``) listing the public keys whose signed roots
``medtrust audit verify`` accepts: kept outside the store, so whoever can write the store cannot
add their own key to it."""

_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", re.S)


def public_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, hex (how seals record the signer)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _keys_in_text(text: str, where: str) -> list[str]:
    out = [public_hex(load_public_key(m.group(0))) for m in _PEM.finditer(text)]
    rest = _PEM.sub("", text)
    for n, line in enumerate(rest.splitlines(), 1):
        item = line.split("#", 1)[0].strip()
        if not item:
            continue
        try:
            out.append(public_hex(load_public_key(item)))
        except MedtrustError as exc:
            raise MedtrustError(f"{where}:{n}: {exc}") from None
    return out


def trusted_keys(sources: Sequence[str] = (), *, env: bool = True) -> list[str]:
    """Hex public keys from ``sources`` and ``$MEDTRUST_TRUSTED_KEYS``, in order, no repeats.

    A source is a raw hex key, PEM text, or a file holding any number of keys (PEM blocks,
    or one hex key a line; ``#`` starts a comment). Raises ``MedtrustError`` naming the file
    (and line) of anything that is not an Ed25519 public key, or a file that cannot be read.
    """
    found: list[str] = []
    items = list(sources)
    if env and os.environ.get(TRUSTED_KEYS_ENV):
        items += [p for p in os.environ[TRUSTED_KEYS_ENV].split(os.pathsep) if p]
    for item in items:
        text = item.strip()
        path = Path(text)
        if not text.startswith("-----") and len(text) != 64:
            try:
                data = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise MedtrustError(f"{path}: cannot read trusted keys: {why}") from None
            found += _keys_in_text(data, str(path))
        else:
            found.append(public_hex(load_public_key(text)))
    return list(dict.fromkeys(found))
