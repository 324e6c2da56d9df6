import pytest

from harness import Console


@pytest.fixture
def console(tmp_path):
    """console(example, disk=None, extra_args=(), timeout=...) boots an example and returns its
    harness.Console. Every QEMU a test started is killed when the test ends, passed or failed."""
    started = []

    def boot(example, **kwargs):
        c = Console(example, tmp_path, **kwargs)
        started.append(c)
        return c

    yield boot
    for c in started:
        try:
            c.close()
        except Exception:  # the next QEMU must still be killed
            pass
