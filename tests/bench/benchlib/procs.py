"""What the driver reads about processes and sockets: /proc only, no tools.

Server CPU time and memory are summed over an apache2 parent and all its children, because the
work and the per-connection memory live in the children while the parent holds the shared
configuration.
"""

import fcntl
import os
import random
import socket

CLK_TCK = os.sysconf("SC_CLK_TCK")
PORT_LOCK_DIR = "/tmp/modssl-it-ports"  # shared with the integration harness (free_port())


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (index 0 is the state)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode("ascii", "replace")
    return data[data.rfind(")") + 2:].split()


def children(parent):
    """Pids whose parent is `parent` (apache2 children are direct children of the parent)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if int(_stat_fields(name)[1]) == parent:
                out.append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return out


def process_tree(parent):
    return [parent] + children(parent)


def cpu_seconds(parent):
    """utime+stime of the parent and its live children, plus the parent's cutime+cstime (children
    that exited and were reaped still count). None when the parent is gone."""
    if not os.path.exists(f"/proc/{parent}"):
        return None
    total = 0
    for pid in process_tree(parent):
        try:
            f = _stat_fields(pid)
        except OSError:
            continue
        total += int(f[11]) + int(f[12])  # utime, stime
        if pid == parent:
            total += int(f[13]) + int(f[14])  # cutime, cstime
    return total / CLK_TCK


def memory_kib(parent):
    """(PSS, RSS, anonymous PSS) in KiB summed over the tree, from /proc/PID/smaps_rollup. PSS
    splits shared pages among the processes that map them, so the sum is the memory the server
    really costs. Its file-backed part (shared libraries) also moves when other processes on the
    machine map or unmap the same libraries, which is noise for a per-connection figure; the
    anonymous part (Pss_Anon: heap, APR blocks, stacks) is what connections actually take."""
    pss = rss = anon = 0
    for pid in process_tree(parent):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss_Anon:"):
                        anon += int(line.split()[1])
        except OSError:
            continue
    return pss, rss, anon


def process_group_members(pgid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if int(_stat_fields(name)[3]) == pgid:
                out.append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return out


def established_on_port(port):
    """Established TCP sockets whose local port is `port` (the server's side of connections)."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                        n += 1
        except OSError:
            continue
    return n


_held_locks = []


def reserve_port():
    """A free loopback port, reserved with an flock on /tmp/modssl-it-ports/<port> for the life of
    this process -- the same scheme as the integration harness, so parallel ctest runs of both
    never pick the same port."""
    os.makedirs(PORT_LOCK_DIR, exist_ok=True)
    try:
        os.chmod(PORT_LOCK_DIR, 0o1777)
    except OSError:
        pass
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randint(20000, 59999)
        try:
            fd = os.open(os.path.join(PORT_LOCK_DIR, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            ok = True
        except OSError:
            ok = False
        finally:
            s.close()
        if ok:
            _held_locks.append(fd)
            return port
        os.close(fd)
    raise RuntimeError("no free loopback port found")


def port_accepts(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def parse_cpu_list(cpus):
    """"0,2-3" -> {0, 2, 3}; "" -> every CPU."""
    if not cpus:
        return None
    out = set()
    for part in cpus.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


def cores_busy_seconds(cpus):
    """Non-idle time of the given CPUs (all when None) since boot, from /proc/stat."""
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            cols = line.split()
            if cpus is not None and int(cols[0][3:]) not in cpus:
                continue
            v = [int(x) for x in cols[1:9]]  # user nice system idle iowait irq softirq steal
            total += v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return total / CLK_TCK
