import os

import pytest

from nlpkit.parallel import batched, ordered_map


def test_batched():
    assert list(batched(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError):
        list(batched([1], 0))


def _square_with_pid(x):
    return x * x, os.getpid()


def test_ordered_map_keeps_input_order_across_processes():
    results = list(ordered_map(_square_with_pid, range(200), n_process=2))
    assert [r for r, _ in results] == [x * x for x in range(200)]
    assert os.getpid() not in {pid for _, pid in results}


def test_ordered_map_reads_its_input_lazily():
    pulled = []

    def items():
        for i in range(1000):
            pulled.append(i)
            yield i

    results = ordered_map(_square_with_pid, items(), n_process=2)
    next(results)
    assert len(pulled) <= 4 * 2 + 1  # bounded in-flight window, not the whole input
    results.close()


def _fail_on_three(x):
    if x == 3:
        raise ValueError("three")
    return x


def test_worker_errors_reach_the_caller():
    with pytest.raises(ValueError, match="three"):
        list(ordered_map(_fail_on_three, range(10), n_process=2))


SCRIPT = """
import nlpkit
{guard}
    print(sum(len(t) for t in nlpkit.get_tokenizer("char").pipe(["abc", "de"] * 40, batch_size=8, n_process=2)))
"""


def test_workers_that_die_at_start_are_one_clear_error_not_a_hang(tmp_path):
    """A script without the main guard: every worker re-runs it and dies starting a pool of
    its own. The pool must stop and say why, not restart workers forever."""
    import subprocess
    import sys

    script = tmp_path / "no_guard.py"
    script.write_text(SCRIPT.format(guard="if True:"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "worker processes died" in done.stderr and 'if __name__ == "__main__":' in done.stderr
    script.write_text(SCRIPT.format(guard='if __name__ == "__main__":'), encoding="utf-8")
    guarded = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    assert guarded.stdout.strip() == "200"
