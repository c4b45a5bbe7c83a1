"""Markdown tables from the results dict bench/run collects (results.json's shape)."""


def table(header, rows):
    """A markdown table; cells are str()-ed, pipes escaped."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    out = [line(header), "|" + "|".join("---" for _ in header) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def secs(x):
    return "—" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}")


def ratio(a, b):
    return None if not a or not b else a / b


def fmt_ratio(x):
    return "—" if x is None else f"{x:.1f}×"


def verdict(ok):
    return "—" if ok is None else ("met" if ok else "**not met**")


def mib(kib_or_bytes, unit=1024):
    return f"{kib_or_bytes / unit:.1f} MiB"


def upload_rows(r):
    conc, latency = r["concurrency"], r["latency_ms"] / 1000
    rows = []
    for size, tools in sorted(r["upload"].items(), key=lambda kv: int(kv[0])):
        b, legacy, sdk = tools["brickci"], tools.get("legacy"), tools.get("sdk")
        floor = b["requests"] / conc * latency
        rows.append([
            f"{int(size):,} + {r['jobs']} jobs",
            f"{secs(legacy['seconds'])} s ({legacy['requests']:,})" if legacy else "—",
            f"{secs(sdk['seconds'])} s ({sdk['requests']:,})" if sdk else "—",
            f"{secs(b['seconds'])} s ({b['requests']:,})",
            fmt_ratio(ratio(legacy and legacy["seconds"], b["seconds"])),
            fmt_ratio(ratio(sdk and sdk["seconds"], b["seconds"])),
            f"{secs(floor)} s",
            fmt_ratio(b["seconds"] / floor),
        ])
    return rows


def summary(r):
    """(target, measured, verdict) rows for issue #14's targets."""
    rows = []
    at = r["upload"].get(str(r["target_size"]))
    if at:
        b = at["brickci"]
        floor = b["requests"] / r["concurrency"] * r["latency_ms"] / 1000
        for key, name, want in (("legacy", "legacy CLI", 20), ("sdk", "SDK loop", 5)):
            x = ratio(at.get(key, {}).get("seconds"), b["seconds"])
            rows.append([f"upload {r['target_size']:,}: ≥ {want}× the {name}", fmt_ratio(x), verdict(None if x is None else x >= want)])
        rows.append([f"upload {r['target_size']:,}: ≤ 1.5× the floor", fmt_ratio(b["seconds"] / floor), verdict(b["seconds"] / floor <= 1.5)])
    for size, red in sorted(r["redeploy"].items(), key=lambda kv: int(kv[0])):
        rows.append([f"no-op redeploy {int(size):,} files: ≤ 10 requests", red["noop"]["requests"], verdict(red["noop"]["requests"] <= 10)])
        rows.append([f"one changed file, {int(size):,} files: 1 request", red["one_change"]["requests"], verdict(red["one_change"]["requests"] <= 1)])
    if r["rate"]["rows"]:
        for row in r["rate"]["rows"]:
            rows.append([f"{row['limit_rps']} rps limit: ≥ 80% of it", f"{row['fraction']:.0%}", verdict(row["fraction"] >= 0.8)])
    else:
        rows.append(["rate limits: ≥ 80% of 5 and 50 rps", r["rate"]["note"], "—"])
    if r.get("rss_kib") is not None:
        rows.append([f"peak RSS, deploy of {r['rss_size']:,} files: ≤ 64 MB", mib(r["rss_kib"]), verdict(r["rss_kib"] * 1024 <= 64e6)])
    rows.append(["binary size: ≤ 15 MB", mib(r["binary_bytes"], 1024 * 1024), verdict(r["binary_bytes"] <= 15e6)])
    w = r["wait"]
    if w["runs"]:
        delays = [x["end_to_exit"] for x in w["runs"]]
        rows.append(["run's end to exit: ≤ 10 s",
                     f"{secs(sum(delays) / len(delays))} s mean, {secs(max(delays))} s worst of {len(delays)} runs; "
                     f"{secs(w['worst_delay'])} s worst by the schedule",
                     verdict(max(max(delays), w["worst_delay"]) <= 10)])
        rows.append(["polls per waited hour: ≤ 400", f"{w['polls_first_hour']} in the first hour by the schedule", verdict(w["polls_first_hour"] <= 400)])
    return rows


def markdown(r):
    m = r["meta"]
    parts = [
        "# brickci benchmark results",
        "",
        f"{m['date']} · {m['mode']} run · brickci {m['version']} ({m['build']}) · {m['cpus']} CPUs · "
        f"every request {r['latency_ms']} ms slower · the run took {m['seconds']:.0f} s. "
        "Produced by `bench/run`; what each figure means: [bench/README.md](../README.md). "
        "Plot: [upload.svg](upload.svg).",
        "",
        "## Against issue #14's targets",
        "",
        table(["target", "measured", "verdict"], summary(r)),
        "",
        f"## 1. Upload: notebooks in 20 folders + {r['jobs']} jobs, {r['latency_ms']} ms per request",
        "",
        "Wall seconds (requests). Floor: brickci's requests ÷ its concurrency "
        f"({r['concurrency']}) × {r['latency_ms']} ms.",
        "",
        table(["notebooks", "legacy CLI", "SDK loop", "brickci deploy", "vs legacy", "vs SDK", "floor", "brickci ÷ floor"], upload_rows(r)),
        "",
        "## 2. Redeploys of a deployed bundle",
        "",
        table(
            ["bundle", "no-op: requests (writes)", "one changed notebook: requests (writes)", "no-op calls", "one-change calls"],
            [[f"{int(s):,} notebooks + {r['jobs']} jobs",
              f"{x['noop']['requests']} ({x['noop']['writes']})",
              f"{x['one_change']['requests']} ({x['one_change']['writes']})",
              "<br>".join(x["noop"]["calls"]),
              "<br>".join(x["one_change"]["calls"])]
             for s, x in sorted(r["redeploy"].items(), key=lambda kv: int(kv[0]))],
        ),
        "",
        "## 3. Rate limits",
        "",
    ]
    if r["rate"]["rows"]:
        parts.append(table(["limit (rps)", "requests", "seconds", "fraction of the limit"],
                           [[x["limit_rps"], x["requests"], secs(x["seconds"]), f"{x['fraction']:.0%}"] for x in r["rate"]["rows"]]))
    else:
        parts.append(table(["limit (rps)", "result"], [["5, 50", r["rate"]["note"]]]))
    c = r["cold"]
    foot = [[f"cold start: `{k}` (median of {r['cold_runs']})", f"{v * 1000:.1f} ms"] for k, v in c.items()]
    if r.get("rss_kib") is not None:
        foot.append([f"peak RSS of `brickci deploy`, {r['rss_size']:,} notebooks + {r['jobs']} jobs", mib(r["rss_kib"])])
    foot.append(["binary size", f"{mib(r['binary_bytes'], 1024 * 1024)} ({r['binary_bytes']:,} bytes)"])
    foot.append(["image size (`scripts/build-images`)", mib(r["image_bytes"], 1024 * 1024) if r.get("image_bytes") else r.get("image_note", "—")])
    w = r["wait"]
    head = ", ".join(f"{t:g}" for t in w["schedule_head"])
    parts += [
        "",
        "## 4. Footprint",
        "",
        table(["figure", "value"], foot),
        "",
        "## 5. Waiting for a run",
        "",
        f"Poll schedule (src/cli.rs defaults, src/run/wait.rs): first pause {w['first']:g} s, doubling up to "
        f"{w['longest']:g} s. Polls at {head}, … s; {w['polls_first_hour']} polls in the first hour; "
        f"a run ending just after a poll is seen up to {w['longest']:g} s later.",
        "",
        table(
            ["run length", "clock", "end → brickci exit", "polls", "polls per waited hour"],
            [[f"{x['run_seconds']:g} s", "real" if x["speed"] == 1 else f"{x['speed']:g}× (pauses ÷ {x['speed']:g})",
              f"{secs(x['end_to_exit'])} s", x["polls"], f"{x['polls_per_hour']:.0f}"] for x in w["runs"]],
        ),
        "",
    ]
    return "\n".join(parts)
