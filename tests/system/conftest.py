import pytest

from harness import Console


@pytest.fixture
def console(tmp_path):
    """console(example, disk=None, extra_args=()) boots an example; all are killed at the end."""
    started = []

    def boot(example, **kwargs):
        c = Console(example, tmp_path, **kwargs)
        started.append(c)
        return c

    yield boot
    for c in started:
        c.close()
