"""Metric 7, the crypto ceiling: what one server core's OpenSSL can do at most, from
`openssl speed` pinned to the server core.

A full handshake costs the server one signature (RSA-2048 or ECDSA P-256: CertificateVerify in
TLS 1.3, ServerKeyExchange in TLS 1.2) and one ephemeral key exchange (X25519, the group
OpenSSL's client and server both prefer: one key generation plus one derivation, two scalar
multiplications of the same cost). So the ceiling is 1 / (t_sign + 2 t_x25519) handshakes/s.
A TLS 1.3 resumption (psk_dhe_ke) costs the two X25519 operations and no signature; a TLS 1.2
resumption has no public-key operation at all, so it has no crypto ceiling worth quoting. Bulk
transfer is bounded by AES-GCM over 16 KiB records (the cipher the client negotiated).
Everything else a server does (TCP, HTTP, file I/O, hashing the transcript) is above this line,
which is why real rates stay below it.
"""

import subprocess


def _speed(args, seconds, cpus):
    cmd = ["openssl", "speed", "-mr", "-seconds", str(seconds)] + args
    if cpus:
        cmd = ["taskset", "-c", cpus] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120 + 20 * seconds)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()[-300:]}")
    return r.stdout


def measure(seconds, cpus):
    """Operations per second on one core. Parses the -mr ("machine readable") lines:
    +F2:i:2048:sign/s:verify/s (RSA), +F4:i:256:sign/s:verify/s (ECDSA),
    +F5:i:bits:op/s:... (ECDH; 253 bits is X25519), +F:i:CIPHER:bytes/s (EVP, one block size)."""
    out = _speed(["rsa2048", "ecdsap256", "ecdhp256", "ecdhx25519"], seconds, cpus)
    c = {}
    for line in out.splitlines():
        f = line.split(":")
        if f[0] == "+F2" and f[2] == "2048":
            c["rsa2048_sign_per_s"], c["rsa2048_verify_per_s"] = float(f[3]), float(f[4])
        elif f[0] == "+F4" and f[2] == "256":
            c["ecdsap256_sign_per_s"], c["ecdsap256_verify_per_s"] = float(f[3]), float(f[4])
        elif f[0] == "+F5" and f[2] == "256":
            c["ecdhp256_per_s"] = float(f[3])
        elif f[0] == "+F5" and f[2] == "253":
            c["x25519_per_s"] = float(f[3])
    for cipher in ("aes-128-gcm", "aes-256-gcm"):
        out = _speed(["-bytes", "16384", "-evp", cipher], seconds, cpus)
        for line in out.splitlines():
            f = line.split(":")
            if f[0] == "+F" and len(f) >= 4:
                c[cipher.replace("-", "") + "_mb_per_s"] = float(f[-1]) / 1e6
    missing = {"rsa2048_sign_per_s", "ecdsap256_sign_per_s", "x25519_per_s",
               "aes128gcm_mb_per_s", "aes256gcm_mb_per_s"} - set(c)
    if missing:
        raise RuntimeError(f"openssl speed output lacked {sorted(missing)}")
    return derive(c)


def best_of(*measurements):
    """The machine's crypto speed varies by 10-20% between runs on a shared VM (frequency,
    neighbours); the ceiling is what it can do, so the best of the runs, key by key."""
    runs = [m for m in measurements if m]
    if not runs:
        return {}
    raw = {}
    for key in runs[0]:
        if key.startswith(("full_", "resumed_")):
            continue
        vals = [m[key] for m in runs if key in m]
        raw[key] = max(vals)
    out = derive(raw)
    out["runs"] = len(runs)
    return out


def derive(c):
    """Adds the per-handshake ceilings to raw per-primitive speeds."""
    c = dict(c)
    t_kx = 2.0 / c["x25519_per_s"]
    c["full_handshake_rsa2048_per_s"] = 1.0 / (1.0 / c["rsa2048_sign_per_s"] + t_kx)
    c["full_handshake_ecdsap256_per_s"] = 1.0 / (1.0 / c["ecdsap256_sign_per_s"] + t_kx)
    c["resumed_handshake_tls13_per_s"] = 1.0 / t_kx
    return c


def for_cipher(ceiling, cipher_name):
    """The AES-GCM ceiling (MB/s) that applies to a negotiated cipher, or None."""
    if not ceiling or not cipher_name:
        return None
    name = cipher_name.upper()
    if "AES_256_GCM" in name or "AES256-GCM" in name:
        return ceiling.get("aes256gcm_mb_per_s")
    if "AES_128_GCM" in name or "AES128-GCM" in name:
        return ceiling.get("aes128gcm_mb_per_s")
    return None
