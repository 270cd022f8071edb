"""The exec transport against real child processes: good, hanging, failing, garbage."""

import asyncio
import os
import sys
import time

import pytest

from collectors.exec import ExecCollector, ExecOptions
from monitor.core.errors import CollectError


def _collector(code: str, timeout: float = 5.0) -> ExecCollector:
    return ExecCollector("dev1", ExecOptions(command=[sys.executable, "-c", code], timeout=timeout))


def test_reads_line_protocol() -> None:
    c = _collector("print('temperature_celsius,sensor=a value=21.5'); print('humidity_percent value=40')")
    readings = asyncio.run(c.collect(100.0))
    assert [(r.metric, r.value, dict(r.labels), r.ts) for r in readings] == [
        ("temperature_celsius", 21.5, {"sensor": "a"}, 100.0),
        ("humidity_percent", 40.0, {}, 100.0),
    ]


def test_hanging_command_is_killed_with_its_children() -> None:
    code = "import subprocess,time; subprocess.Popen(['sleep','30']); time.sleep(30)"
    c = _collector(code, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(CollectError, match=r"did not finish within 0\.5s; killed"):
        asyncio.run(c.collect(0.0))
    assert time.monotonic() - start < 4


def test_non_zero_exit_names_status_and_stderr_tail() -> None:
    c = _collector("import sys; print('x value=1'); sys.stderr.write('sensor bus timeout\\n'); sys.exit(3)")
    with pytest.raises(CollectError, match="exited with status 3: sensor bus timeout"):
        asyncio.run(c.collect(0.0))


def test_garbage_only_is_an_error() -> None:
    c = _collector("print('<html>502 Bad Gateway</html>')")
    with pytest.raises(CollectError, match="not line protocol; first at line 1"):
        asyncio.run(c.collect(0.0))


def test_some_garbage_keeps_the_good_lines(caplog: pytest.LogCaptureFixture) -> None:
    c = _collector("print('t value=1'); print('garbage'); print('u value=2')")
    readings = asyncio.run(c.collect(0.0))
    assert [r.metric for r in readings] == ["t", "u"]
    assert "1 line(s) that are not line protocol; first at line 2" in caplog.text


def test_missing_program_and_arguments_stay_out_of_messages() -> None:
    c = ExecCollector("dev1", ExecOptions(command=["/nonexistent/dh-sensor", "--token=s3cr3t"]))
    with pytest.raises(CollectError) as err:
        asyncio.run(c.collect(0.0))
    assert "dh-sensor" in str(err.value) and "s3cr3t" not in str(err.value)


def test_empty_output_is_an_error() -> None:
    with pytest.raises(CollectError, match="printed no readings"):
        asyncio.run(_collector("pass").collect(0.0))


def test_endless_output_is_read_up_to_the_cap_then_the_command_is_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A script printing without end once took the daemon to 4.3 GB: everything was read before
    the 4 MiB cap applied. Now reading stops at the cap and the command is killed at once (here it
    prints 12 MiB and then would hang: before, that was a timeout after all 12 MiB were held)."""
    pid_file = tmp_path / "pid"
    code = (f"import os,sys,time; open({str(pid_file)!r},'w').write(str(os.getpid()))\n"
            "for _ in range(12): sys.stdout.write('x' * (1 << 20)); sys.stdout.flush()\n"
            "time.sleep(60)")
    c = _collector(code, timeout=30)
    with pytest.raises(CollectError, match=r"printed more than 4 MiB; stopped reading and killed it"):
        asyncio.run(c.collect(0.0))
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
