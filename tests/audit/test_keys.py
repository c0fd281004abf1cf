"""The signing key: created once with private permissions, refused when others can read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from medtrust.audit import key_path, load_public_key, public_key_hex, public_key_pem
from medtrust.audit._keys import _cache, private_key
from medtrust.errors import MedtrustError


def test_generated_on_first_use_with_restrictive_permissions(medtrust_home: Path) -> None:
    path = key_path()
    assert path == medtrust_home / "keys" / "audit_ed25519.pem" and not path.exists()
    hexed = public_key_hex()
    assert len(hexed) == 64 and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    _cache.clear()
    assert public_key_hex() == hexed  # loaded, not regenerated
    assert load_public_key(public_key_pem()).public_bytes_raw().hex() == hexed
    assert load_public_key(hexed).public_bytes_raw().hex() == hexed


def test_a_key_readable_by_others_is_refused(medtrust_home: Path) -> None:
    public_key_hex()
    _cache.clear()
    os.chmod(key_path(), 0o644)
    with pytest.raises(MedtrustError, match="chmod 600"):
        private_key()


def test_no_key_is_created_when_asked_not_to() -> None:
    with pytest.raises(MedtrustError):
        public_key_hex(create=False)
    assert not key_path().exists()
