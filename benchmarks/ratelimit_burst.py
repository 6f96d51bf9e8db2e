"""What one client-side stall costs the SDK's rate limiter, in a deterministic simulation.

Why this exists: in ``throughput.py`` the SDK reaches ~0.98 of a 600 RPM limit
when no 429 occurs, but ~0.91-0.93 in runs that met a dozen 429s while the
shared machine was overloaded. This script isolates the mechanism without
timing noise: a discrete-event simulation on a virtual clock of

* the SDK's real ``wom_sdk._ratelimit.RateLimiter`` (``reserve``,
  ``_still_blocked``, ``observe``, ``penalize``, driven exactly as
  ``aacquire`` and the analyzer drive them; 429s are retried at once, as
  ``_retry.py`` does, with the limiter holding everyone back);
* ``--concurrency`` reviews in flight (the SDK's default cap is 64);
* a server bucket like the fake server's (capacity one second of the limit,
  continuous refill; 429 with retry-after = time until one request fits);
* ``--stalls`` pauses of ``--stall`` seconds of the client's event loop,
  spread over the run (a descheduled process, a GC pause): every timer that
  falls due during a pause fires when it ends, so the requests booked for
  that second leave together.

It compares the limiter as it is with a variant (``--variant``, see
``OncePerCooldown``) that slows down at most once per cool-down, instead of
once per 429: the burst after one stall is rejected as several 429s within a
few milliseconds, and the current limiter multiplies its pace by 0.85 for
each of them. Virtual time only: the numbers are exact for the model and do
not depend on the machine.

A second table checks that the variant still adapts when the limit really is
lower than configured (a key shared with another process, ``--shared-key-rpm``).

    python benchmarks/ratelimit_burst.py --n 2000 --rpm 600 --stall 1.5 --stalls 0,1,4,8
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import random
from typing import Any

from _common import RESULTS

from wom_sdk._ratelimit import RateLimiter


class OncePerCooldown(RateLimiter):
    """Proposed: one multiplicative decrease per congestion event, not per 429.

    429s that arrive while the limiter is already cooling down from an earlier
    one are answers to requests sent *before* it slowed down; they carry no new
    information about the pace, so they extend the cool-down but do not slow
    the pace again.
    """

    def penalize(self, retry_after: float | None) -> float:
        with self._lock:
            cooling = self._clock() < self._blocked_until
            factor = self._factor
        wait = super().penalize(retry_after)
        if cooling:
            with self._lock:
                self._factor = factor
        return wait


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Bucket:
    """The fake server's limit: capacity of one second's worth, continuous refill."""

    def __init__(self, rpm: float) -> None:
        self.rate = rpm / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.stamp = 0.0

    def admit(self, now: float) -> float | None:
        """None if admitted, else the retry-after in seconds."""
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1e-9 >= 1.0:
            self.level -= 1.0
            return None
        return (1.0 - self.level) / self.rate


def simulate(limiter_cls: type[RateLimiter], *, n: int, rpm: float, concurrency: int,
             latency: float, stall: float, stall_times: list[float], seed: int,
             server_rpm: float | None = None) -> dict[str, Any]:
    random.seed(seed)  # penalize() adds jitter with the random module
    clock = Clock()
    lim = limiter_cls(rpm, None, clock=clock)
    # A server limit below the client's setting: a key shared with another process.
    server = Bucket(server_rpm or rpm)
    seq = itertools.count()
    events: list[tuple[float, int, str, int]] = []  # (time, seq, kind, worker)
    stalls = sorted((s, s + stall) for s in stall_times)

    def due(t: float) -> float:
        # A timer due inside a stall of the client's loop fires when the stall ends.
        for a, b in stalls:
            if a <= t < b:
                return b
        return t

    def push(t: float, kind: str, w: int) -> None:
        heapq.heappush(events, (due(t), next(seq), kind, w))

    started = done = rejected = sent = 0
    for w in range(min(concurrency, n)):
        push(0.0, "acquire", w)
        started += 1
    last = 0.0
    while events:
        t, _, kind, w = heapq.heappop(events)
        clock.now = t
        if kind == "acquire":
            r = lim.reserve(1)
            push(t + r.delay, "wake", w)
        elif kind == "wake":
            if lim._still_blocked() > 0:  # aacquire: a 429 arrived while we slept
                push(t, "acquire", w)
                continue
            sent += 1
            retry_after = server.admit(t)
            if retry_after is None:
                push(t + latency, "ok", w)
            else:
                rejected += 1
                push(t + 0.002, f"429:{retry_after}", w)  # a 429 comes back at once
        elif kind.startswith("429:"):
            lim.penalize(float(kind.removeprefix("429:")))
            push(t, "acquire", w)  # tenacity retries a 429 at once; the limiter waits
        elif kind == "ok":
            lim.observe({})
            done += 1
            last = t
            if started < n:
                started += 1
                push(t, "acquire", w)
    limit = min(rpm, server_rpm or rpm)
    ideal = n / (limit * lim._utilization / 60.0)
    return {"limiter": limiter_cls.__name__, "stalls": len(stall_times), "stall_s": stall,
            "client_rpm": rpm, "server_rpm": server_rpm or rpm,
            "requests": sent, "rate_limited": rejected, "seconds": last,
            "reviews_per_min": n / last * 60, "ratio_to_limit": n / last * 60 / limit,
            "seconds_lost_vs_no_429": last - ideal - latency}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rpm", type=float, default=600)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--stall", type=float, default=1.5, help="seconds of one stall")
    parser.add_argument("--stalls", default="0,1,4", help="comma-separated numbers of stalls")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shared-key-rpm", type=float, default=400,
                        help="also simulate a server that allows only this much of --rpm "
                             "(another process uses the rest); 0 to skip")
    args = parser.parse_args()
    span = args.n / (args.rpm / 60.0)
    rows = []
    print(f"| limiter | stalls of {args.stall:.1f} s | requests | 429s | seconds | reviews/min "
          "| ratio | seconds lost |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for k in (int(x) for x in args.stalls.split(",")):
        times = [span * (i + 1) / (k + 1) for i in range(k)]
        for cls in (RateLimiter, OncePerCooldown):
            r = simulate(cls, n=args.n, rpm=args.rpm, concurrency=args.concurrency,
                         latency=args.latency, stall=args.stall, stall_times=times,
                         seed=args.seed)
            rows.append(r)
            print(f"| {r['limiter']} | {k} | {r['requests']} | {r['rate_limited']} "
                  f"| {r['seconds']:.1f} | {r['reviews_per_min']:.1f} "
                  f"| {r['ratio_to_limit']:.3f} | {r['seconds_lost_vs_no_429']:.1f} |")
    if args.shared_key_rpm:
        print(f"\nclient told {args.rpm:g} RPM, server allows {args.shared_key_rpm:g} "
              "(key shared with another process), no stalls:\n")
        print("| limiter | requests | 429s | seconds | reviews/min | ratio to the server's limit |"
              "\n|---|---:|---:|---:|---:|---:|")
        for cls in (RateLimiter, OncePerCooldown):
            r = simulate(cls, n=args.n, rpm=args.rpm, concurrency=args.concurrency,
                         latency=args.latency, stall=0.0, stall_times=[], seed=args.seed,
                         server_rpm=args.shared_key_rpm)
            rows.append(r)
            print(f"| {r['limiter']} | {r['requests']} | {r['rate_limited']} | {r['seconds']:.1f} "
                  f"| {r['reviews_per_min']:.1f} | {r['ratio_to_limit']:.3f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ratelimit_burst.json").write_text(
        json.dumps({"args": vars(args), "runs": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
