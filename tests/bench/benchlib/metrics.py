"""The metrics: what each one runs against one server and which number it keeps.

Every measure function takes the run settings and one started server and returns a sample:
{"value": <the metric's number>, ...details}. Rates also carry server_cpu_s (CPU time the
server's processes used inside the measurement window) so that "work per server CPU second" can
be compared with the crypto ceiling even when the load core, not the server core, is the limit.
"""

import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import ceiling as ceil
from . import procs
from .servers import CACHE_KINDS
from .runners import Holder, LoadError, nproc_load_threads, run_client, run_h2load


@dataclass
class Settings:
    client: str  # path of modssl_bench_client
    load_cpus: str  # taskset list for load generators ("" = not pinned)
    warmup: float  # seconds before each measurement window
    duration: float  # seconds of each measurement window
    handshake_conns: int = 16  # concurrent connections of the handshake client
    keepalive_conns: int = 64  # h2load --h1 connections
    h2_conns: int = 16  # h2load HTTP/2 connections ...
    h2_streams: int = 4  # ... times concurrent streams each = 64 requests in flight
    idle_conns: int = 1000  # metric 5
    slow_clients: int = 500  # metric 6
    probe_conns: int = 4  # metric 6: normal clients, one request per connection each
    probe_seconds: float = 10.0
    probe_timeout_ms: int = 3000  # a normal client gives up after this long
    settle_s: float = 1.0  # metric 5: pause before reading memory
    smoke: bool = False  # count-bounded runs (every metric yields a number), tiny windows
    ceiling: dict = field(default_factory=dict)

    def bound(self, extra=0.0):
        """Upper bound on one load run, far above its planned length."""
        return 60.0 + 3 * (self.warmup + self.duration) + extra

    def window_args(self):
        a = ["--warmup", f"{self.warmup:g}", "--duration", f"{self.duration:g}",
             "--max-seconds", f"{self.bound() - 20:g}"]
        if self.smoke:
            a += ["--min-ops", "1"]
        return a


def _rate_sample(r, value, work=None):
    """A sample from a client/h2load result; `work` is what counts per CPU second (default:
    successful operations)."""
    cpu = r.get("server_cpu_s")
    work = r.get("ok", 0) if work is None else work
    s = {"value": value, "ok": r.get("ok"), "failed": r.get("failed"),
         "window_s": r.get("seconds"), "protocol": r.get("protocol"), "cipher": r.get("cipher"),
         "server_cpu_s": cpu}
    if cpu:
        s["per_cpu_s"] = work / cpu
        if r.get("window_wall_s"):
            s["server_util"] = cpu / r["window_wall_s"]
    if r.get("window_wall_s") and r.get("load_cpu_s") is not None:
        s["load_util"] = r["load_cpu_s"] / r["window_wall_s"]  # > 0.95: the load was the limit
    if r.get("window_wall_s") and r.get("core_busy_s") is not None and cpu is not None:
        # Busy time of the server core(s) that was not the server: other jobs on a shared
        # machine. High values mean the run competed for the core and is less trustworthy.
        s["foreign_util"] = max(0.0, r["core_busy_s"] - cpu) / r["window_wall_s"]
    if r.get("last_error"):
        s["last_error"] = r["last_error"]
    return s


def full_handshakes(kind, tls):
    def measure(st, server):
        r = run_client(st.client, [
            "--mode", "connect", "--port", str(server.ports[kind]), "--tls", tls, "--path", "/1k",
            "--connections", str(st.handshake_conns), *st.window_args()],
            server, st.load_cpus, st.bound())
        return _rate_sample(r, r["rate"])
    return measure


def resumed_handshakes(tls, how):
    def measure(st, server):
        r = run_client(st.client, [
            "--mode", "connect", "--port", str(server.ports["rsa"]), "--tls", tls,
            "--path", "/1k", "--resume", how, "--connections", str(st.handshake_conns),
            *st.window_args()],
            server, st.load_cpus, st.bound())
        # Only handshakes that really resumed count: a server that never resumes scores ~0
        # here rather than its full-handshake rate.
        s = _rate_sample(r, r["resumed_rate"], work=r.get("resumed", 0))
        s["resumed_fraction"] = r["resumed"] / r["ok"] if r.get("ok") else 0.0
        return s
    return measure


MIN_RESUMED_FRACTION = 0.95


def cache_resumptions(tls):
    """Resumed handshakes/s through SSLSessionCache (a cache profile: tickets off on the server,
    no ticket extension from the client). TLS 1.2: each thread offers the session ID of its
    first connection every time (--session first). TLS 1.3: the server issues and stores a new
    stateful session on every resumption; each thread offers the newest (--session newest). Fewer than 95% resumed connections is
    a failed measurement, not a result."""
    def measure(st, server):
        r = run_client(st.client, [
            "--mode", "connect", "--port", str(server.ports["rsa"]), "--tls", tls,
            "--path", "/1k", "--resume", "cache",
            "--session", "first" if tls == "1.2" else "newest",
            "--connections", str(st.handshake_conns), *st.window_args()],
            server, st.load_cpus, st.bound())
        s = _rate_sample(r, r["resumed_rate"], work=r.get("resumed", 0))
        s["resumed"], s["full"] = r.get("resumed"), r.get("full")
        s["resumed_fraction"] = r["resumed"] / r["ok"] if r.get("ok") else 0.0
        s["session_cache"] = server.session_cache
        if s["resumed_fraction"] < MIN_RESUMED_FRACTION and not st.smoke:
            raise LoadError(f"only {100 * s['resumed_fraction']:.1f}% of {r.get('ok')} "
                            f"handshakes resumed (< {100 * MIN_RESUMED_FRACTION:.0f}%): failed "
                            f"measurement ({server.session_cache}; last error: "
                            f"{r.get('last_error') or '-'})")
        return s
    return measure


def keepalive_requests(http2):
    def measure(st, server):
        url = f"https://127.0.0.1:{server.ports['rsa']}/1k"
        threads = nproc_load_threads(st.load_cpus)
        if http2:
            conns, extra = st.h2_conns, ["-m", str(st.h2_streams)]
        else:
            conns, extra = st.keepalive_conns, ["--h1"]
        threads = min(threads, conns)
        if st.smoke:
            conns = min(conns, 8)
            timing, duration = ["-n", str(conns * 16)], None
        else:
            # h2load takes whole seconds or a unit: milliseconds keep fractions.
            timing = ["-D", f"{int(st.duration * 1000)}ms",
                      f"--warm-up-time={int(st.warmup * 1000)}ms"]
            duration = st.duration
        r = run_h2load(extra + ["-c", str(conns), "-t", str(threads), *timing, url],
                       server, st.load_cpus, st.warmup, duration, st.bound())
        want = "h2" if http2 else "http/1.1"
        if r.get("application_protocol") and r["application_protocol"] != want:
            raise LoadError(f"h2load negotiated {r['application_protocol']}, not {want}")
        # The server CPU window sits slightly inside h2load's main duration: count the requests
        # of that window at h2load's rate, not all of the duration's.
        work = r["rate"] * r["window_wall_s"] if (duration and r.get("window_wall_s")) else None
        return _rate_sample(r, r["rate"], work=work)
    return measure


def bulk(st, server):
    r = run_client(st.client, [
        "--mode", "keepalive", "--port", str(server.ports["rsa"]), "--tls", "any",
        "--path", "/10m", "--connections", "1", *st.window_args()],
        server, st.load_cpus, st.bound())
    return _rate_sample(r, r["mb_per_s"], work=r["bytes"] / 1e6)


def idle_memory(st, server):
    """KiB of server memory (PSS over all its processes) per idle established TLS connection.
    First a few connections open and close so that code and lazily built state is paged in on
    both servers alike; then the baseline; then N connections, each with its handshake and one
    keep-alive request done, held idle; then the second reading.

    The driver runs this first in every round, on fresh servers: after other loads, or after a
    big warm-up, new connections partly reuse memory that closed ones left in httpd's and
    malloc's free lists, and the figure drops by ~17 KiB for both modules. On a fresh server a
    second and a third batch of 1,000 held on top of the first cost the same per connection as
    the first, so this is the marginal cost of an idle connection."""
    port = server.ports["rsa"]
    base = ["--mode", "idle", "--port", str(port), "--tls", "any", "--path", "/1k",
            "--connections", "8", "--hold", "120", "--max-seconds", "90"]
    warm = Holder(st.client, base + ["--count", "8" if st.smoke else "64"], st.load_cpus)
    warm.wait_ready(120)
    warm.release()
    time.sleep(st.settle_s / 2)
    pss0, rss0, anon0 = _settled_memory(server)
    h = Holder(st.client, base + ["--count", str(st.idle_conns)], st.load_cpus)
    try:
        ready = h.wait_ready(120)
        time.sleep(st.settle_s)  # let every connection reach the MPM's keep-alive wait
        pss1, rss1, anon1 = _settled_memory(server)
        held = procs.established_on_port(port)
    finally:
        h.release()
    n = max(1, int(ready["ok"]))
    return {"value": (pss1 - pss0) / n, "rss_kib_per_conn": (rss1 - rss0) / n,
            "anon_kib_per_conn": (anon1 - anon0) / n,
            "pss_before_kib": pss0, "pss_after_kib": pss1, "opened": int(ready["ok"]),
            "failed": int(ready["failed"]), "held_established": held,
            "last_error": ready.get("last_error") or None}


def idle_memory_plain(st, server):
    """The same as idle_memory over plain HTTP on the same server: what httpd itself costs per
    idle keep-alive connection, so the TLS share of the TLS figure can be read off. (The module
    still runs its connection hooks on these connections, so both modules are measured.)"""
    port = server.ports["plain"]
    _hold_plain(port, 8 if st.smoke else 64).close()
    time.sleep(st.settle_s / 2)
    pss0, rss0, anon0 = _settled_memory(server)
    held = _hold_plain(port, st.idle_conns)
    try:
        time.sleep(st.settle_s)
        pss1, rss1, anon1 = _settled_memory(server)
        established = procs.established_on_port(port)
    finally:
        held.close()
    n = max(1, held.ok)
    return {"value": (pss1 - pss0) / n, "rss_kib_per_conn": (rss1 - rss0) / n,
            "anon_kib_per_conn": (anon1 - anon0) / n,
            "pss_before_kib": pss0, "pss_after_kib": pss1, "opened": held.ok,
            "failed": held.failed, "held_established": established}


class _PlainConnections:
    def __init__(self):
        self.socks, self.ok, self.failed = [], 0, 0

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


def _hold_plain(port, count, timeout=10.0):
    """`count` plain HTTP/1.1 keep-alive connections, each with one GET /1k answered."""
    held = _PlainConnections()
    deadline = time.monotonic() + 60
    for _ in range(count):
        if time.monotonic() > deadline:
            held.failed += 1
            continue
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            s.sendall(b"GET /1k HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 1024:
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError("closed")
                data += chunk
            held.socks.append(s)
            held.ok += 1
        except OSError:
            held.failed += 1
    return held


def _settled_memory(server, reads=3):
    """The median of a few readings, 100 ms apart (children may still be touching pages)."""
    vals = []
    for _ in range(reads):
        vals.append(server.memory_kib())
        time.sleep(0.1)
    vals.sort()
    return vals[len(vals) // 2]


def slow_handshakes(st, server):
    """Normal clients' success rate while slow clients each hold half a ClientHello open."""
    port = server.ports["rsa"]
    slow = Holder(st.client, ["--mode", "slow", "--port", str(port), "--tls", "any",
                              "--count", str(st.slow_clients), "--timeout-ms", "3000",
                              "--hold", str(int(st.probe_seconds + 60))], st.load_cpus)
    try:
        ready = slow.wait_ready(60)
        time.sleep(0.5)  # the server has read what it is going to read
        r = run_client(st.client, [
            "--mode", "connect", "--port", str(port), "--tls", "any", "--path", "/1k",
            "--connections", str(st.probe_conns), "--timeout-ms", str(st.probe_timeout_ms),
            "--drain", "1", "--warmup", "0", "--duration", f"{st.probe_seconds:g}",
            "--max-seconds", f"{st.probe_seconds + 30:g}"],
            server, st.load_cpus, st.probe_seconds + 60)
    finally:
        slow.release()
    attempts = r["ok"] + r["failed"]
    return {"value": 100.0 * r["ok"] / attempts if attempts else 0.0, "ok": r["ok"],
            "failed": r["failed"], "p50_ms": r["p50_ms"] if r["p50_ms"] >= 0 else None,
            "p99_ms": r["p99_ms"] if r["p99_ms"] >= 0 else None,
            "slow_clients_sent": int(ready["sent"]), "last_error": r.get("last_error") or None}


@dataclass
class Metric:
    id: str
    group: str
    title: str
    unit: str
    measure: Optional[Callable]
    profile: str = "main"  # which server instances it runs against
    higher_is_better: bool = True
    target: str = "ratio >= 1.0"
    ceiling: Optional[Callable] = None  # (ceiling dict, samples) -> same unit, or None
    pending: Optional[str] = None  # why it is not measured yet
    # Short runs: whether the metric runs in --quick / --smoke (otherwise only when named by id
    # in --only), and in how many of the --quick rounds (None: all).
    quick: bool = True
    smoke: bool = True
    quick_rounds: Optional[int] = None


def _hs_ceiling(kind):
    key = "full_handshake_rsa2048_per_s" if kind == "rsa" else "full_handshake_ecdsap256_per_s"
    return lambda c, samples: c.get(key)


def _bulk_ceiling(c, samples):
    ciphers = [s.get("cipher") for s in samples if s.get("cipher")]
    return ceil.for_cipher(c, ciphers[0]) if ciphers else None


def all_metrics():
    m = []
    for kind, kname in (("rsa", "RSA-2048"), ("ecdsa", "ECDSA P-256")):
        for tls in ("1.3", "1.2"):
            m.append(Metric(f"hs_{kind}_tls{tls.replace('.', '')}", "handshake",
                            f"full handshakes {kname} TLS {tls}", "hs/s",
                            full_handshakes(kind, tls), ceiling=_hs_ceiling(kind),
                            target="ratio >= 1.0, >= 85% of ceiling"))
    m.append(Metric("resume_ticket_tls13", "resume", "resumed handshakes, tickets, TLS 1.3",
                    "hs/s", resumed_handshakes("1.3", "tickets"),
                    ceiling=lambda c, s: c.get("resumed_handshake_tls13_per_s")))
    m.append(Metric("resume_ticket_tls12", "resume", "resumed handshakes, tickets, TLS 1.2",
                    "hs/s", resumed_handshakes("1.2", "tickets")))
    for kind in CACHE_KINDS:
        for tls, how in (("1.2", "session ID"), ("1.3", "stateful PSK")):
            m.append(Metric(f"resume_{kind}_tls{tls.replace('.', '')}", "resume_cache",
                            f"resumed handshakes, SSLSessionCache {kind}, TLS {tls} ({how})",
                            "hs/s", cache_resumptions(tls), profile="cache_" + kind,
                            # --quick gets one TLS 1.2 shmcb pair (a few seconds); --smoke
                            # both shmcb metrics; the rest full runs or --only.
                            quick=kind == "shmcb" and tls == "1.2", quick_rounds=1,
                            smoke=kind == "shmcb",
                            ceiling=(lambda c, s: c.get("resumed_handshake_tls13_per_s"))
                            if tls == "1.3" else None))
    m.append(Metric("keepalive_h1", "keepalive", "keep-alive 1 KiB GETs, HTTP/1.1, 64 conns",
                    "req/s", keepalive_requests(False)))
    m.append(Metric("keepalive_h2", "keepalive", "1 KiB GETs, HTTP/2, 16 conns x 4 streams",
                    "req/s", keepalive_requests(True)))
    m.append(Metric("bulk_10m", "bulk", "bulk 10 MiB file, 1 connection", "MB/s", bulk,
                    ceiling=_bulk_ceiling))
    m.append(Metric("memory_idle", "memory", "memory per idle TLS connection (PSS)",
                    "KiB/conn", idle_memory, higher_is_better=False, target="ratio <= 0.7"))
    m.append(Metric("memory_idle_plain", "memory",
                    "memory per idle plain-HTTP connection (PSS; httpd's own share)", "KiB/conn",
                    idle_memory_plain, higher_is_better=False, target="baseline"))
    m.append(Metric("slowhs_success", "slowhs",
                    "normal clients OK during 500 slow handshakes (2x10 threads)", "% ok",
                    slow_handshakes, profile="slowhs", target="ours >= 99%"))
    return m


GROUPS = ("handshake", "resume", "resume_cache", "keepalive", "bulk", "memory", "slowhs", "ceiling")
