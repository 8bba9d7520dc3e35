"""ETL of the БД ПМО mirror shape at 1x, 4x and 16x a base size (issue 20).

    .venv/bin/python bench/bench_etl_mirror.py --raw /tmp/mirror/m20000_i48_y5/mirror
        [--sizes 1,4,16] [--base 3] [--code DIR]

The mirror's zips (``bench/make_scale.py --layout mirror``) are taken in
generation order: 1x is the first ``--base`` indicators, 4x and 16x four and
sixteen times as many (the same mix of breakdowns). Each size is loaded into
a fresh store in its own process under ``/usr/bin/time`` (wall and CPU
seconds, peak resident memory); inside it a thread samples the resident
memory every 20 ms and keeps the main thread's stack at each new high, which
says where the peak is held. ``--code`` runs the ETL of another checkout
(for instance an export of a branch whose reader is not on main yet).
Results are recorded by hand in BENCHMARKS.md ("Beyond one machine").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

SAMPLER = r"""
import os, sys, threading, time, traceback
from pathlib import Path
raw, store = sys.argv[1], sys.argv[2]
main, highs, done = threading.main_thread().ident, [], []

def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def sample():
    best = 0.0
    while not done:
        now = rss_mb()
        if now > best + 50:
            best = now
            stack = traceback.extract_stack(sys._current_frames().get(main))
            where = [f"{Path(s.filename).name}:{s.lineno} {s.name}"
                     for s in stack if "analytics" in s.filename][-3:]
            highs.append((time.perf_counter() - start, now, where))
        time.sleep(0.02)

start = time.perf_counter()
threading.Thread(target=sample, daemon=True).start()
from analytics.etl.pipeline import run_etl
report = run_etl([Path(raw)], Path(store))
done.append(True)
print("VALUES", sum(f.observations for f in report.files), report.derived)
for at, mb, where in highs[-6:]:
    print(f"HIGH {at:7.1f} s {mb:7.0f} MB  " + " < ".join(reversed(where)))
"""


def order(raw: Path) -> list[Path]:
    """The zips in generation order (make_scale's indicator order)."""
    import make_scale
    import numpy as np

    files = {p.stem: p for p in raw.glob("*.zip")}
    codes = make_scale.indicators(len(files), np.random.default_rng(make_scale.SEED))
    return [files[c] for c in codes.code if c in files]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--sizes", default="1,4,16")
    parser.add_argument("--base", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    files = order(args.raw)
    work = Path(tempfile.mkdtemp(prefix="agglo_mirror_etl_"))
    (work / "sampler.py").write_text(SAMPLER, encoding="utf-8")
    for size in (int(s) for s in args.sizes.split(",")):
        chosen = files[: size * args.base]
        raw = work / f"x{size}"
        raw.mkdir()
        for file in chosen:
            (raw / file.name).symlink_to(file.resolve())
        load = os.getloadavg()[0]
        done = subprocess.run(
            ["/usr/bin/time", "-f", "TIME %e %M %U %S", sys.executable,
             str(work / "sampler.py"), str(raw), str(work / f"store_x{size}")],
            cwd=args.code, env=dict(os.environ, PYTHONPATH=str(args.code)),
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        wall, rss_kb, user, system = re.findall(
            r"TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)", done.stderr
        )[-1]
        unzipped = sum(_unzipped(f) for f in chosen)
        print(
            f"{size:>2}x: {len(chosen)} files, {unzipped / 2**30:.2f} GiB unzipped; "
            f"wall {float(wall):.0f} s, CPU {float(user) + float(system):.1f} s, "
            f"peak RSS {int(rss_kb) / 1024:,.0f} MB; load average {load:.1f}"
        )
        for line in done.stdout.splitlines():
            print("    " + line)


def _unzipped(path: Path) -> int:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return sum(member.file_size for member in archive.infolist())


if __name__ == "__main__":
    main()
