#!/usr/bin/env python3
"""The benchmark driver behind scripts/bench: our mod_ssl against Debian's stock mod_ssl.

Run it through scripts/bench, which builds the module and the load client first. This file
only orchestrates: it generates certificates and content, starts the apache2 instances (same
configuration, different LoadModule), runs the load generators, and reports. See
docs/PERFORMANCE.md for what each metric means.

Fairness rules it keeps:
- both servers run at the same time, pinned to the same server core(s); load generators run
  on the other core(s); only one server is under load at a time;
- measurements alternate ours, stock, ours, stock... metric by metric within every round, and
  every round starts fresh server processes, so slow drift on a shared machine (other jobs,
  heap growth) falls on both alike; medians over rounds damp the rest;
- every load run is bounded in time, and all traffic goes to 127.0.0.1.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import ceiling as ceil  # noqa: E402
from benchlib import kvstore  # noqa: E402
from benchlib import metrics as mt  # noqa: E402
from benchlib import procs  # noqa: E402
from benchlib import report  # noqa: E402
from benchlib import servers as sv  # noqa: E402
from benchlib.runners import LoadError  # noqa: E402

SIDES = ("ours", "stock")

MODES = {
    # rounds, warm-up s, window s, idle conns, slow clients, probe window s and per-request
    # timeout ms, openssl speed s per algorithm
    "smoke": dict(rounds=1, warmup=0.1, duration=0.2, idle=50, slow=40, probe=1.0,
                  probe_timeout=1000, speed=1, settle=0.2),
    "quick": dict(rounds=3, warmup=0.3, duration=1.0, idle=1000, slow=500, probe=3.0,
                  probe_timeout=3000, speed=1, settle=0.6),
    "full": dict(rounds=5, warmup=1.0, duration=5.0, idle=1000, slow=500, probe=10.0,
                 probe_timeout=3000, speed=3, settle=1.0),
}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", required=True)
    p.add_argument("--quick", action="store_true", help="3 short rounds (< 3 minutes)")
    p.add_argument("--smoke", action="store_true",
                   help="one tiny round; checks that every metric yields a number (ctest)")
    p.add_argument("--rounds", type=int, help="rounds (default 5, --quick 3)")
    p.add_argument("--only", default="",
                   help="comma-separated metric ids or groups (" + ", ".join(mt.GROUPS) + ")")
    p.add_argument("--module", help="our mod_ssl.so (default BUILD_DIR/mod_ssl.so)")
    p.add_argument("--stock-module", default=sv.STOCK_MODULE)
    p.add_argument("--server-cpus", help="taskset list for the servers (default: first CPU)")
    p.add_argument("--load-cpus", help="taskset list for the load (default: the other CPUs)")
    p.add_argument("--output", help="JSON results file (default BUILD_DIR/bench/<time>.json)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    p.add_argument("--list", action="store_true", help="list the metrics and exit")
    return p.parse_args()


def pick_cpus(args):
    """Servers on the first allowed CPU, load on the rest; nothing pinned on one CPU."""
    allowed = sorted(os.sched_getaffinity(0))
    if args.server_cpus is not None or args.load_cpus is not None:
        return args.server_cpus or "", args.load_cpus or ""
    if len(allowed) < 2:
        log("only one CPU available: servers and load share it; ratios still hold, "
            "absolute numbers and ceiling fractions do not")
        return "", ""
    return str(allowed[0]), ",".join(str(c) for c in allowed[1:])


def select(all_metrics, only, mode):
    """The metrics to run. In --quick (--smoke) runs, metrics marked quick=False (smoke=False)
    -- most session-cache metrics -- only when named by id."""
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    unknown = wanted - {m.id for m in all_metrics} - set(mt.GROUPS)
    if unknown:
        sys.exit(f"bench: unknown metric(s) {sorted(unknown)}; see --list")
    chosen = [m for m in all_metrics
              if (not wanted or m.id in wanted or m.group in wanted)
              and (m.id in wanted or (m.quick if mode == "quick" else
                                      m.smoke if mode == "smoke" else True))]
    if not wanted:
        return chosen, True
    return chosen, "ceiling" in wanted or any(m.ceiling for m in chosen)


def machine_info(server_cpus, load_cpus):
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    def cmd(*a):
        try:
            return subprocess.run(a, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    changed = cmd("git", "-C", repo, "status", "--porcelain", "--", "src", "include")
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "git_commit": cmd("git", "-C", repo, "rev-parse", "--short", "HEAD"),
            "src_uncommitted_changes": len(changed.splitlines()) if changed else 0,
            "openssl": cmd("openssl", "version"),
            "apache2": cmd(sv.APACHE, "-v").splitlines()[0] if cmd(sv.APACHE, "-v") else "",
            "h2load": cmd("h2load", "--version"),
            "server_cpus": server_cpus, "load_cpus": load_cpus}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_busy(seconds=1.0):
    """Fraction of all CPUs busy over `seconds`: a truer picture of other jobs on the machine
    than the load average, which our own many-threaded load clients inflate."""
    b0, t0 = procs.cores_busy_seconds(None), time.monotonic()
    time.sleep(seconds)
    b1, t1 = procs.cores_busy_seconds(None), time.monotonic()
    return (b1 - b0) / ((t1 - t0) * (os.cpu_count() or 1))


class Run:
    def __init__(self, args):
        self.args = args
        self.mode = "smoke" if args.smoke else "quick" if args.quick else "full"
        self.cfg = MODES[self.mode]
        self.rounds = args.rounds or self.cfg["rounds"]
        self.build_dir = os.path.abspath(args.build_dir)
        ours = args.module or os.path.join(self.build_dir, "mod_ssl.so")
        if args.smoke and not args.module and os.environ.get("MODSSL_UNDER_TEST"):
            # The differential ctest pass sets MODSSL_UNDER_TEST to the stock module: the smoke
            # run then checks the harness with that module in the "ours" seat.
            ours = os.environ["MODSSL_UNDER_TEST"]
        self.modules = {"ours": os.path.abspath(ours), "stock": args.stock_module}
        self.client = os.path.join(self.build_dir, "tests", "bench", "modssl_bench_client")
        self.server_cpus, self.load_cpus = pick_cpus(args)
        self.metrics, self.want_ceiling = select(mt.all_metrics(), args.only, self.mode)
        self.named = {w.strip() for w in args.only.split(",") if w.strip()}
        self.tmp = tempfile.mkdtemp(prefix="modssl-bench-")
        os.chmod(self.tmp, 0o755)
        # tmpfs for the dbm session cache: on disk Berkeley DB syncs on every store.
        self.fast_tmp = None
        for d in ("/dev/shm", "/run"):
            if os.path.isdir(d) and os.access(d, os.W_OK):
                self.fast_tmp = tempfile.mkdtemp(prefix="modssl-bench-", dir=d)
                os.chmod(self.fast_tmp, 0o755)
                break
        self.builtin = {side: () for side in SIDES}
        self.live = []  # Apache instances currently started (stopped on any exit path)
        self.lifecycle = []
        self.errors = []
        self.pending = {}
        self.samples = {m.id: {s: [] for s in SIDES} for m in self.metrics}
        self.ceiling = {}

    def check_tools(self):
        problems = []
        for path, what in ((self.modules["ours"], "our module (build it: scripts/bench does)"),
                           (self.modules["stock"], "the stock module (apache2 package)"),
                           (self.client, "the load client (target modssl_bench_client)"),
                           (sv.APACHE, "apache2")):
            if not os.path.exists(path):
                problems.append(f"{path} missing: {what}")
        for tool in ("openssl", "h2load", "taskset"):
            if not shutil.which(tool):
                problems.append(f"{tool} not found (scripts/install-deps installs it)")
        if problems:
            sys.exit("bench: " + "; ".join(problems))

    def settings(self):
        c = self.cfg
        return mt.Settings(client=self.client, load_cpus=self.load_cpus, warmup=c["warmup"],
                           duration=c["duration"], idle_conns=c["idle"], slow_clients=c["slow"],
                           probe_seconds=c["probe"], probe_timeout_ms=c["probe_timeout"],
                           settle_s=c["settle"], smoke=self.mode == "smoke")

    def prepare(self):
        self.certs = sv.make_certs(os.path.join(self.tmp, "certs"))
        self.docroot = os.path.join(self.tmp, "htdocs")
        sv.make_htdocs(self.docroot)
        os.chmod(os.path.join(self.tmp, "certs"), 0o755)
        # Which session caches each module has built in (ours: shmcb and dbm; the stock module
        # needs mod_socache_shmcb / mod_socache_dbm): the configuration loads only what it needs.
        for side in SIDES:
            probe_dir = os.path.join(self.tmp, "probe-" + side)
            self.builtin[side] = tuple(k for k in ("shmcb", "dbm") if sv.module_builtin_socache(
                self.modules[side], k, probe_dir))
        log("session caches built in: " + "; ".join(
            f"{side} {', '.join(self.builtin[side]) or 'none'}" for side in SIDES))
        # The session-cache metrics need SSLSessionCache in both modules, and memcached or
        # redis-server for those caches.
        cache_metrics = [m for m in self.metrics if m.group == "resume_cache"]
        if cache_metrics:
            lacking = [side for side in SIDES if not sv.module_has_directive(
                self.modules[side], "SSLSessionCache", os.path.join(self.tmp, "probe-" + side))]
            for m in cache_metrics:
                kind = sv.cache_kind(m.profile)
                if lacking:
                    self.pending[m.id] = (f"{' and '.join(lacking)} module has no "
                                          f"SSLSessionCache; measured once it has")
                elif kind in kvstore.KINDS and not kvstore.available(kind):
                    self.pending[m.id] = f"{kvstore.KINDS[kind]} not installed"

    def active(self, m, rnd):
        """Whether metric `m` runs in round `rnd` (--quick runs some metrics in fewer rounds)."""
        if m.id in self.pending:
            return False
        return not (self.mode == "quick" and m.quick_rounds and rnd > m.quick_rounds
                    and m.id not in self.named)

    def start_round(self, rnd):
        profiles = sorted({m.profile for m in self.metrics if self.active(m, rnd)})
        instances = {}
        for profile in profiles:
            for side in SIDES:
                name = f"{side}-{profile}-r{rnd}"
                a = sv.Apache(name, self.modules[side], os.path.join(self.tmp, name), self.certs,
                              self.docroot, profile, self.server_cpus, self.builtin[side],
                              self.fast_tmp)
                a.launch()
                self.live.append(a)
                instances[(profile, side)] = a
        for key, a in instances.items():
            ok = a.wait_ready()
            self.lifecycle.append({"server": a.name, "module": a.module, "round": rnd,
                                   "started": ok, "start_error": a.start_error})
            if not ok:
                self.errors.append(f"{a.name}: {a.start_error}")
                log(f"{a.name} did not start: {a.start_error}")
        return instances

    def stop_all(self):
        for a in list(self.live):
            clean = a.stop()
            for rec in self.lifecycle:
                if rec["server"] == a.name:
                    rec["stopped_cleanly"] = clean
                    rec["crashes"] = a.crashes()
                    if rec["crashes"]:
                        self.errors.append(f"{a.name}: {rec['crashes'][0]}")
            if not clean:
                self.errors.append(f"{a.name}: did not stop cleanly")
            self.live.remove(a)

    def measure_round(self, rnd, instances, st):
        # Memory first, on the fresh servers of the round: what 1,000 new idle connections add
        # to a server that has not yet grown its heaps and pools under the other loads (and so
        # the same figure whichever metrics are selected).
        for m in sorted(self.metrics, key=lambda m: m.group != "memory"):
            if not self.active(m, rnd):
                continue
            for side in SIDES:
                a = instances.get((m.profile, side))
                sample = None
                if a and a.proc is not None and a.start_error is None:
                    try:
                        sample = m.measure(st, a)
                        sample["round"] = rnd
                    except (LoadError, OSError, ValueError, KeyError) as e:
                        self.errors.append(f"round {rnd} {m.id} {side}: {e}")
                        log(f"{m.id} {side}: {e}")
                self.samples[m.id][side].append(sample)
                shown = report.fmt(sample["value"]) if sample else "error"
                log(f"round {rnd}/{self.rounds} {m.id:22} {side:5} {shown} {m.unit}")
                time.sleep(0.1)

    def run(self):
        started = datetime.datetime.now(datetime.timezone.utc)
        t_start = time.monotonic()
        load_start = loadavg()
        busy_start = machine_busy(0.5 if self.mode == "smoke" else 2.0)
        log(f"{self.mode} run, {self.rounds} round(s); servers on cpu '{self.server_cpus}', "
            f"load on cpu '{self.load_cpus}'; load average {load_start}, CPUs "
            f"{100 * busy_start:.0f}% busy before the start; temp {self.tmp}")
        self.prepare()
        st = self.settings()
        ceiling_thread = None
        ceiling_runs = []

        def work():
            try:
                ceiling_runs.append(ceil.measure(self.cfg["speed"], self.server_cpus))
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                self.errors.append(f"ceiling: {e}")

        if self.want_ceiling:
            if self.mode == "smoke":
                # The smoke run only checks that the numbers come out: no need to wait for an
                # idle core.
                ceiling_thread = threading.Thread(target=work, daemon=True)
                ceiling_thread.start()
            else:
                log("measuring the crypto ceiling (openssl speed on the server core)")
                work()
        try:
            for rnd in range(1, self.rounds + 1):
                instances = self.start_round(rnd)
                self.measure_round(rnd, instances, st)
                self.stop_all()
        finally:
            self.stop_all()
        if ceiling_thread:
            ceiling_thread.join(timeout=120)
        elif self.want_ceiling:
            log("measuring the crypto ceiling again (the best of both counts)")
            work()
        self.ceiling.update(ceil.best_of(*ceiling_runs))
        st.ceiling = self.ceiling
        summaries = {m.id: report.summarize(m, self.samples[m.id], self.ceiling)
                     for m in self.metrics if m.id not in self.pending}
        elapsed = time.monotonic() - t_start
        result = {
            "started": started.isoformat(timespec="seconds"),
            "elapsed_s": round(elapsed, 1),
            "mode": self.mode,
            "rounds": self.rounds,
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
            "cpu_busy_before_start": busy_start,
            "machine": machine_info(self.server_cpus, self.load_cpus),
            "modules": self.modules,
            "settings": {k: v for k, v in vars(st).items() if k not in ("ceiling", "client")},
            "ceiling": self.ceiling,
            "metrics": {m.id: {"title": m.title, "unit": m.unit, "target": m.target,
                               "higher_is_better": m.higher_is_better,
                               "pending": self.pending.get(m.id),
                               "samples": self.samples[m.id],
                               "summary": summaries.get(m.id)} for m in self.metrics},
            "servers": self.lifecycle,
            "errors": self.errors,
        }
        # Smoke runs (every ctest run) overwrite one file and leave latest.json to benchmarks.
        name = "smoke.json" if self.mode == "smoke" else \
            f"{self.mode}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
        out = self.args.output or os.path.join(self.build_dir, "bench", name)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(result, f, indent=1)
        latest = os.path.join(os.path.dirname(os.path.abspath(out)), "latest.json")
        if self.mode != "smoke" and os.path.abspath(out) != latest:
            shutil.copyfile(out, latest)

        mi = result["machine"]
        print(f"\nmod_ssl benchmark, {self.mode} mode: {self.rounds} round(s), alternating "
              f"ours/stock; {elapsed:.0f} s; load average {load_start} -> {loadavg()}; CPUs "
              f"{100 * busy_start:.0f}% busy before the start")
        print(f"ours:  {self.modules['ours']} (commit {mi['git_commit']}"
              f"{', with uncommitted changes in src/ or include/' if mi['src_uncommitted_changes'] else ''})"
              f"\nstock: {self.modules['stock']}")
        print(f"machine: {mi['nproc']} CPUs ({mi['cpu_model']}), kernel {mi['kernel']}, "
              f"{mi['openssl']}; servers on cpu {self.server_cpus or '-'}, load on cpu "
              f"{self.load_cpus or '-'}\n")
        print(report.table(self.metrics, summaries, self.pending))
        if self.want_ceiling:
            print("\n" + report.ceiling_table(self.ceiling))
        if self.errors:
            print(f"\n{len(self.errors)} problem(s):")
            for e in self.errors[:20]:
                print("  " + e)
        print(f"\nresults: {out}")
        if self.fast_tmp:
            shutil.rmtree(self.fast_tmp, ignore_errors=True)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print(f"configs and logs kept in {self.tmp}")
        return self.verdict(summaries)

    def verdict(self, summaries):
        """Exit status. Normal runs fail only when a server did not start or stop; the smoke run
        also requires a number from every metric for both modules (never a speed or a ratio)."""
        bad = [r for r in self.lifecycle if not r["started"] or not r.get("stopped_cleanly")]
        for r in bad:
            print(f"FAIL: server {r['server']} started={r['started']} "
                  f"stopped_cleanly={r.get('stopped_cleanly')}")
        if self.mode != "smoke":
            return 1 if bad else 0
        missing = []
        for m in self.metrics:
            if m.id in self.pending:
                continue
            for side in SIDES:
                vals = [s["value"] for s in self.samples[m.id][side]
                        if s and isinstance(s.get("value"), (int, float))]
                if not vals:
                    missing.append(f"{m.id}/{side}")
        if self.want_ceiling and not self.ceiling:
            missing.append("ceiling")
        for x in missing:
            print(f"FAIL: no number for {x}")
        ok = not bad and not missing
        print("smoke: " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1


def main():
    args = parse_args()
    if args.list:
        for m in mt.all_metrics():
            print(f"{m.id:22} {m.group:10} {m.title} ({m.unit})")
        return 0
    run = Run(args)
    run.check_tools()
    try:
        return run.run()
    except KeyboardInterrupt:
        run.stop_all()
        return 130


if __name__ == "__main__":
    sys.exit(main())
