#!/usr/bin/env python3
"""Slow-client flood against a running server, and what a normal client sees meanwhile.

    slow_flood.py HOST PORT [--flood 2000] [--seconds 40] [--refill] [--flood-from 127.0.0.2]

Opens FLOOD connections that each send half a request head and then nothing; with --refill
each one the server closes is opened again at once (an attacker that keeps every slot it can
get), from --flood-from (another loopback address, so a per-address cap can tell the flood
from the normal client). Meanwhile a normal client sends `GET /livez` on a fresh connection every 250 ms (2 s
timeout). Prints one line per fact, `key=value`:

  baseline_*      the normal client before the flood (20 requests)
  flood_*         how many flood connections the server kept / closed at once / closed later
  open_at_<t>s    flood connections still open t seconds into the flood
  probe_*         the normal client during the flood: ok/failed, first success, latency
"""

import argparse
import asyncio
import statistics
import time

HALF_HEAD = b"POST /sms HTTP/1.1\r\nHost: bench\r\nContent-Ty"


async def get_livez(host, port, timeout=2.0):
    """Latency in ms of one GET /livez on a fresh connection, or None if it failed."""
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.write(b"GET /livez HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
        if answer.startswith(b"HTTP/1.1 200"):
            return (time.monotonic() - start) * 1000
    except (OSError, asyncio.TimeoutError):
        pass
    return None


class Flood:
    def __init__(self, host, port, refill, source):
        self.host, self.port, self.refill = host, port, refill
        self.local = (source, 0) if source else None
        self.open = 0
        self.closed_at_once = 0  # closed by the server within 0.5 s: the connection cap
        self.closed_later = []   # seconds into the flood when the server closed one
        self.failed_connect = 0
        self.start = time.monotonic()

    async def one(self):
        while True:
            try:
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, local_addr=self.local)
                writer.write(HALF_HEAD)
                await writer.drain()
            except OSError:
                self.failed_connect += 1
                return
            opened = time.monotonic()
            self.open += 1
            try:
                await reader.read()  # returns when the server closes
            except OSError:
                pass
            self.open -= 1
            now = time.monotonic()
            if now - opened < 0.5:
                self.closed_at_once += 1
            else:
                self.closed_later.append(now - self.start)
            writer.close()
            if not self.refill:
                return


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--flood", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("--refill", action="store_true")
    p.add_argument("--flood-from", default=None)
    a = p.parse_args()

    base = [await get_livez(a.host, a.port) for _ in range(20)]
    ok = [b for b in base if b is not None]
    print(f"baseline_ok={len(ok)}/20 baseline_p50_ms={statistics.median(ok):.1f} "
          f"baseline_max_ms={max(ok):.1f}" if ok else "baseline_ok=0/20")

    flood = Flood(a.host, a.port, a.refill, a.flood_from)
    tasks = [asyncio.create_task(flood.one()) for _ in range(a.flood)]
    marks = {1, 5, 9, 12, 20, 35}
    probes = []
    while (t := time.monotonic() - flood.start) < a.seconds:
        for m in sorted(marks):
            if t >= m:
                print(f"open_at_{m}s={flood.open}", flush=True)
                marks.discard(m)
        probes.append((t, await get_livez(a.host, a.port)))
        await asyncio.sleep(0.25)
    for task in tasks:
        task.cancel()

    good = [(t, ms) for t, ms in probes if ms is not None]
    print(f"flood_connections={a.flood} refill={a.refill} flood_closed_at_once={flood.closed_at_once} "
          f"flood_closed_later={len(flood.closed_later)} flood_failed_connect={flood.failed_connect}")
    if flood.closed_later:
        print(f"flood_closed_later_first_s={min(flood.closed_later):.1f} "
              f"flood_closed_later_last_s={max(flood.closed_later):.1f}")
    print(f"probe_ok={len(good)}/{len(probes)}")
    if good:
        lat = sorted(ms for _, ms in good)
        print(f"probe_first_ok_s={good[0][0]:.1f} probe_p50_ms={statistics.median(lat):.1f} "
              f"probe_max_ms={lat[-1]:.1f}")


asyncio.run(main())
