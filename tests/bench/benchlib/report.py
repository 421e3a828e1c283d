"""Medians, ranges, ratios and ceiling fractions; the table on stdout and the JSON file."""

import statistics


def _num(values):
    return [v for v in values if isinstance(v, (int, float))]


def _stats(values):
    v = _num(values)
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def _median(values):
    v = _num(values)
    return statistics.median(v) if v else None


def summarize(metric, samples, ceiling):
    """samples: {"ours": [sample or None per round], "stock": [...]}."""
    out = {}
    for side in ("ours", "stock"):
        got = [s for s in samples.get(side, []) if s]
        st = _stats([s.get("value") for s in got])
        side_sum = {"value": st,
                    "per_cpu_s_median": _median([s.get("per_cpu_s") for s in got]),
                    "server_util_median": _median([s.get("server_util") for s in got]),
                    "load_util_median": _median([s.get("load_util") for s in got]),
                    "foreign_util_median": _median([s.get("foreign_util") for s in got]),
                    "foreign_util_max": max(_num([s.get("foreign_util") for s in got]),
                                            default=None)}
        limit = metric.ceiling(ceiling, got) if (metric.ceiling and ceiling) else None
        if limit and st:
            side_sum["ceiling"] = limit
            side_sum["ceiling_fraction"] = st["median"] / limit
            if side_sum["per_cpu_s_median"] is not None:
                side_sum["per_cpu_s_ceiling_fraction"] = side_sum["per_cpu_s_median"] / limit
        for extra in ("resumed_fraction", "p50_ms", "p99_ms", "held_established", "opened",
                      "rss_kib_per_conn", "anon_kib_per_conn"):
            m = _median([s.get(extra) for s in got])
            if m is not None:
                side_sum[extra + "_median"] = m
        out[side] = side_sum
    o, s = out["ours"]["value"], out["stock"]["value"]
    out["ratio"] = o["median"] / s["median"] if (o and s and s["median"]) else None
    # The median of per-round ratios pairs each measurement with its neighbour in time, so
    # drift between rounds (a shared machine) cancels out; a second view of the same ratio.
    pairs = [a["value"] / b["value"] for a, b in zip(samples.get("ours", []), samples.get("stock", []))
             if a and b and isinstance(a.get("value"), (int, float)) and b.get("value")]
    out["paired_ratio"] = statistics.median(pairs) if pairs else None
    po, ps = out["ours"]["per_cpu_s_median"], out["stock"]["per_cpu_s_median"]
    out["per_cpu_s_ratio"] = po / ps if (po and ps) else None
    out["target_met"] = _target_met(metric, out)
    return out


def _target_met(metric, summ):
    """Met only if the ratio of medians and the paired ratio both meet the target, so that a
    noisy round cannot claim a success."""
    r, paired = summ["ratio"], summ.get("paired_ratio")
    if r is not None and paired is not None:
        r = max(r, paired) if metric.target == "ratio <= 0.7" else min(r, paired)
    ours = summ["ours"]["value"]
    if metric.target == "ours >= 99%":
        return None if not ours else ours["median"] >= 99.0
    if r is None:
        return None
    if metric.target == "baseline":
        return None
    if metric.target == "ratio <= 0.7":
        return r <= 0.7
    ok = r >= 1.0
    if "85% of ceiling" in metric.target:
        frac = summ["ours"].get("ceiling_fraction")
        ok = ok and frac is not None and frac >= 0.85
    return ok


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _pct(v):
    return "-" if v is None else f"{100 * v:.0f}%"


def _range(st):
    if not st:
        return "-"
    return f"{fmt(st['median'])} [{fmt(st['min'])}-{fmt(st['max'])}]"


def table(metrics, summaries, pending):
    """Two tables: the headline (medians, ranges, ratio, target, ceiling fraction) and the
    server-side view (work per server CPU second, how busy the server core was, notes)."""
    rows = [("metric", "unit", "ours median [min-max]", "stock median [min-max]",
             "ours/stock (paired)", "target", "met", "ceiling ours/stock")]
    for m in metrics:
        if m.id in pending:
            rows.append((m.title, m.unit, "pending", "pending", "-", m.target, "-", "-"))
            continue
        s = summaries.get(m.id)
        if not s:
            continue
        ceiling = "-"
        if "ceiling_fraction" in s["ours"] or "ceiling_fraction" in s["stock"]:
            ceiling = f"{_pct(s['ours'].get('ceiling_fraction'))} / " \
                      f"{_pct(s['stock'].get('ceiling_fraction'))}"
        met = {True: "yes", False: "NO", None: "-"}[s["target_met"]]
        ratio = fmt(s["ratio"])
        if s.get("paired_ratio") is not None and s["ratio"] is not None:
            ratio += f" ({fmt(s['paired_ratio'])})"
        rows.append((m.title, m.unit, _range(s["ours"]["value"]), _range(s["stock"]["value"]),
                     ratio, m.target, met, ceiling))
    text = _render(rows)

    rows = [("metric", "per server-CPU-s ours", "stock", "ratio", "ceiling ours/stock",
             "server busy ours/stock", "load gen busy", "other work on server core: median (max)",
             "notes")]
    for m in metrics:
        s = summaries.get(m.id)
        if not s or m.id in pending:
            continue
        o, st = s["ours"], s["stock"]
        ceiling = "-"
        if "per_cpu_s_ceiling_fraction" in o or "per_cpu_s_ceiling_fraction" in st:
            ceiling = f"{_pct(o.get('per_cpu_s_ceiling_fraction'))} / " \
                      f"{_pct(st.get('per_cpu_s_ceiling_fraction'))}"
        busy = load = "-"
        if o.get("server_util_median") is not None or st.get("server_util_median") is not None:
            busy = f"{_pct(o.get('server_util_median'))} / {_pct(st.get('server_util_median'))}"
        if o.get("load_util_median") is not None or st.get("load_util_median") is not None:
            load = f"{_pct(o.get('load_util_median'))} / {_pct(st.get('load_util_median'))}"
        fmed = [v for v in (o.get("foreign_util_median"), st.get("foreign_util_median"))
                if v is not None]
        fmax = [v for v in (o.get("foreign_util_max"), st.get("foreign_util_max"))
                if v is not None]
        foreign = f"{_pct(max(fmed))} ({_pct(max(fmax))})" if fmed else "-"
        rows.append((m.id, fmt(o.get("per_cpu_s_median")), fmt(st.get("per_cpu_s_median")),
                     fmt(s.get("per_cpu_s_ratio")), ceiling, busy, load,
                     foreign, _notes(m, s)))
    text += ("\n\nServer side, in the same windows: work per CPU-second of the server's processes; "
             "how busy the server and the load generator were (100% = one core); how much of "
             "the server core went to anything else (other processes, interrupts; high values "
             "make a run less trustworthy):\n")
    text += _render(rows)
    if pending:
        text += "\n\nPending: " + "; ".join(f"{k}: {v}" for k, v in pending.items())
    return text


def _notes(m, s):
    o, st = s["ours"], s["stock"]
    if m.group in ("resume", "resume_cache"):
        return f"resumed {_pct(o.get('resumed_fraction_median'))} / " \
               f"{_pct(st.get('resumed_fraction_median'))} of connections"
    if m.group == "memory":
        return f"held {fmt(o.get('held_established_median'))} / " \
               f"{fmt(st.get('held_established_median'))} established; RSS " \
               f"{fmt(o.get('rss_kib_per_conn_median'))} / " \
               f"{fmt(st.get('rss_kib_per_conn_median'))} KiB/conn; anonymous PSS " \
               f"{fmt(o.get('anon_kib_per_conn_median'))} / " \
               f"{fmt(st.get('anon_kib_per_conn_median'))} KiB/conn"
    if m.group == "slowhs":
        return f"p50 {fmt(o.get('p50_ms_median'))} / {fmt(st.get('p50_ms_median'))} ms, " \
               f"p99 {fmt(o.get('p99_ms_median'))} / {fmt(st.get('p99_ms_median'))} ms"
    return ""


def _render(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ceiling_table(c):
    if not c:
        return "(no ceiling measured)"
    rows = [("crypto on one server core (openssl speed)", "per second")]
    for key, label in (("rsa2048_sign_per_s", "RSA-2048 sign"),
                       ("ecdsap256_sign_per_s", "ECDSA P-256 sign"),
                       ("x25519_per_s", "X25519 derive"),
                       ("ecdhp256_per_s", "ECDH P-256 derive"),
                       ("aes128gcm_mb_per_s", "AES-128-GCM, 16 KiB blocks (MB)"),
                       ("aes256gcm_mb_per_s", "AES-256-GCM, 16 KiB blocks (MB)"),
                       ("full_handshake_rsa2048_per_s", "=> full handshake ceiling, RSA-2048"),
                       ("full_handshake_ecdsap256_per_s", "=> full handshake ceiling, ECDSA P-256"),
                       ("resumed_handshake_tls13_per_s", "=> TLS 1.3 resumption ceiling")):
        if key in c:
            rows.append((label, fmt(c[key])))
    return _render(rows)
