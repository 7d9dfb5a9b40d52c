"""Log-in throttling that slows attackers and never locks out the owner or a village hall.

Only failures count, so a room full of people logging in from one router is never slowed.
They are limited per (account, address), CBPAR_LOGIN_RATE_LIMIT: the right password from an
address that has not been failing works however hard another address hammers that account.
Each address also has a much higher ceiling for failures on any accounts,
CBPAR_LOGIN_ADDRESS_RATE_LIMIT, against one address trying many usernames. An IPv6 address
counts as its /64 network (one household or device usually has a whole /64).

The counts live in Flask-Limiter's storage (memory in one process, Redis when several app
processes run), so every process sees the same numbers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time

from flask import current_app
from limits import RateLimitItem, parse

from cbpar.extensions import client_address, limiter

Counter = tuple[RateLimitItem, tuple[str, ...]]


def enabled() -> bool:
    # Read per request, so one process can host apps with different settings (tests).
    return bool(current_app.config["LOGIN_RATE_LIMIT_ENABLED"]) and limiter.enabled


def address() -> str:
    raw = client_address()
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _account(username: str) -> str:
    # Hashed: any text someone types as a username becomes a safe, fixed-length key.
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def _address_counter() -> Counter:
    limit = parse(current_app.config["LOGIN_ADDRESS_RATE_LIMIT"])
    return limit, ("cbpar-login-failures-address", address())


def _account_counter(username: str) -> Counter:
    limit = parse(current_app.config["LOGIN_RATE_LIMIT"])
    return limit, ("cbpar-login-failures", _account(username), address())


def _wait(counters: list[Counter]) -> int:
    """Seconds until every counter allows one more failure; 0 if they already do."""
    wait = 0.0
    now = time.time()
    for item, keys in counters:
        if not limiter.limiter.test(item, *keys):
            reset = limiter.limiter.get_window_stats(item, *keys).reset_time
            wait = max(wait, reset - now, 1)
    return math.ceil(wait)


def _count(counters: list[Counter]) -> None:
    for item, keys in counters:
        limiter.limiter.hit(item, *keys)


def login_wait(username: str) -> int:
    """Seconds this address must wait before trying this account again (0: go ahead)."""
    if not enabled():
        return 0
    return _wait([_account_counter(username), _address_counter()])


def login_failed(username: str) -> None:
    if enabled():
        _count([_account_counter(username), _address_counter()])


def login_succeeded(username: str) -> None:
    """The owner got in: their earlier typing mistakes from here are forgiven."""
    if enabled():
        item, keys = _account_counter(username)
        limiter.limiter.clear(item, *keys)


def address_wait() -> int:
    """For other secrets tried from an address (invitation links): the address ceiling."""
    return _wait([_address_counter()]) if enabled() else 0


def address_failed() -> None:
    if enabled():
        _count([_address_counter()])


def minutes(seconds: int) -> int:
    """A wait in whole minutes, rounded up, for people to read."""
    return max(1, math.ceil(seconds / 60))
