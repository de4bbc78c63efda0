"""A forked child that logs on through the writer it inherited, for the fork tests of local and remote writers."""

from __future__ import annotations

import os
import threading
import traceback


def log_in_forked_child(writer, steps: int) -> int:
    """Fork; the child logs ``steps`` values of ``child0`` and ``child1`` from two threads, then closes.

    Returns the child's pid once it has exited with success.
    """
    pid = os.fork()
    if pid == 0:
        code = 0
        try:

            def log(tag: str) -> None:
                for step in range(steps):
                    writer.add_scalar(tag, float(step), step)

            threads = [threading.Thread(target=log, args=(f"child{t}",)) for t in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            writer.close()
        except BaseException:  # noqa: BLE001 - reported through the exit code
            traceback.print_exc()
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the forked child failed: its traceback is on stderr"
    return pid
