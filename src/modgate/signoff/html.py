"""The signoff report as one self-contained HTML page: inline CSS and SVG, no script, no asset. Pure."""

from __future__ import annotations

from html import escape

from modgate.signoff.model import GO, Kpi, Report

COLORS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "UNKNOWN": "#9a6700", "GO": "#1a7f37", "NO-GO": "#cf222e"}
_THRESHOLDS = {"L-KPI-3": 0.98, "L-SLO-4": 0.995, "H-SLO-4": 0.995}
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:60rem;color:#1f2328}
h1{font-size:1.6rem}.badge{display:inline-block;padding:.15rem .6rem;border-radius:.4rem;color:#fff;font-weight:600}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border-bottom:1px solid #d0d7de;padding:.35rem;
text-align:left;vertical-align:top}.kpi{margin:1.2rem 0;padding:.6rem .8rem;border:1px solid #d0d7de;
border-radius:.5rem}.small{color:#59636e;font-size:.85rem}svg{display:block;margin:.4rem 0}
"""


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{COLORS.get(status, "#59636e")}">{escape(status)}</span>'


def chart(kpi: Kpi) -> str:
    """A bar of the KPI's value (0-100 %) with its threshold as a line; a count for S-SLO-3."""
    width, height, color = 480, 34, COLORS.get(kpi.status, "#59636e")
    if kpi.id == "S-SLO-3":
        label = f"{kpi.numerator} production violation(s); threshold 0"
        bar = 0 if kpi.numerator == 0 else width
        mark = 0
    else:
        value = kpi.value if kpi.value is not None else 0.0
        label = "no sample" if kpi.value is None else f"{value:.2%} ({kpi.numerator}/{kpi.denominator})"
        bar, mark = round(value * width), round(_THRESHOLDS.get(kpi.id, 1.0) * width)
    title = escape(f"{kpi.id}: {label}; threshold {kpi.threshold}")
    return (f'<svg role="img" aria-label="{title}" width="{width + 20}" height="{height + 18}"'
            f' viewBox="0 0 {width + 20} {height + 18}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eaeef2"/>'
            f'<rect x="0" y="0" width="{bar}" height="{height}" fill="{color}"/>'
            f'<line x1="{mark}" y1="-2" x2="{mark}" y2="{height + 2}" stroke="#1f2328" stroke-width="3"/>'
            f'<text x="4" y="{height + 15}" font-size="12" fill="#1f2328">{escape(label)}</text></svg>')


def _floors(kpi: Kpi) -> str:
    if not kpi.floors:
        return "no sample floor"
    return "; ".join(f"{escape(f.name)} {f.actual}/{f.required}{'' if f.met else ' (not met)'}" for f in kpi.floors)


def _kpi(kpi: Kpi) -> str:
    share = "n/a" if kpi.fixture_share is None else f"{kpi.fixture_share:.0%}"
    failing = f"<div class='small'>failing: {escape(', '.join(kpi.failing))}</div>" if kpi.failing else ""
    return (f"<div class='kpi' id='{escape(kpi.id)}'><strong>{escape(kpi.id)} {escape(kpi.title)}</strong> "
            f"{_badge(kpi.status)} <span class='small'>threshold {escape(kpi.threshold)}</span>{chart(kpi)}"
            f"<div class='small'>{escape(kpi.formula)}</div><div class='small'>{escape(kpi.reason)}; floors: "
            f"{_floors(kpi)}; fixture share {share}</div>{failing}</div>")


def render(report: Report, *, generated_for: str = "") -> str:
    """The whole page."""
    w = report.window
    rows = "".join(f"<tr><td>{escape(i.id)}</td><td>{escape(i.title)}</td><td>{escape(', '.join(i.kpis))}</td>"
                   f"<td>{_badge(i.status)}</td></tr>" for i in report.items)
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    mode = "beta flag on" if report.decision == GO else "beta flag off, preview-only"
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>modgate signoff: "
            f"{escape(report.decision)}</title><style>{_CSS}</style></head><body>"
            f"<h1>Beta signoff (task 258): {_badge(report.decision)}</h1><p>{escape(mode)}. Window "
            f"{escape(w.label)} ending {escape(_iso(w.end))}{escape(generated_for)}.</p>"
            f"<table><thead><tr><th>Item</th><th>What</th><th>KPIs</th><th>Status</th></tr></thead><tbody>{rows}"
            f"</tbody></table>{''.join(_kpi(k) for k in report.kpis)}"
            f"{'<h2>Notes</h2><ul>' + notes + '</ul>' if notes else ''}</body></html>\n")


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
