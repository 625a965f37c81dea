"""AES-256-GCM encryption of OAuth tokens at rest.

Each ciphertext is `nonce (12 bytes) || AESGCM(ciphertext + tag)` with a fresh random nonce.
The associated data names what the secret belongs to (platform, account, token kind), so a
ciphertext copied onto another account's row or into the other token column fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adsync_pipeline.config import ConfigError, dagster_home, setting
from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.local_config import LOCAL_CONFIG_FILE

KEY_ENV = "ADSYNC_ENCRYPTION_KEY"
NONCE_BYTES = 12
GENERATE_HINT = (
    'generate one with: python -c "import os,base64;'
    'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)


class DecryptionError(AdsyncError):
    """A stored secret cannot be decrypted: wrong key, tampered data or a swapped row."""


def generate_key() -> str:
    """A new key, in the form `ADSYNC_ENCRYPTION_KEY` expects."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(raw: str) -> bytes:
    """32 key bytes from 64 hex characters or (urlsafe) base64; ConfigError otherwise."""
    text = raw.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            key = decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(key) == 32:
            return key
    raise ConfigError(f"{KEY_ENV} must be 32 bytes as base64 or 64 hex characters; {GENERATE_HINT}")


def associated_data(platform: str, account_id: str, kind: str) -> bytes:
    return f"adsync:v1:{platform}:{account_id}:{kind}".encode()


class Vault:
    """Encrypts with the current key; decrypts with it or any older key still listed, so
    the key can rotate without losing a stored token (see `adsync keys rotate`)."""

    def __init__(self, key: bytes, *older: bytes) -> None:
        for each in (key, *older):
            if len(each) != 32:
                raise ConfigError(f"an AES-256 key is 32 bytes, got {len(each)}; {GENERATE_HINT}")
        self._aead = AESGCM(key)
        self._older = [AESGCM(each) for each in older]

    @classmethod
    def from_env(cls) -> Vault:
        """The keys from the environment, else from the local configuration of the demo:
        `current[,older,…]`, comma-separated, newest first."""
        raw = setting(KEY_ENV)
        if not raw.strip():
            raise ConfigError(
                f"{KEY_ENV} is not set and {dagster_home() / LOCAL_CONFIG_FILE} does not "
                "provide it: set it to the key the stored tokens were encrypted with (a new "
                "key cannot decrypt them), or run `adsync demo` for a local setup"
            )
        keys = [part for part in raw.split(",") if part.strip()]
        return cls(*(parse_key(part) for part in keys))

    @property
    def has_older_keys(self) -> bool:
        return bool(self._older)

    def encrypt(self, plaintext: str, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context)

    def decrypt(self, blob: bytes, context: bytes) -> str:
        return self.decrypt_with_key_age(blob, context)[0]

    def decrypt_with_key_age(self, blob: bytes, context: bytes) -> tuple[str, bool]:
        """The plaintext, and whether an older key (not the current one) decrypted it."""
        if len(blob) <= NONCE_BYTES:
            raise DecryptionError("a stored token is truncated and cannot be decrypted")
        for position, aead in enumerate([self._aead, *self._older]):
            try:
                plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context)
            except InvalidTag:
                continue
            return plain.decode(), position > 0
        raise DecryptionError(
            "a stored token cannot be decrypted: none of the keys in ADSYNC_ENCRYPTION_KEY is "
            "the one it was stored with (list the old key after the new one, comma-separated, "
            "while rotating), or the stored data was altered"
        )
