"""The output file: appending, resuming after a kill, rewriting, locking."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path

import pytest
from test_results import failed, ok

from wom_sdk import OutputBusyError, OutputFileError
from wom_sdk.io._output import OutputMode, ResultWriter
from wom_sdk.io._results import dump_line


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_lines_are_flushed_as_they_are_written(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    w = ResultWriter(out)
    assert w.open().done == set()
    w.write(ok("1"))
    assert ids(out) == ["1"]  # visible before close: a kill keeps it
    w.close()


def test_resume_reads_done_ids_ok_and_failed(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    with ResultWriter(out) as w:
        w.open()
        w.write(ok("1"))
        w.write(failed("2"))
    with ResultWriter(out) as w:
        found = w.open()
        assert found.done == {"1", "2"}
        assert (found.ok, found.failed) == (1, 1)
        w.write(ok("3"))
    assert ids(out) == ["1", "2", "3"]


def test_a_cut_last_line_is_dropped_before_appending(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    whole = dump_line(ok("1"))
    out.write_bytes(whole + dump_line(ok("2"))[:40])
    with ResultWriter(out) as w:
        found = w.open()
        assert found.truncated_line
        assert found.done == {"1"}
        assert out.read_bytes() == whole
        w.write(ok("2"))
    assert ids(out) == ["1", "2"]


def test_a_whole_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(dump_line(ok("1")).rstrip(b"\n"))
    with ResultWriter(out) as w:
        assert w.open().done == {"1"}
        w.write(ok("2"))
    assert ids(out) == ["1", "2"]


def test_broken_lines_of_ours_and_repeated_ids_are_removed_atomically(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    broken = dump_line(ok("3"))[:30] + b"\n"  # one of ours, damaged (not the last line)
    out.write_bytes(dump_line(ok("1")) + broken + dump_line(failed("1")) + b"\n"
                    + dump_line(failed("2")))
    with ResultWriter(out) as w:
        found = w.open()
        assert (found.broken_lines, found.duplicate_lines) == (1, 1)
        assert found.done == {"1", "2"}
        assert (found.ok, found.failed) == (0, 2)  # the last line of "1" wins: an error
    assert ids(out) == ["1", "2"]
    assert [json.loads(x)["error"] is not None for x in out.read_text().splitlines()] == [
        True, True]
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]  # no temporary file left


def test_retry_errors_keeps_only_successes(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(dump_line(ok("1")) + dump_line(failed("2")) + dump_line(ok("3")))
    with ResultWriter(out, OutputMode.RETRY_ERRORS) as w:
        found = w.open()
        assert found.done == {"1", "3"}
        assert found.retried == 1
        w.write(ok("2"))
    assert ids(out) == ["1", "3", "2"]


def test_overwrite_starts_over(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(dump_line(ok("1")))
    with ResultWriter(out, OutputMode.OVERWRITE) as w:
        assert w.open().done == set()
        w.write(ok("9"))
    assert ids(out) == ["9"]


def test_a_second_writer_of_the_same_file_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("fcntl")
    out = tmp_path / "o.jsonl"
    with ResultWriter(out) as first:
        first.open()
        with pytest.raises(OutputBusyError, match="another process"):
            ResultWriter(out, OutputMode.RETRY_ERRORS).open()
    with ResultWriter(out) as again:  # released on close
        again.open()


def test_lines_of_older_versions_count_as_done(tmp_path: Path) -> None:
    # Written before the schema marker existed: no "wom" key, the error without extras.
    out = tmp_path / "o.jsonl"
    line = json.loads(dump_line(ok("1")))
    del line["wom"]
    out.write_text(json.dumps(line, ensure_ascii=False) + "\n"
                   '{"id": "2", "text": "x", "insight": null, "error": {"kind": "server"}}\n',
                   encoding="utf-8")
    before = out.read_bytes()
    with ResultWriter(out) as w:
        found = w.open()
    assert found.done == {"1", "2"}
    assert (found.ok, found.failed, found.broken_lines) == (1, 1, 0)
    assert out.read_bytes() == before  # nothing to repair: the file is not touched


def test_a_line_whose_insight_is_not_an_insight_is_not_a_result(tmp_path: Path) -> None:
    # The resume reads lines with the same model as the report: an "insight" that
    # does not validate is no proof that the review was analyzed. The line is not
    # ours: it stays where it is, and its id is not done.
    out = tmp_path / "o.jsonl"
    out.write_bytes(dump_line(ok("1")) + b'{"id": "2", "insight": {"sentiment": "great"}}\n')
    before = out.read_bytes()
    with ResultWriter(out) as w:
        found = w.open()
    assert found.done == {"1"}
    assert (found.foreign_lines, found.foreign_line_numbers) == (1, [2])
    assert out.read_bytes() == before


# -- issue 8: never destroy or rewrite a file that is not ours -------------------------------
@pytest.mark.parametrize("mode", list(OutputMode))
@pytest.mark.parametrize("content", [
    b"id,product,text\nr1,P,good\nr2,P,bad\n",  # a CSV of reviews
    b'{"id": "1", "body": "a JSONL of another tool"}\n{"id": "2", "body": "x"}\n',
    b'{"id": "1", "text": "x", "insight": null, "error": null}\n',  # neither: not ours
    b"\n\nplain notes\n",
])
def test_a_file_that_is_not_ours_is_refused_and_left_unchanged(
        tmp_path: Path, mode: OutputMode, content: bytes) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(content)
    with pytest.raises(OutputFileError, match="is not a results file") as info:
        ResultWriter(out, mode).open()
    assert out.read_bytes() == content
    assert "left unchanged" in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]


def test_a_stray_line_with_an_id_does_not_make_it_done(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    stray = b'{"id":"2","note":"pasted"}\n'
    out.write_bytes(dump_line(ok("1")) + stray + dump_line(failed("3")))
    with ResultWriter(out, OutputMode.RETRY_ERRORS) as w:
        found = w.open()
        w.write(ok("2"))
    assert found.done == {"1"}
    assert found.foreign_lines == 1
    # The rewrite for --retry-errors dropped our error line and kept the stray one as it was.
    assert out.read_bytes() == dump_line(ok("1")) + stray + dump_line(ok("2"))


def test_a_rewrite_keeps_the_file_mode(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(dump_line(ok("1")) + dump_line(failed("2")))
    out.chmod(0o640)
    with ResultWriter(out, OutputMode.RETRY_ERRORS) as w:
        w.open()
    assert out.stat().st_mode & 0o777 == 0o640


def test_standard_output_is_written_through_without_resume() -> None:
    buf = io.BytesIO()
    with ResultWriter("-", stdout=buf) as w:
        assert w.open().done == set()
        w.write(ok("1"))
        assert not w.resumable
    assert json.loads(buf.getvalue())["id"] == "1"
    assert not buf.closed  # standard output is not ours to close
    with pytest.raises(OutputFileError, match="--retry-errors"):
        ResultWriter("-", OutputMode.RETRY_ERRORS, stdout=io.BytesIO()).open()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_a_pipe_is_written_through(tmp_path: Path) -> None:
    # What -o /dev/stdout is when stdout is a pipe or a terminal: nothing to seek or read back.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    with ResultWriter(fifo) as w:
        w.open()
        w.write(ok("1"))
        assert not w.resumable
    reader.join(timeout=10)
    assert json.loads(got[0])["id"] == "1"


def test_a_folder_or_an_unwritable_path_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match="is a folder"):
        ResultWriter(tmp_path).open()
    blocker = tmp_path / "reviews.csv"
    blocker.write_text("id,text\n")
    with pytest.raises(OutputFileError, match=r"cannot write .*Nothing was sent"):
        ResultWriter(blocker / "out.jsonl").open()


def test_a_symlinked_output_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(dump_line(ok("1")) + dump_line(failed("2")))
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with ResultWriter(link, OutputMode.RETRY_ERRORS) as w:
        w.open()
    assert link.is_symlink()
    assert ids(real) == ["1"]
