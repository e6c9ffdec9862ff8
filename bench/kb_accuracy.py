"""Knowledge-base matcher accuracy: dev and held-out questions, leave-one-out on the articles' phrasings, speed.

Run from the repo root: `.venv/bin/python bench/kb_accuracy.py` prints the development set (tuned on), the
held-out set (the final measure, never tuned on), leave-one-out and timings. `--dev-only` skips the held-out
set, for whoever is tuning the matcher. A missing held-out file is reported and skipped. It is a report, so it
exits 0 whatever the figures; it exits 1 only when the knowledge or development files are missing or unreadable.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.matching import Doc, Matcher  # noqa: E402

KNOWLEDGE = ROOT / "knowledge" / "files"
DATA = ROOT / "bench" / "data"
DEV = {"en-US": DATA / "kb_dev_en.toml", "es-US": DATA / "kb_dev_es.toml"}
HELDOUT = {"en-US": DATA / "kb_heldout_en.toml", "es-US": DATA / "kb_heldout_es.toml"}
HELDOUT_LABEL = "held-out (final measure; never tuned on)"
ANSWER, CONFIRM = 0.55, 0.35  # the callers' default thresholds (config.toml [knowledge])


@dataclass
class Tally:
    in_scope: int = 0
    top1: int = 0  # right article, answered or confirmed (>= CONFIRM)
    direct: int = 0  # right article, answered directly (>= ANSWER)
    wrong_confident: int = 0  # wrong article at >= ANSWER
    refused_in_scope: int = 0
    out_of_scope: int = 0
    oos_refused: int = 0

    def add(self, other: Tally) -> None:
        """Accumulate another tally into this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def load_docs(directory: Path = KNOWLEDGE) -> list[Doc]:
    """Every article of every knowledge/files/<code>.toml as a Doc."""
    docs = []
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        language = data.get("language", path.stem)
        for a in data.get("article", []):
            docs.append(
                Doc(a["id"], language, a.get("title", ""), tuple(a.get("phrasings", ())), tuple(a.get("keywords", ())))
            )
    return docs


def load_cases(path: Path) -> list[tuple[str, str]]:
    """Benchmark (text, expected article id or "" for out of scope)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(c["text"], c.get("expect", "")) for c in data.get("case", [])]


def pct(part: int, whole: int) -> str:
    """Percentage with the raw counts, or n/a."""
    return f"{100 * part / whole:5.1f} % ({part}/{whole})" if whole else "  n/a"


def run_cases(matcher: Matcher, language: str, cases: list[tuple[str, str]]) -> tuple[Tally, list[str]]:
    """Score the cases of one language; returns the tally and printable misses."""
    tally, misses = Tally(), []
    for text, expect in cases:
        m = matcher.match(text, language)
        if not expect:
            tally.out_of_scope += 1
            tally.oos_refused += m.confidence < CONFIRM
            if m.confidence >= CONFIRM:
                misses.append(f"  OUT-OF-SCOPE NOT REFUSED {text!r}: got {m.article_id} {m.confidence:.2f}")
            continue
        tally.in_scope += 1
        right = m.article_id == expect
        tally.top1 += right and m.confidence >= CONFIRM
        tally.direct += right and m.confidence >= ANSWER
        tally.wrong_confident += (not right) and m.confidence >= ANSWER
        tally.refused_in_scope += m.confidence < CONFIRM
        if not right or m.confidence < CONFIRM:
            misses.append(f"  MISS {text!r}: expected {expect}, got {m.article_id} {m.confidence:.2f}")
    return tally, misses


def print_tally(label: str, t: Tally) -> None:
    """One block of figures."""
    rows = [
        ("in-scope cases", str(t.in_scope)),
        (f"top-1 (right, conf >= {CONFIRM})", pct(t.top1, t.in_scope)),
        (f"answered directly, right (>= {ANSWER})", pct(t.direct, t.in_scope)),
        (f"wrong but confident (>= {ANSWER})", pct(t.wrong_confident, t.in_scope)),
        (f"refused in-scope (< {CONFIRM})", pct(t.refused_in_scope, t.in_scope)),
        ("out-of-scope refused", pct(t.oos_refused, t.out_of_scope)),
    ]
    print(label)
    for name, value in rows:
        print(f"  {name:<40}{value}")


def leave_one_out(docs: list[Doc], language: str) -> tuple[int, int, int]:
    """Each phrasing asked against an index built without it: (right at >= CONFIRM, right at all, total)."""
    own = [d for d in docs if d.language == language]
    confirmed = ranked = total = 0
    for i, doc in enumerate(own):
        for j, phrasing in enumerate(doc.phrasings):
            held = replace(doc, phrasings=doc.phrasings[:j] + doc.phrasings[j + 1 :])
            m = Matcher.build(own[:i] + [held] + own[i + 1 :]).match(phrasing, language)
            total += 1
            ranked += m.article_id == doc.article_id
            confirmed += m.article_id == doc.article_id and m.confidence >= CONFIRM
    return confirmed, ranked, total


def timings(docs: list[Doc], queries: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(build seconds, mean match milliseconds for a question new to the index, and for one asked again)."""
    start = time.perf_counter()
    matcher = Matcher.build(docs)
    build = time.perf_counter() - start
    distinct = list(dict.fromkeys(queries))
    start = time.perf_counter()
    for text, language in distinct:  # the index remembers recent questions: only a first asking does the work
        matcher.match(text, language)
    first = (time.perf_counter() - start) / max(1, len(distinct))
    start = time.perf_counter()
    for text, language in distinct:
        matcher.match(text, language)
    again = (time.perf_counter() - start) / max(1, len(distinct))
    return build, first * 1000, again * 1000


def report_set(matcher: Matcher, label: str, cases: dict[str, list[tuple[str, str]]]) -> None:
    """Per-language and overall figures plus the misses for one question set."""
    overall, all_misses = Tally(), []
    for language, lang_cases in cases.items():
        tally, misses = run_cases(matcher, language, lang_cases)
        print_tally(f"{label} {language}", tally)
        overall.add(tally)
        all_misses += [f"{language}{line}" for line in misses]
    print_tally(f"{label} overall", overall)
    print(f"{label} misses (text, expected, got, confidence):")
    print("\n".join(all_misses) or "  none")


def main(argv: list[str] | None = None) -> int:
    """Print the report; 1 only when the knowledge or development files are missing or unreadable."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-only", action="store_true", help="skip the held-out set (use while tuning)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in DEV.values() if not p.exists()]
    if not list(KNOWLEDGE.glob("*.toml")) or missing:
        print(f"missing input: {', '.join(missing) or KNOWLEDGE}", file=sys.stderr)
        return 1
    try:
        docs = load_docs()
        dev = {lang: load_cases(path) for lang, path in DEV.items()}
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        print(f"unreadable input: {exc}", file=sys.stderr)
        return 1
    matcher = Matcher.build(docs)
    report_set(matcher, "dev", dev)
    queries = [(text, lang) for lang, lang_cases in dev.items() for text, _ in lang_cases]
    if args.dev_only:
        print(f"{HELDOUT_LABEL}: skipped (--dev-only)")
    else:
        heldout: dict[str, list[tuple[str, str]]] = {}
        for language, path in HELDOUT.items():
            if not path.exists():
                print(f"{HELDOUT_LABEL} {language}: missing {path.name}, not scored")
                continue
            try:
                heldout[language] = load_cases(path)
            except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
                print(f"{HELDOUT_LABEL} {language}: unreadable {path.name} ({exc}), not scored")
        if heldout:
            report_set(matcher, HELDOUT_LABEL, heldout)
            queries += [(text, lang) for lang, lang_cases in heldout.items() for text, _ in lang_cases]
    for language in matcher.languages:
        confirmed, ranked, total = leave_one_out(docs, language)
        print(
            f"leave-one-out {language}: top-1 {pct(confirmed, total)}, ranked first at any confidence "
            f"{pct(ranked, total)}"
        )
    build, first, again = timings(docs, queries)
    print(f"build {len(docs)} articles: {build * 1000:.1f} ms; mean match: {first:.3f} ms "
          f"(asked again: {again:.3f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
