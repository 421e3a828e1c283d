"""memcached and redis-server for the session-cache metrics (SSLSessionCache memcache:/redis:).

The same commands as the integration harness (tests/integration/harness/kv_server.cpp): a fresh
server per apache2 instance, on 127.0.0.1 and a reserved ephemeral port, nothing persisted,
pinned to the server core(s) like apache2 (the cache is server-side work; its CPU time is not
counted in the server's CPU figures, which sum apache2's processes only).
"""

import os
import shutil
import signal
import socket
import subprocess
import time

from . import procs

KINDS = {"memcache": "memcached", "redis": "redis-server"}


def available(kind):
    return shutil.which(KINDS[kind]) is not None


def _exchange(port, request, timeout=1.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        return s.recv(4096)


class KvServer:
    def __init__(self, kind, directory, cpus):
        self.kind, self.dir, self.cpus = kind, directory, cpus
        self.port = procs.reserve_port()
        self.proc = None
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o777)  # memcached drops to nobody

    @property
    def session_cache(self):
        return f"{self.kind}:127.0.0.1:{self.port}"

    @property
    def socache_module(self):
        return "socache_memcache" if self.kind == "memcache" else "socache_redis"

    def start(self, timeout=15.0):
        if self.kind == "memcache":
            argv = ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-t", "2",
                    "-m", "64"]
            if os.geteuid() == 0:  # memcached refuses to run as root without a user
                argv += ["-u", "nobody"]
        else:
            argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", self.dir, "--protected-mode", "no",
                    "--daemonize", "no"]
        if self.cpus:
            argv = ["taskset", "-c", self.cpus] + argv
        self._out = open(os.path.join(self.dir, "output.log"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._out, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{KINDS[self.kind]} exited at start: "
                                   + self._tail())
            if procs.port_accepts(self.port):
                if self.kind == "memcache":
                    return
                # Accepting is not yet serving for redis while it loads; PING says it is ready.
                try:
                    if _exchange(self.port, b"PING\r\n").startswith(b"+PONG"):
                        return
                except OSError:
                    pass
            time.sleep(0.02)
        raise RuntimeError(f"{KINDS[self.kind]} did not accept on port {self.port}: "
                           + self._tail())

    def _tail(self):
        try:
            with open(os.path.join(self.dir, "output.log"), errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-3:])
        except OSError:
            return ""

    def stop(self, timeout=10.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self._out.close()
        self.proc = None
