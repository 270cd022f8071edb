"""Run every benchmark under bench/ in turn: ``python bench/run.py [name …]``."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> int:
    """Import each bench_*.py and call its main(); a failing one is reported, others still run."""
    sys.path.insert(0, str(HERE.parent))
    failed = 0
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem.removeprefix("bench_") not in names and path.stem not in names:
            continue
        print(f"== {path.stem}", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        start = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as err:  # keep going: one broken bench must not hide the others
            failed += 1
            print(f"!! {path.stem} failed: {type(err).__name__}: {err}", flush=True)
        print(f"   ({time.perf_counter() - start:.1f}s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
