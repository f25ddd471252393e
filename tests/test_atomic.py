"""atomic_write: the whole file or the old one, and no temporary file left behind."""

import os
import stat

import pytest

from bpcourse.core.atomic import atomic_write, write_csv


def test_writes_the_whole_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_write(target, "w", encoding="utf-8") as file:
        file.write("hello\n")
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_write_csv_makes_the_folder_and_quotes_what_needs_it(tmp_path):
    target = tmp_path / "new" / "grades.csv"
    write_csv(target, [["student", "message"], ["ana", 'said "a, b"\nthen']])
    assert target.read_bytes() == b'student,message\r\nana,"said ""a, b""\nthen"\r\n'
    assert sorted(p.name for p in target.parent.iterdir()) == ["grades.csv"]


def test_a_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_write(target) as file:
            file.write(b"new, half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_an_interrupt_removes_the_temporary_too(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target) as file:
            file.write(b"x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_and_a_bad_mode_are_refused(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        with atomic_write(tmp_path / "nope" / "out.bin"):
            pass
    with pytest.raises(ValueError, match="expected mode"):
        with atomic_write(tmp_path / "out.bin", mode="a"):
            pass


def test_the_file_gets_the_mode_open_would_give(tmp_path):
    """Reports are read by others (a web server, a student's hub account): not mkstemp's 0600."""
    old = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "page.html", "w", encoding="utf-8") as file:
            file.write("<p>hi</p>")
        (tmp_path / "plain.html").write_text("<p>hi</p>")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "page.html").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.html").stat().st_mode) == 0o640
