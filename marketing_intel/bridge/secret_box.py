"""Encryption at rest of source secrets, verify tokens and tenant salts (`cryptography` Fernet).

`MI_BRIDGE_SECRET_KEY` holds one or more Fernet keys separated by commas, newest first: the first
encrypts, all of them decrypt, so the key itself can be rotated (add the new key in front, run
`mi sources reencrypt`, then drop the old one). With the embedded database and no key set, a key
is generated once into `<MI_HOME>/bridge.key` (permissions 0600) and reused; a production
database without a key refuses to start (see `Settings`).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from marketing_intel.bridge.errors import BridgeError
from marketing_intel.config import Settings

KEY_FILE_NAME = "bridge.key"


class SecretBox:
    """Encrypts and decrypts small secrets with the configured keys."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise BridgeError("No encryption key given; set MI_BRIDGE_SECRET_KEY.")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise BridgeError(
                "MI_BRIDGE_SECRET_KEY is not a list of Fernet keys (32 url-safe base64 bytes "
                'each, comma-separated); generate one with `python -c "from '
                'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
            ) from None

    def seal(self, plain: bytes) -> bytes:
        """`plain` encrypted and authenticated with the newest key."""
        return self._fernet.encrypt(plain)

    def open(self, token: bytes) -> bytes:
        """The plain bytes of `token`, decrypted with whichever configured key made it."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise BridgeError(
                "A stored secret cannot be decrypted with MI_BRIDGE_SECRET_KEY: the key was "
                "changed without keeping the old one; put the old key back (after the new one)."
            ) from None

    def reseal(self, token: bytes) -> bytes:
        """`token` re-encrypted with the newest key (for key rotation)."""
        return self._fernet.rotate(token)


def secret_box(settings: Settings) -> SecretBox:
    """The box of the configured key, or of the embedded key file (created on first use)."""
    if settings.bridge.secret_key is not None:
        text = settings.bridge.secret_key.get_secret_value()
        return SecretBox([part.strip().encode() for part in text.split(",") if part.strip()])
    return SecretBox([_embedded_key(settings.home / KEY_FILE_NAME)])


def _embedded_key(path: Path) -> bytes:
    """The key in `path`, written with permissions 0600 first if it does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as file:
        file.write(Fernet.generate_key())
    return path.read_bytes().strip()
