"""Outbound HTTP of sync runs: retries with backoff and jitter, Retry-After, a retry budget.

A request is retried after a connection error, a timeout, a body that breaks off or does
not parse (a truncated page), a ``5xx``, and a ``429``. Waits grow exponentially from
``backoff`` to ``backoff_max`` with jitter (half fixed, half random, so concurrent
runners spread out); a ``Retry-After`` header (on 429 or 503) is honoured as given, up to
``retry_after_max`` seconds. Each request may be retried ``retries`` times, and the whole
run ``budget`` times: past either, :class:`FetchError` says what failed and why, and the
run ends cleanly at its last checkpoint.

The loop is small and ours rather than urllib3's ``Retry`` because two of the faults it
must survive happen *after* the status line: a body cut short, and a run-wide budget.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

import requests

log = logging.getLogger("hub.sync")
T = TypeVar("T")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504, 507, 520, 521, 522, 523, 524})
TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class FetchError(Exception):
    """The source could not be read; the message says what and why, in one line."""


class BodyError(Exception):
    """A body that breaks off or does not parse: worth another try (raised by parsers)."""


@dataclass(frozen=True)
class RetryPolicy:
    timeout: float = 30.0
    retries: int = 5
    budget: int = 50
    backoff: float = 0.5
    backoff_max: float = 60.0
    retry_after_max: float = 600.0

    @classmethod
    def from_settings(cls, settings: Any, **over: Any) -> "RetryPolicy":
        values = {
            "timeout": float(settings.sync_timeout),
            "retries": settings.sync_retries,
            "budget": settings.sync_retry_budget,
            "backoff": settings.sync_backoff_ms / 1000,
            "backoff_max": settings.sync_backoff_max_ms / 1000,
            "retry_after_max": float(settings.sync_retry_after_max),
        }
        values.update({k: v for k, v in over.items() if v is not None})
        return cls(**values)

    def delay(self, attempt: int) -> float:
        """Wait before retry ``attempt`` (1-based): exponential, half of it random."""
        ceiling = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Http:
    """Sends requests through ``send`` (a ``requests`` session's, or a hub client's)
    under one :class:`RetryPolicy`; counts the retries a run spends."""

    def __init__(
        self,
        policy: RetryPolicy,
        send: Callable[..., requests.Response] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.policy = policy
        self.session: requests.Session | None = None
        if send is None:
            self.session = requests.Session()
            send = self.session.request
        self.send = send
        self.sleep, self.on_wait = sleep, on_wait
        self.spent = 0

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def call(
        self,
        method: str,
        url: str,
        parse: Callable[[requests.Response], T],
        *,
        ok: tuple[int, ...] = (),
        send: Callable[..., requests.Response] | None = None,
        **kwargs: Any,
    ) -> tuple[requests.Response, T | None]:
        """Send until a usable answer: 2xx (parsed with ``parse``, whose
        :class:`BodyError` counts as a transient fault) or a status in ``ok`` (e.g. 304,
        returned unparsed). Any other 4xx fails at once. ``send`` replaces the
        instance's for this request (a token request made on the way to a feed page
        spends the same retry budget)."""
        send = send or self.send
        kwargs.setdefault("timeout", self.policy.timeout)
        if kwargs.get("params"):
            url_shown = requests.Request(method, url, params=kwargs["params"]).prepare().url or url
        else:
            url_shown = url
        attempt = 0
        while True:
            wait: float | None = None
            try:
                resp = send(method, url, **kwargs)
                try:
                    if resp.status_code in ok:
                        return resp, None
                    if 200 <= resp.status_code < 300:
                        return resp, parse(resp)
                    if resp.status_code not in RETRY_STATUS:
                        raise FetchError(
                            f"{method} {url_shown}: {resp.status_code} {resp.reason or ''}".rstrip() + _detail(resp)
                        )
                    problem = f"{resp.status_code} {resp.reason or ''}".rstrip()
                    wait = retry_after(resp.headers.get("Retry-After")) if resp.status_code in (429, 503) else None
                finally:
                    resp.close()
            except TRANSIENT as exc:
                problem = _describe(exc)
            except requests.RequestException as exc:  # a bad URL, too many redirects, ...
                raise FetchError(f"{method} {url_shown}: {exc}") from None
            except BodyError as exc:
                problem = f"unusable body ({exc})"
            attempt += 1
            self._spend(method, url_shown, attempt, problem)
            if wait is not None and wait > self.policy.retry_after_max:
                raise FetchError(
                    f"{method} {url_shown}: {problem}: the source asks to wait {wait:.0f} s "
                    f"(more than sync_retry_after_max = {self.policy.retry_after_max:.0f} s)"
                )
            pause = wait if wait is not None else self.policy.delay(attempt)
            log.warning(
                "%s %s: %s; retry %d/%d in %.2f s", method, url_shown, problem, attempt, self.policy.retries, pause
            )
            if self.on_wait is not None:
                self.on_wait(pause)
            self.sleep(pause)

    def _spend(self, method: str, url: str, attempt: int, problem: str) -> None:
        if attempt > self.policy.retries:
            raise FetchError(f"{method} {url}: {problem}; gave up after {self.policy.retries} retries")
        if self.spent >= self.policy.budget:
            raise FetchError(
                f"{method} {url}: {problem}; the run's retry budget of {self.policy.budget} retries is spent"
            )
        self.spent += 1


def _detail(resp: requests.Response) -> str:
    """A short hint from an error body (problem+json ``detail``, an OAuth ``error:
    error_description``, or the first line of text)."""
    try:
        text = resp.text[:300]
    except Exception:  # noqa: BLE001 - a broken body must not hide the status
        return ""
    try:
        import json

        doc = json.loads(text)
        oauth = ": ".join(str(doc[k]) for k in ("error", "error_description") if doc.get(k))
        text = str(doc.get("detail") or oauth)
    except (ValueError, AttributeError, RecursionError):
        pass
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the body broke off (truncated)"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__


def json_body(resp: requests.Response) -> Any:
    """Parse a JSON body; a truncated or garbled one is a :class:`BodyError` (retried)."""
    try:
        return resp.json()
    except ValueError as exc:
        raise BodyError(f"not JSON: {exc}") from None
    except RecursionError:  # the same body would fail again: not worth a retry
        raise FetchError(f"GET {resp.url}: the body nests too deep to be read as JSON") from None
