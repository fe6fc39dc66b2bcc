#!/usr/bin/env python3
"""Cost of hostile forwarding headers in the release ratelimit-demo, against plain ones.

    Benchmarks/http/forwarding-headers.py [DEMO] [--requests N]

Starts DEMO (default .build/release/ratelimit-demo) on 127.0.0.1 with --trusted-proxy 127.0.0.1,
then sends, over one keep-alive connection from 127.0.0.1 (the "proxy"), requests whose
X-Forwarded-For (or Forwarded) is N bytes of client text followed by the proxy's `, 203.0.113.9`:
plain text (`6.6.6.6, ` repeated) and the reported attack (regional indicators U+1F1E6 ending in
U+0600, which fuses with the proxy's comma into one grapheme). Prints the median and p90
milliseconds per request for each, interleaving the kinds, and checks that every hostile request
is keyed by 203.0.113.9: X-RateLimit-Remaining counts down one bucket across all of them.
Traffic stays on loopback.
"""
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
DEMO = args[0] if args else os.path.join(ROOT, ".build/release/ratelimit-demo")
REQUESTS = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 40
SIZES = [8_000, 20_000, 40_000]
CLIENT = "203.0.113.9"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_text(kind, size):
    if kind == "plain":
        return ("6.6.6.6, " * (size // 9 + 1))[:size].rstrip(", ")
    return "\U0001F1E6" * (size // 4 - 1) + "\u0600"  # 4 bytes each, then 2


def header(name, kind, size):
    text = client_text(kind, size)
    if name == "Forwarded":
        return f'for="{text}", for={CLIENT}' if kind == "hostile" else f"for=6.6.6.6, " * (size // 13) + f"for={CLIENT}"
    return f"{text}, {CLIENT}"


def run(name):
    port = free_port()
    server = subprocess.Popen(
        [DEMO, "--host", "127.0.0.1", "--port", str(port), "--trusted-proxy", "127.0.0.1",
         "--forwarding-header", name.lower(), "--capacity", "500000", "--refill", "1", "--interval", "1h",
         "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        timings = {}
        remaining = []
        for _ in range(REQUESTS):
            for size in SIZES:
                for kind in ("plain", "hostile"):
                    value = header(name, kind, size).encode("utf-8")
                    start = time.perf_counter()
                    connection.putrequest("GET", "/")
                    connection.putheader(name, value)
                    connection.endheaders()
                    response = connection.getresponse()
                    response.read()
                    timings.setdefault((kind, size), []).append((time.perf_counter() - start) * 1000)
                    if response.status != 200:
                        sys.exit(f"{name} {kind} {size}: status {response.status}")
                    remaining.append(int(response.getheader("X-RateLimit-Remaining")))
        # Every request, plain or hostile, was keyed by the proxy-appended address: one bucket.
        expected = list(range(500_000 - 1, 500_000 - 1 - len(remaining), -1))
        keyed = "yes" if remaining == expected else f"NO (remaining {remaining[:6]}...)"
        print(f"\n{name}: {REQUESTS} requests per row, one keep-alive connection; all keyed by {CLIENT}: {keyed}")
        print("| client text | bytes | median ms | p90 ms |")
        print("|---|---:|---:|---:|")
        for size in SIZES:
            for kind in ("plain", "hostile"):
                values = sorted(timings[(kind, size)])
                p90 = values[int(0.9 * (len(values) - 1))]
                print(f"| {kind} | {size} | {statistics.median(values):.3f} | {p90:.3f} |")
        return keyed == "yes"
    finally:
        server.terminate()
        server.wait()


ok = all([run("X-Forwarded-For"), run("Forwarded")])
sys.exit(0 if ok else 1)
