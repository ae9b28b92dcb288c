import os
import stat

import pytest

from nlpkit.errors import InputError
from nlpkit.io import atomic_write, read_lines


def test_read_lines_strips_line_ends_and_bom(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("\ufeff第一行\r\nsecond\n\nlast".encode())
    assert [line for line, _ in read_lines(path)] == ["第一行", "second", "", "last"]
    assert sum(n for _, n in read_lines(path)) == path.stat().st_size


def test_invalid_utf8_names_file_line_and_byte(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\nalso ok\nbad \xff here\n")
    with pytest.raises(InputError) as info:
        list(read_lines(path))
    message = str(info.value)
    assert message.startswith(f"{path}:3: invalid UTF-8 at byte 5")
    assert "--errors replace" in message


def test_errors_replace_substitutes_and_keeps_going(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"bad \xff\nnext\n")
    assert [line for line, _ in read_lines(path, errors="replace")] == ["bad \ufffd", "next"]


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nope.txt: cannot read the file: No such file"):
        list(read_lines(tmp_path / "nope.txt"))


def test_atomic_write_replaces_only_on_success(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path) as out:
        out.write("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]  # no temporary file left behind
    with atomic_write(path) as out:
        out.write("new\n")
    assert path.read_text() == "new\n"


def test_atomic_write_gives_new_files_normal_permissions(tmp_path):
    path = tmp_path / "fresh.txt"
    with atomic_write(path) as out:
        out.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_atomic_dir_gives_the_new_folder_the_usual_permissions(tmp_path) -> None:
    """mkdtemp makes a private folder, and safetensors private files: a saved pipeline
    gets what any new folder and file get under the umask."""
    import os

    from nlpkit.io import atomic_dir

    umask = os.umask(0)
    os.umask(umask)
    target = tmp_path / "saved"
    with atomic_dir(target) as tmp:
        (tmp / "sub").mkdir()
        private = tmp / "sub" / "weights.bin"
        private.write_bytes(b"x")
        private.chmod(0o600)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (target / "sub" / "weights.bin").stat().st_mode & 0o777 == 0o666 & ~umask
