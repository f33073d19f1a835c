"""Run a script or module and write its peak resident memory (VmHWM, MB) to a file at exit.

    python -m bench.peak OUT manage.py rebuild_projections …
    python -m bench.peak OUT -m bench.scan

getrusage's ru_maxrss would not do: it survives exec, so a child forked from a big parent
starts with the parent's size. VmHWM belongs to this program's own address space.
"""

import atexit
import runpy
import sys


def main() -> None:
    out, *argv = sys.argv[1:]
    atexit.register(lambda: open(out, "w").write(str(_self())))
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")


def _self() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
