"""The apache2 instances under test: run-time certificates, content, the generated configuration,
and starting/stopping pinned to the server cores.

Both modules get the same configuration text; only the LoadModule path differs. Keys are made
at run time in the bench's temp dir and never leave it.
"""

import os
import signal
import subprocess
import time

from . import kvstore
from . import procs

APACHE = "/usr/sbin/apache2"
MODULE_DIR = "/usr/lib/apache2/modules"
STOCK_MODULE = MODULE_DIR + "/mod_ssl.so"


def make_certs(directory):
    """RSA-2048 and ECDSA P-256 self-signed certificates for 'localhost'."""
    os.makedirs(directory, exist_ok=True)
    specs = {
        "rsa": ["-newkey", "rsa:2048"],
        "ecdsa": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    }
    files = {}
    for name, key_args in specs.items():
        crt, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
        subprocess.run(
            ["openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", *key_args,
             "-keyout", key, "-out", crt],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        files[name] = (crt, key)
    return files


def make_htdocs(directory):
    """index.html, a 1 KiB file (small requests) and a 10 MiB file (bulk)."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "index.html"), "w") as f:
        f.write("<html><body>modssl bench</body></html>\n")
    with open(os.path.join(directory, "1k"), "wb") as f:
        f.write((b"0123456789abcdef" * 64)[:1024])
    # Random bytes: nothing on the path compresses, but no filter should get an easy ride.
    with open(os.path.join(directory, "10m"), "wb") as f:
        f.write(os.urandom(10 * 1024 * 1024))


# The MPM settings per profile. "main" serves the throughput and memory metrics: two children of
# 64 threads, a fixed process count (StartServers = ServerLimit, no spare-thread churn) so that
# memory and CPU are summed over the same processes every round, and AsyncRequestWorkerFactor high
# enough that 1,000 idle keep-alive connections fit (event's per-child limit is ThreadsPerChild +
# factor x idle threads). "slowhs" is the small pool of metric 6: 2 x 10 threads, with
# AsyncRequestWorkerFactor 40 so that each child may hold 10 + 40 x idle threads connections
# (up to 410): with the default of 2 a child stops accepting at 30, and 500 stalled clients
# would keep every later client in the kernel's accept queue whatever the TLS module does.
MPM_PROFILES = {
    "main": """StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
AsyncRequestWorkerFactor 32
""",
    "slowhs": """StartServers 2
ServerLimit 2
ThreadLimit 10
ThreadsPerChild 10
MaxRequestWorkers 20
MinSpareThreads 10
MaxSpareThreads 20
AsyncRequestWorkerFactor 40
""",
}
# The session-cache profiles ("cache_shmcb", "cache_dbm", "cache_memcache", "cache_redis"): the
# main profile's MPM (two children, so resumptions cross processes and need the shared cache),
# one RSA vhost with SSLSessionTickets off, so that TLS 1.2 resumes by session ID and TLS 1.3
# with stateful PSKs (the session ID sent as the ticket), both through SSLSessionCache.
CACHE_KINDS = ("shmcb", "dbm", "memcache", "redis")
for _kind in CACHE_KINDS:
    MPM_PROFILES["cache_" + _kind] = MPM_PROFILES["main"]


def cache_kind(profile):
    return profile[len("cache_"):] if profile.startswith("cache_") else None


def render_config(root, module, ports, certs, docroot, profile, session_cache=None,
                  socache_modules=()):
    """`session_cache`: the SSLSessionCache argument of a cache profile; `socache_modules`: the
    mod_socache_* modules to load (only what the module needs: ours has shmcb and dbm built in,
    the stock module needs mod_socache_shmcb / mod_socache_dbm)."""
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    vhosts = ""
    for kind, port in ports.items():
        if kind == "plain":  # plain HTTP, for httpd's own share of memory per connection
            vhosts += f"\nListen 127.0.0.1:{port}\n"
            continue
        crt, key = certs[kind]
        tickets = "    SSLSessionTickets off\n" if session_cache else ""
        vhosts += f"""
Listen 127.0.0.1:{port} https
<VirtualHost 127.0.0.1:{port}>
    ServerName localhost
    SSLEngine on
{tickets}    SSLProtocol -all +TLSv1.2 +TLSv1.3
    SSLCertificateFile "{crt}"
    SSLCertificateKeyFile "{key}"
</VirtualHost>
"""
    socache = "".join(f"LoadModule {m}_module {MODULE_DIR}/mod_{m}.so\n" for m in socache_modules)
    if session_cache:
        cache = f"""# The session cache under test (tickets are off in the vhost).
SSLSessionCache "{session_cache}"
SSLSessionCacheTimeout 300
"""
    else:
        cache = f"""# The shared session cache, where the module has the directive.
<IfDirective SSLSessionCache>
    SSLSessionCache "shmcb:{root}/run/ssl_scache(8192000)"
    SSLSessionCacheTimeout 300
</IfDirective>
"""
    return f"""# generated by tests/bench (scripts/bench); profile {profile}
ServerRoot "{root}"
DefaultRuntimeDir "{root}/run"
PidFile "{root}/run/httpd.pid"
Mutex file:{root}/run default
ErrorLog "{root}/logs/error.log"
LogLevel warn
# No access log: both servers would pay the same, and disk writes on a shared machine add noise.
Timeout 30
LoadModule mpm_event_module {MODULE_DIR}/mod_mpm_event.so
LoadModule authz_core_module {MODULE_DIR}/mod_authz_core.so
LoadModule mime_module {MODULE_DIR}/mod_mime.so
LoadModule dir_module {MODULE_DIR}/mod_dir.so
LoadModule http2_module {MODULE_DIR}/mod_http2.so
{socache}LoadModule ssl_module "{module}"
{user}ServerName localhost
TypesConfig /etc/mime.types
DocumentRoot "{docroot}"
<Directory />
    Require all granted
</Directory>
DirectoryIndex index.html
Protocols h2 http/1.1
KeepAlive On
# Unlimited requests per connection: keep-alive figures measure requests, not reconnects.
MaxKeepAliveRequests 0
KeepAliveTimeout 60
{MPM_PROFILES[profile]}
{cache}{vhosts}"""


def module_has_directive(module, directive, workdir):
    """Whether `module` accepts `directive` in the server config (apache2 -t on a tiny config)."""
    os.makedirs(workdir, exist_ok=True)
    conf = os.path.join(workdir, "probe.conf")
    with open(conf, "w") as f:
        f.write(f"""ServerRoot "{workdir}"
DefaultRuntimeDir "{workdir}"
PidFile "{workdir}/probe.pid"
ErrorLog /dev/null
LoadModule mpm_event_module {MODULE_DIR}/mod_mpm_event.so
LoadModule socache_shmcb_module {MODULE_DIR}/mod_socache_shmcb.so
LoadModule ssl_module "{module}"
ServerName localhost
Listen 127.0.0.1:{procs.reserve_port()}
<IfDirective {directive}>
Define MODSSL_BENCH_HAS_IT
</IfDirective>
""")
    r = subprocess.run([APACHE, "-f", conf, "-t", "-D", "DUMP_RUN_CFG"], capture_output=True,
                       text=True, timeout=30)
    return "MODSSL_BENCH_HAS_IT" in r.stdout


def module_builtin_socache(module, kind, workdir):
    """Whether `module` accepts `SSLSessionCache <kind>:...` with no mod_socache_<kind> loaded
    (ours has shmcb and dbm built in; the stock module needs the providers)."""
    os.makedirs(workdir, exist_ok=True)
    conf = os.path.join(workdir, f"probe-{kind}.conf")
    arg = f"shmcb:{workdir}/scache(512000)" if kind == "shmcb" else f"dbm:{workdir}/scache"
    with open(conf, "w") as f:
        f.write(f"""ServerRoot "{workdir}"
DefaultRuntimeDir "{workdir}"
PidFile "{workdir}/probe.pid"
ErrorLog /dev/null
LoadModule mpm_event_module {MODULE_DIR}/mod_mpm_event.so
LoadModule ssl_module "{module}"
ServerName localhost
Listen 127.0.0.1:{procs.reserve_port()}
SSLSessionCache "{arg}"
""")
    r = subprocess.run([APACHE, "-f", conf, "-t"], capture_output=True, text=True, timeout=30)
    return r.returncode == 0


class Apache:
    """One apache2 -DFOREGROUND, in its own process group, pinned with taskset. A cache profile
    also gets its session cache: a dbm file under `fast_dir` (tmpfs), or its own memcached or
    redis-server, started before apache2 and stopped after it."""

    def __init__(self, name, module, root, certs, docroot, profile, cpus, builtin=(),
                 fast_dir=None):
        self.name, self.module, self.root, self.profile, self.cpus = name, module, root, profile, cpus
        kinds = ("rsa", "ecdsa", "plain") if profile == "main" else ("rsa",)
        self.ports = {k: procs.reserve_port() for k in kinds}
        for d in ("logs", "run"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        # Children run as nobody and create mutex and cache files in run/.
        os.chmod(os.path.join(root, "run"), 0o777)
        os.chmod(os.path.join(root, "logs"), 0o777)
        os.chmod(root, 0o755)
        self.kv = None
        kind = cache_kind(profile)
        session_cache, socache = None, []
        if "shmcb" not in builtin:
            socache.append("socache_shmcb")  # the main profile's cache (inside IfDirective)
        if kind == "shmcb":
            session_cache = f"shmcb:{root}/run/ssl_scache(8192000)"
        elif kind == "dbm":
            # On tmpfs: on disk, Berkeley DB syncs on every store (~7 ms each, both modules).
            d = os.path.join(fast_dir or os.path.join(root, "run"), name)
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o777)
            session_cache = f"dbm:{d}/ssl_scache"
            if "dbm" not in builtin:
                socache.append("socache_dbm")
        elif kind in ("memcache", "redis"):
            self.kv = kvstore.KvServer(kind, os.path.join(root, kind), cpus)
            session_cache = self.kv.session_cache
            socache.append(self.kv.socache_module)
        self.session_cache = session_cache
        self.conf = os.path.join(root, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(render_config(root, module, self.ports, certs, docroot, profile,
                                  session_cache, socache))
        self.cpu_set = procs.parse_cpu_list(cpus)
        self.proc = None
        self.pid = None
        self.start_error = None
        self.stopped_cleanly = None

    @property
    def error_log(self):
        return os.path.join(self.root, "logs", "error.log")

    def _read_log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def launch(self):
        if self.kv:
            try:
                self.kv.start()
            except RuntimeError as e:
                # Reported through wait_ready (start_error), like an apache2 that did not start.
                self.kv_error = str(e)
        cmd = [APACHE, "-f", self.conf, "-DFOREGROUND"]
        if self.cpus:
            cmd = ["taskset", "-c", self.cpus] + cmd
        self._stderr = open(os.path.join(self.root, "logs", "stderr.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=self._stderr, start_new_session=True)
        self.pid = self.proc.pid  # taskset execs apache2: same pid

    def wait_ready(self, timeout=30.0):
        """Ready = httpd logged 'resuming normal operations' (post_config passed, children
        forked) and every port accepts; False with start_error set otherwise."""
        if getattr(self, "kv_error", None):
            self.start_error = self.kv_error
            return False
        expected_children = 2
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.start_error = f"apache2 exited with status {self.proc.returncode}: " + \
                    self._tail()
                return False
            if "resuming normal operations" in self._read_log() and \
                    all(procs.port_accepts(p) for p in self.ports.values()) and \
                    len(procs.children(self.pid)) >= expected_children:
                return True
            time.sleep(0.05)
        self.start_error = f"not ready after {timeout:.0f}s: " + self._tail()
        return False

    def _tail(self):
        text = self._read_log()
        try:
            with open(os.path.join(self.root, "logs", "stderr.log"), errors="replace") as f:
                text += f.read()
        except OSError:
            pass
        return " | ".join(text.strip().splitlines()[-5:])

    def stop(self, timeout=15.0):
        """SIGTERM to the parent; SIGKILL to our process group if it does not go in time.
        Records whether the server stopped cleanly (parent exited, no member of its group left,
        ports closed)."""
        if self.proc is None:
            if self.kv:
                self.kv.stop()
            return True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        clean = self.proc.poll() is not None
        deadline = time.monotonic() + 5
        while procs.process_group_members(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if procs.process_group_members(self.pid):
            clean = False
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._stderr.close()
        clean = clean and not any(procs.port_accepts(p) for p in self.ports.values())
        self.stopped_cleanly = clean
        self.proc = None
        if self.kv:
            self.kv.stop()
        return clean

    def cpu_seconds(self):
        return procs.cpu_seconds(self.pid)

    def memory_kib(self):
        return procs.memory_kib(self.pid)

    def crashes(self):
        """Child crashes httpd reported in the error log (e.g. 'exit signal Segmentation fault')."""
        return [l for l in self._read_log().splitlines() if "exit signal" in l]
