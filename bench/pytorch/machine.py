"""The header comment lines every CSV in bench/pytorch/ carries, so that BenchReport can tell whether a
CSV was measured on the machine it is reporting from (it compares the model name and the cpu family
with its own /proc/cpuinfo) and how loaded the machine was. Not a build or test dependency."""
import os
import time


def _cpuinfo(key):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def load_average():
    """The 1, 5 and 15 minute load averages as a string ('?' where the OS has none)."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def header_lines(what, load_at_start):
    """Comment lines: what was measured and when (UTC), the machine (parsed by BenchReport), the load."""
    return [f"# {what}; {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
            f"# machine: {_cpuinfo('model name')}; cpu family {_cpuinfo('cpu family')}; {os.cpu_count()} cores",
            f"# load average (1, 5, 15 min): {load_at_start} at start, {load_average()} at end; "
            f"a VM shared with other builds and benchmarks"]
