"""Running the load generators (our C++ client, h2load) pinned to the load cores, bounded in
time, while sampling the CPU time the server under test spends in the measurement window."""

import json
import os
import re
import subprocess
import tempfile
import threading
import time

from . import procs


class LoadError(RuntimeError):
    pass


def _pinned(cmd, cpus):
    return (["taskset", "-c", cpus] + cmd) if cpus else cmd


class _Watchdog:
    """Kills a process we started if it outlives its time bound."""

    def __init__(self, proc, seconds):
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire, args=(proc,))
        self._timer.daemon = True
        self._timer.start()

    def _fire(self, proc):
        if proc.poll() is None:
            self.fired = True
            proc.kill()

    def cancel(self):
        self._timer.cancel()


def run_client(client, args, server, cpus, bound_s):
    """Runs modssl_bench_client to completion. Returns its RESULT plus server_cpu_s and
    window_s measured between its MEASURE_START and MEASURE_END lines."""
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(_pinned([client] + args, cpus), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=err, text=True)
    dog = _Watchdog(proc, bound_s)
    first = last = None
    result = None
    for line in proc.stdout:
        if line.startswith("MEASURE_START"):
            first = _sample(server, proc.pid)
        elif line.startswith("MEASURE_END"):
            last = _sample(server, proc.pid)
        elif line.startswith("RESULT "):
            result = json.loads(line[7:])
    proc.wait()
    dog.cancel()
    err.seek(0)
    stderr = err.read().decode(errors="replace").strip()
    err.close()
    if dog.fired:
        raise LoadError(f"load client killed after {bound_s:.0f}s: {' '.join(args)}")
    if proc.returncode != 0 or result is None:
        raise LoadError(f"load client failed (exit {proc.returncode}): {stderr[-400:]}")
    if first and last:
        result.update(_window(first, last))
    return result


def _sample(server, load_pid):
    """(wall time, server CPU time, busy time of the server's cores, load generator CPU time or
    None once it has exited). Core busy time includes irq/softirq time: tick accounting also
    charges the server process for the softirq work it was interrupted by, so leaving it out
    would make the server look busier than its core."""
    return (time.monotonic(), server.cpu_seconds(), procs.cores_busy_seconds(server.cpu_set),
            procs.cpu_seconds(load_pid))


def _window(a, b):
    w = {"window_wall_s": b[0] - a[0], "server_cpu_s": b[1] - a[1], "core_busy_s": b[2] - a[2]}
    if a[3] is not None and b[3] is not None:
        w["load_cpu_s"] = b[3] - a[3]
    return w


class Holder:
    """A client in idle or slow mode: started, waited for (READY), released (stdin closed)."""

    def __init__(self, client, args, cpus):
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(_pinned([client] + args, cpus), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._err, text=True)

    def wait_ready(self, bound_s):
        dog = _Watchdog(self.proc, bound_s)
        for line in self.proc.stdout:
            if line.startswith("READY "):
                dog.cancel()
                return json.loads(line[6:])
        dog.cancel()
        self.proc.wait()
        raise LoadError(f"client ended before READY (exit {self.proc.returncode}): "
                        f"{self._stderr()[-400:]}")

    def release(self, bound_s=30):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        dog = _Watchdog(self.proc, bound_s)
        for _ in self.proc.stdout:
            pass
        self.proc.wait()
        dog.cancel()
        self._err.close()

    def _stderr(self):
        self._err.seek(0)
        return self._err.read().decode(errors="replace").strip()


_H2LOAD_FINISHED = re.compile(r"finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s")
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
_H2LOAD_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout")


def run_h2load(args, server, cpus, warmup_s, duration_s, bound_s):
    """Runs h2load. With a timed run (-D) the server CPU is sampled on a timer at the start and
    end of h2load's main duration (h2load prints no marker); with a counted run (-n, smoke) it is
    sampled around the whole process."""
    cmd = _pinned(["h2load"] + args, cpus)
    samples = {}

    out_f, err_f = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out_f, stderr=err_f)

    def sample(key):
        try:
            samples[key] = _sample(server, proc.pid)
        except OSError:
            pass

    timers = []
    if duration_s:
        # h2load connects, warms up, measures for duration_s and exits at once: the samples
        # sit a little inside that span (connects take well under 100 ms on loopback) so that
        # the second one still finds h2load alive.
        for key, at in (("t0", warmup_s + 0.1), ("t1", warmup_s + duration_s - 0.05)):
            t = threading.Timer(at - (time.monotonic() - start), sample, args=(key,))
            t.daemon = True
            timers.append(t)
    else:
        sample("t0")
    for t in timers:
        t.start()
    dog = _Watchdog(proc, bound_s)
    if not duration_s:
        # Counted run: sample just before h2load exits (it is our child, so it stays
        # inspectable until we reap it).
        while proc.poll() is None:
            if _alive(proc.pid):
                samples["t1"] = _sample(server, proc.pid)
            time.sleep(0.02)
    proc.wait()
    dog.cancel()
    for t in timers:
        t.join(timeout=max(0.0, start + bound_s - time.monotonic()))
    out_f.seek(0)
    err_f.seek(0)
    out = out_f.read().decode(errors="replace")
    err = err_f.read().decode(errors="replace")
    out_f.close()
    err_f.close()
    if dog.fired:
        raise LoadError(f"h2load killed after {bound_s:.0f}s: {' '.join(args)}")
    fin, req = _H2LOAD_FINISHED.search(out), _H2LOAD_REQUESTS.search(out)
    if proc.returncode != 0 or not fin or not req:
        raise LoadError(f"h2load failed (exit {proc.returncode}): {(err or out)[-400:]}")
    # "finished in" includes the warm-up, but the counts and req/s cover the main duration only.
    seconds = duration_s or float(fin.group(1)) * _UNIT_S[fin.group(2)]
    succeeded, failed = int(req.group(4)), int(req.group(5)) + int(req.group(6)) + int(req.group(7))
    result = {
        "seconds": seconds,
        "ok": succeeded,
        "failed": failed,
        "rate": float(fin.group(3)),
        "protocol": _field(out, "TLS Protocol"),
        "cipher": _field(out, "Cipher"),
        "application_protocol": _field(out, "Application protocol"),
    }
    if "t0" in samples and "t1" in samples:
        result.update(_window(samples["t0"], samples["t1"]))
    return result


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _field(text, name):
    m = re.search(rf"^{re.escape(name)}: (.*)$", text, re.M)
    return m.group(1).strip() if m else ""


def nproc_load_threads(cpus):
    """Threads for h2load: one per load core."""
    if not cpus:
        return 1
    n = 0
    for part in cpus.split(","):
        if "-" in part:
            a, b = part.split("-")
            n += int(b) - int(a) + 1
        else:
            n += 1
    return max(1, n)


def env_ok():
    return os.path.exists("/usr/bin/h2load") or bool(
        subprocess.run(["which", "h2load"], capture_output=True).returncode == 0)
