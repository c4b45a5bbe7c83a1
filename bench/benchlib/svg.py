"""The upload plot: wall seconds per tool and bundle size, grouped bars on a log scale."""

import math

SERIES = (("legacy", "legacy CLI", "#b0413e"), ("sdk", "SDK loop", "#d9a441"),
          ("brickci", "brickci deploy", "#2f6f9f"), ("floor", "brickci floor", "#9bbfd8"))


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;")


def upload_svg(r):
    sizes = sorted(r["upload"], key=int)
    conc, latency = r["concurrency"], r["latency_ms"] / 1000
    values = {}
    for s in sizes:
        t = r["upload"][s]
        values[s] = {k: t[k]["seconds"] for k in ("legacy", "sdk", "brickci") if k in t}
        values[s]["floor"] = t["brickci"]["requests"] / conc * latency
    top = max(max(v.values()) for v in values.values())
    lo_exp, hi_exp = -1, max(1, math.ceil(math.log10(top)))
    w, h, left, right, top_pad, bottom = 720, 400, 64, 16, 40, 70
    plot_h = h - top_pad - bottom
    group_w = (w - left - right) / len(sizes)
    bar_w = group_w / (len(SERIES) + 1.5)

    def y(v):
        v = max(v, 10 ** lo_exp)
        return top_pad + plot_h * (1 - (math.log10(v) - lo_exp) / (hi_exp - lo_exp))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">Upload of N notebooks + {r["jobs"]} jobs, {r["latency_ms"]} ms per request: wall seconds (log scale)</text>']
    for e in range(lo_exp, hi_exp + 1):
        yy = y(10 ** e)
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{10 ** e:g}</text>')
    for i, s in enumerate(sizes):
        x0 = left + i * group_w + bar_w * 0.75
        for j, (key, _, colour) in enumerate(SERIES):
            if key not in values[s]:
                continue
            v = values[s][key]
            x = x0 + j * bar_w
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar_w * 0.9:.1f}" height="{y(10 ** lo_exp) - y(v):.1f}" fill="{colour}"><title>{esc(key)}: {v:.2f} s</title></rect>')
            out.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{y(v) - 3:.1f}" text-anchor="middle" font-size="10">{v:.3g}</text>')
        out.append(f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{h - bottom + 18}" text-anchor="middle">{int(s):,} notebooks</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top_pad}" y2="{h - bottom}" stroke="#333"/>')
    lx = left
    for _, label, colour in SERIES:
        out.append(f'<rect x="{lx}" y="{h - 28}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{lx + 16}" y="{h - 18}">{esc(label)}</text>')
        lx += 150
    out.append("</svg>")
    return "\n".join(out) + "\n"
